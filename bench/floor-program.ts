// The floor: a bare program that registers a twin of every resource a real run recorded (same
// type token, name, parent, provider; no inputs beyond a provider's region) and nothing else: no
// config, no topology, no invokes, no outputs. What it costs is the cost of Pulumi's mock runtime.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { registrationOrder, type SkeletonResource } from "./skeleton";

const PROVIDER_PREFIX = "pulumi:providers:";

/** A cloud resource of any type, with no inputs. */
class BareResource extends pulumi.CustomResource {
  constructor(type: string, name: string, opts: pulumi.CustomResourceOptions) {
    super(type, name, {}, opts);
  }
}

/** A provider of a package other than aws, for which no SDK class is loaded. */
class BareProvider extends pulumi.ProviderResource {}

/** A component that, like the program's, registers its outputs once constructed. */
class BareComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.registerOutputs({});
  }
}

/** Registers the twins; returns how many. Resolves nothing: the caller settles the cloud. */
export function registerFloor(skeleton: readonly SkeletonResource[]): number {
  const created = new Map<string, pulumi.Resource>();
  for (const r of registrationOrder(skeleton)) {
    const parent = r.parent ? created.get(r.parent) : undefined;
    const provider = r.provider ? created.get(r.provider) : undefined;
    if (r.parent && !parent) throw new Error(`floor: ${r.urn} has a parent the run did not record: ${r.parent}`);
    if (r.provider && !(provider instanceof pulumi.ProviderResource)) {
      throw new Error(`floor: ${r.urn} has a provider the run did not record: ${r.provider}`);
    }
    let resource: pulumi.Resource;
    if (r.type === `${PROVIDER_PREFIX}aws`) {
      resource = new aws.Provider(r.name, { region: r.region as aws.Region | undefined }, { parent });
    } else if (r.type.startsWith(PROVIDER_PREFIX)) {
      const props = r.region === undefined ? {} : { region: r.region };
      resource = new BareProvider(r.type.slice(PROVIDER_PREFIX.length), r.name, props, { parent });
    } else if (r.custom) {
      resource = new BareResource(r.type, r.name, { parent, provider: provider as pulumi.ProviderResource });
    } else {
      resource = new BareComponent(r.type, r.name, { parent });
    }
    created.set(r.urn, resource);
  }
  return created.size;
}
