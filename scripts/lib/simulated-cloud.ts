// The simulated cloud: Pulumi's mock runtime, made strict and observant. The offline plan and the
// component tests run the real program against it. It records every resource registration as the
// engine would see it (type, name, parent, provider, inputs, options), answers only the invokes it
// knows, and refuses an aws resource that has no explicit provider, as the stack's
// `pulumi:disable-default-providers: [aws]` would in a real deployment.

import * as pulumi from "@pulumi/pulumi";

// Internal parts of the SDK that the mock runtime is built from. setMocks() does not expose the
// request's parent or options; wrapping the monitor does.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as {
  MockMonitor: new (mocks: pulumi.runtime.Mocks) => MonitorLike;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const state = require("@pulumi/pulumi/runtime/state") as { getStore(): Record<string, unknown> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = require("@pulumi/pulumi/runtime/rpc") as {
  deserializeProperties(struct: unknown): Record<string, unknown>;
  specialSigKey: string;
  specialSecretSig: string;
};

type Callback = (err: unknown, response: { getUrn(): string; getId(): string } | undefined) => void;
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getCustom(): boolean;
  getObject(): unknown;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getAliasesList(): unknown[];
}
interface MonitorLike {
  registerResource(req: RegisterRequest, callback: Callback): Promise<void>;
  newUrn(parent: string, type: string, name: string): string;
}

/** The account id the simulated cloud answers with; never a real account. */
export const SIMULATED_ACCOUNT = "123456789012";
/** What every RandomPassword resolves to, so that a leaked secret is found by a plain search. */
export const SECRET_PREFIX = "PLAN-SECRET-";

/** One resource as the engine would have received it. */
export interface RecordedResource {
  readonly urn: string;
  /** The id the simulated cloud gave it (`<name>-id`); null for components. */
  readonly id: string | null;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** URN of the parent, or null for the stack's direct children. */
  readonly parent: string | null;
  /** URN of the explicit provider, or null. */
  readonly provider: string | null;
  /** Inputs as sent; secret values are wrapped (see isSecretValue). */
  readonly inputs: Record<string, unknown>;
  readonly options: {
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly ignoreChanges: readonly string[];
    readonly aliases: number;
  };
}

export interface InvokeContext {
  /** Region of the provider the invoke went through, or null. */
  readonly region: string | null;
  readonly inputs: Record<string, unknown>;
}

/** Answers for provider functions, by token. An invoke not listed here fails the run. */
export type InvokeTable = Record<string, (context: InvokeContext) => Record<string, unknown>>;

export const DEFAULT_INVOKES: InvokeTable = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": ({ region }) => {
    const names = ["a", "b", "c"].map((suffix) => `${region}${suffix}`);
    return { names, zoneIds: names.map((_, i) => `${region}-az${i + 1}`), id: region ?? "" };
  },
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: SIMULATED_ACCOUNT,
    arn: `arn:aws:iam::${SIMULATED_ACCOUNT}:user/plan`,
    userId: "PLAN",
    id: SIMULATED_ACCOUNT,
  }),
  "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" }),
  "aws:route53/getZone:getZone": ({ inputs }) => {
    const name = String(inputs.name);
    return {
      name,
      zoneId: `ZPLAN${name.replace(/[^a-z0-9]/gi, "").toUpperCase()}`,
      id: `ZPLAN-${name}`,
      privateZone: false,
    };
  },
  // Only AWS's public parameters (AMI ids); the stack's own parameters are never read back.
  "aws:ssm/getParameter:getParameter": ({ region, inputs }) => {
    const name = String(inputs.name);
    if (!name.startsWith("/aws/service/"))
      throw new Error(`the simulated cloud answers only public parameters, not ${name}`);
    const image = `ami-plan-${name.split("/").slice(3).join("-")}`;
    return {
      name,
      value: image,
      insecureValue: image,
      type: "String",
      arn: `arn:aws:ssm:${region}::parameter${name}`,
      id: name,
    };
  },
};

export function isSecretValue(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig
  );
}

