// The floor: a bare program that registers a twin of every resource a real run recorded and nothing
// else: no config, no topology, no invokes, no apply chains, no outputs. Every cloud resource is an
// instance of the real SDK class for its type token (so it builds an Output per property, as the
// program's do), given the inputs the real run sent; components are bare ComponentResources of the
// same type token. All are registered at once, in registration order, with the recorded parents and
// providers. What it costs is the cost of Pulumi's SDK classes under the mock runtime.

import * as pulumi from "@pulumi/pulumi";
import { isSecretValue } from "../scripts/lib/simulated-cloud";
import { registrationOrder, type SkeletonResource } from "./skeleton";

const PROVIDER_PREFIX = "pulumi:providers:";

/** The constructor of an SDK resource class (aws.ec2.Vpc, random.RandomPassword, aws.Provider…). */
type ResourceClass = (new (
  name: string,
  args: Record<string, unknown>,
  opts: pulumi.CustomResourceOptions,
) => pulumi.CustomResource) & { __pulumiType?: string };

/** A component that, like the program's, registers its outputs once constructed. */
class BareComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.registerOutputs({});
  }
}

const packages = new Map<string, Record<string, unknown>>();

/** The SDK package of a Pulumi package name: "aws" → @pulumi/aws. */
function sdkPackage(name: string, type: string): Record<string, unknown> {
  let sdk = packages.get(name);
  if (!sdk) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      sdk = require(`@pulumi/${name}`) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`floor: no SDK package @pulumi/${name} for ${type}: ${(err as Error).message}`);
    }
    packages.set(name, sdk);
  }
  return sdk;
}

const classes = new Map<string, ResourceClass>();

/**
 * The SDK class of a type token: "aws:ec2/vpc:Vpc" → aws.ec2.Vpc, "aws:index/x:X" → aws.X,
 * "random:index/randomPassword:RandomPassword" → random.RandomPassword, "pulumi:providers:aws" →
 * aws.Provider. Throws if there is none, or if the class found registers another type token.
 */
export function sdkClassOf(type: string): ResourceClass {
  const cached = classes.get(type);
  if (cached) return cached;
  let found: unknown;
  let token: string | undefined;
  if (type.startsWith(PROVIDER_PREFIX)) {
    const pkg = type.slice(PROVIDER_PREFIX.length);
    found = sdkPackage(pkg, type).Provider;
    const base = (found as ResourceClass | undefined)?.__pulumiType;
    token = base === undefined ? undefined : `${PROVIDER_PREFIX}${base}`;
  } else {
    const match = /^([^:/]+):([^:/]+)\/[^:/]+:([^:/]+)$/.exec(type);
    if (!match) throw new Error(`floor: cannot map the type token ${type} to an SDK class`);
    const [, pkg, module, name] = match;
    const sdk = sdkPackage(pkg, type);
    const namespace = module === "index" ? sdk : (sdk[module] as Record<string, unknown> | undefined);
    found = namespace?.[name];
    token = (found as ResourceClass | undefined)?.__pulumiType;
  }
  if (typeof found !== "function" || token !== type) {
    throw new Error(
      `floor: no SDK class for ${type}` + (typeof found === "function" ? ` (found one for ${token ?? "no type"})` : ""),
    );
  }
  classes.set(type, found as ResourceClass);
  return found as ResourceClass;
}

/** Recorded inputs back to program inputs: every wrapped secret becomes pulumi.secret(value). */
function revive(value: unknown): unknown {
  if (isSecretValue(value)) return pulumi.secret(revive(value.value));
  if (Array.isArray(value)) return value.map(revive);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  return value;
}

/**
 * A provider's inputs: its SDK class sends every field that is not a string as JSON text
 * (defaultTags, skipRegionValidation…), so those are parsed back; strings stay as they are.
 */
function providerArgs(inputs: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) {
    let parsed: unknown = value;
    if (typeof value === "string") {
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = value;
      }
      if (typeof parsed === "string") parsed = value;
    }
    args[key] = revive(parsed);
  }
  return args;
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
    if (!r.custom) {
      resource = new BareComponent(r.type, r.name, { parent });
    } else if (r.type.startsWith(PROVIDER_PREFIX)) {
      resource = new (sdkClassOf(r.type))(r.name, providerArgs(r.inputs), { parent });
    } else {
      const args = revive(r.inputs) as Record<string, unknown>;
      resource = new (sdkClassOf(r.type))(r.name, args, { parent, provider: provider as pulumi.ProviderResource });
    }
    created.set(r.urn, resource);
  }
  return created.size;
}