function secret(value: unknown): unknown {
  return { [rpc.specialSigKey]: rpc.specialSecretSig, value };
}

function providerUrn(reference: string): string | null {
  // A provider reference is "<provider urn>::<provider id>".
  return reference ? reference.slice(0, reference.lastIndexOf("::")) : null;
}

export interface SimulatedCloudOptions {
  readonly project: string;
  readonly stack: string;
  /** Full config keys ("jitsi:domain") to string values, as the engine hands them to a program. */
  readonly config?: Record<string, string>;
  /** Extra or replacement answers for invokes. */
  readonly invokes?: InvokeTable;
}

export class SimulatedCloud implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  /** Problems found while the program ran (e.g. a missing provider); the run fails on any. */
  readonly violations: string[] = [];
  private readonly invokes: InvokeTable;
  private readonly providerRegions = new Map<string, string>();
  private pendingSecretOutputs = new Map<string, string[]>();

  private constructor(invokes: InvokeTable) {
    this.invokes = invokes;
  }

  /**
   * Installs a new simulated cloud as the Pulumi runtime of this process. Call it before the program
   * module is loaded (import the program dynamically afterwards).
   */
  static async install(options: SimulatedCloudOptions): Promise<SimulatedCloud> {
    const cloud = new SimulatedCloud({ ...DEFAULT_INVOKES, ...options.invokes });
    // setMocks turns on the runtime features a real engine offers; then swap in our observing monitor.
    await pulumi.runtime.setMocks(cloud, options.project, options.stack, false);
    // setMockOptions resets those features (secrets among them); keep what setMocks turned on.
    const store = state.getStore();
    const features = Object.fromEntries(Object.entries(store).filter(([key]) => key.startsWith("supports")));
    const monitor = new MockMonitor(cloud);
    // The stock mock qualifies a type with its parent's last type only; the engine uses the whole
    // chain (Deployment$Region$provider). URNs are an API here, so the plan shows the real ones.
    monitor.newUrn = (parent, type, name) => {
      const parentType = parent ? parent.split("::")[2] : "";
      const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
      return `urn:pulumi:${options.stack}::${options.project}::${qualified}::${name}`;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      const key = `${req.getType()}::${req.getName()}`;
      cloud.pendingSecretOutputs.set(key, req.getAdditionalsecretoutputsList());
      return register(req, (err, response) => {
        if (!err && response) cloud.record(req, response.getUrn(), response.getId());
        callback(err, response);
      });
    };
    pulumi.runtime.setMockOptions(monitor, options.project, options.stack, false);
    Object.assign(store, features);
    pulumi.runtime.setAllConfig(options.config ?? {});
    return cloud;
  }

  /** Waits until every registration the program started has been answered. */
  async settle(): Promise<void> {
    await settings.waitForRPCs();
  }

  /** Region of a recorded resource: its provider's region; for a component, its children's if one. */
  regionOf(resource: RecordedResource): string | null {
    if (resource.type.startsWith("pulumi:providers:")) return this.providerRegions.get(resource.urn) ?? null;
    if (resource.provider) return this.providerRegions.get(resource.provider) ?? null;
    if (resource.custom) return null;
    const regions = new Set(
      this.resources.filter((r) => r.parent === resource.urn).map((child) => this.regionOf(child)),
    );
    return regions.size === 1 ? [...regions][0] : null;
  }

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const { type, name, inputs } = args;
    if (type.startsWith("aws:") && !args.provider) {
      this.violations.push(
        `${type} "${name}" has no explicit provider; every aws resource needs its region's provider`,
      );
    }
    if (!args.custom) return { id: undefined, state: {} };
    const region =
      type === "pulumi:providers:aws" ? String(inputs.region ?? "") : this.regionOfReference(args.provider);
    const id = `${name}-id`;
    const computed: Record<string, unknown> = { id };
    if (type.startsWith("aws:")) {
      const service = type.split(":")[1].split("/")[0];
      computed.arn = `arn:aws:${service}:${region ?? ""}:${SIMULATED_ACCOUNT}:${name}`;
      // The provider auto-names what the program leaves unnamed (with a random suffix); the
      // simulation uses the logical name, so that plans are repeatable.
      computed.name = name;
    }
    if (type === "random:index/randomPassword:RandomPassword") computed.result = `${SECRET_PREFIX}${name}`;
    if (type === "aws:ec2/instance:Instance") {
      computed.privateIp =
        typeof inputs.privateIp === "string" ? inputs.privateIp : this.nextAddress(String(inputs.subnetId ?? ""));
    }
    if (type === "aws:acm/certificate:Certificate") {
      // ACM's DNS validation asks for one CNAME per domain, the same in every region of an account
      const domain = String(inputs.domainName);
      computed.domainValidationOptions = [
        {
          domainName: domain,
          resourceRecordName: `_plan0validation.${domain}.`,
          resourceRecordType: "CNAME",
          resourceRecordValue: `_plan0token.acm-validations.aws.`,
        },
      ];
    }
    if (type === "aws:acm/certificateValidation:CertificateValidation") computed.certificateArn = inputs.certificateArn;
    if (type === "aws:lb/loadBalancer:LoadBalancer") {
      computed.dnsName = `${String(inputs.name ?? name)}-plan.elb.${region}.amazonaws.com`;
      computed.zoneId = "ZPLANNLB";
    }
    if (type === "aws:route53/record:Record") computed.fqdn = String(inputs.name).replace(/\.$/, "");
    const state: Record<string, unknown> = { ...computed, ...inputs };
    if (computed.result !== undefined) state.result = computed.result;
    // The engine keeps additionalSecretOutputs secret; so does the simulated cloud.
    for (const key of this.pendingSecretOutputs.get(`${type}::${name}`) ?? []) {
      if (key in state && !isSecretValue(state[key])) state[key] = secret(state[key]);
    }
    return { id, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const answer = this.invokes[args.token];
    if (!answer) {
      const message = `the simulated cloud does not know the invoke ${args.token}; add its answer to the invoke table`;
      this.violations.push(message);
      // The SDK reports an invoke failure by the gRPC error's `details`, as the engine sends them.
      throw Object.assign(new Error(message), { details: message });
    }
    if (args.token.startsWith("aws:") && !args.provider) {
      this.violations.push(`invoke ${args.token} has no explicit provider; it would run against the default region`);
    }
    return answer({ region: this.regionOfReference(args.provider), inputs: args.inputs as Record<string, unknown> });
  }

  private readonly addressesUsed = new Map<string, number>();

  /** A private address in the instance's subnet, as AWS would hand out: .10, .11, … of the range. */
  private nextAddress(subnetId: string): string {
    const subnet = this.resources.find((r) => r.id === subnetId);
    const cidr = typeof subnet?.inputs.cidrBlock === "string" ? subnet.inputs.cidrBlock : "10.0.0.0/24";
    const [a, b, c, d] = cidr.split("/")[0].split(".").map(Number);
    const n = (this.addressesUsed.get(subnetId) ?? 0) + 1;
    this.addressesUsed.set(subnetId, n);
    const host = d + 9 + n;
    return `${a}.${b}.${c + Math.floor(host / 256)}.${host % 256}`;
  }

  private regionOfReference(reference: string | undefined): string | null {
    const urn = reference ? providerUrn(reference) : null;
    return urn ? (this.providerRegions.get(urn) ?? null) : null;
  }

  private record(req: RegisterRequest, urn: string, id: string): void {
    const inputs = rpc.deserializeProperties(req.getObject());
    const provider = providerUrn(req.getProvider());
    if (req.getType() === "pulumi:providers:aws") this.providerRegions.set(urn, String(inputs.region ?? ""));
    this.resources.push({
      urn,
      id: id || null,
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parent: req.getParent() || null,
      provider,
      inputs,
      options: {
        protect: req.getProtect() ?? false,
        retainOnDelete: req.getRetainondelete() ?? false,
        deleteBeforeReplace: req.getDeletebeforereplace(),
        ignoreChanges: req.getIgnorechangesList(),
        aliases: req.getAliasesList().length,
      },
    });
  }
}
