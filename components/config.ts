// The stack config contract (namespace `jitsi`): types, defaults and validation.
// Pure: no Pulumi import. index.ts hands in the raw stack config; everything downstream receives
// `Settings`, which are complete (defaults applied) and valid. Validation reports every problem it
// finds, one line each, naming the key path, so that an operator fixes the file in one pass.

import { architectureOf } from "./ami";
import { PRIVATE_RANGES, contains, formatCidr, overlaps, parseCidr } from "./ipv4";

export const NAMESPACE = "jitsi";

/** Jicofo's bridge selection strategies that this stack supports (jicofo-selector reference.conf). */
export const SELECTION_STRATEGIES = [
  "SingleBridgeSelectionStrategy",
  "SplitBridgeSelectionStrategy",
  "RegionBasedBridgeSelectionStrategy",
  "IntraRegionBridgeSelectionStrategy",
] as const;
export type SelectionStrategy = (typeof SELECTION_STRATEGIES)[number];

export const SHARD_STATES = ["ready", "drain"] as const;
export type ShardState = (typeof SHARD_STATES)[number];

/** Every default of the stack, in one place. README's config reference mirrors this table. */
export const DEFAULTS = {
  availabilityZones: 2,
  jvb: {
    instanceType: "c6i.xlarge",
    minSize: 1,
    maxSize: 10,
    // meet.jit.si scales a pool out when its bridges' average stress reaches 0.3
    targetStress: 0.3,
    // meet.jit.si lets a bridge finish its conferences for up to an hour
    gracefulShutdownMinutes: 60,
    spot: { onDemandBase: 1 },
  },
  edge: { nodes: 2, instanceType: "c6i.large" },
  shard: { instanceType: "m6i.large", state: "ready" as ShardState },
  octo: {
    // Participants go to a bridge in their own region; conferences spanning regions are relayed.
    selectionStrategy: "RegionBasedBridgeSelectionStrategy" as SelectionStrategy,
    regionGroups: [] as string[][],
    // jicofo's own default: the point where a big conference is split over several bridges.
    maxBridgeParticipants: 80,
  },
} as const;

/** Limits that keep a typo from becoming an expensive or broken deployment. */
export const LIMITS = {
  availabilityZones: { min: 2, max: 6 },
  jvbSize: { min: 0, max: 200 },
  jvbMaxSize: { min: 1, max: 200 },
  targetStress: { min: 0.05, max: 0.95 },
  // the termination lifecycle hook holds an instance for at most 48 hours; 8 leaves room
  gracefulShutdownMinutes: { min: 1, max: 480 },
  spotOnDemandBase: { min: 0, max: 200 },
  spotInstanceTypes: { max: 10 },
  edgeNodes: { min: 1, max: 10 },
  maxBridgeParticipants: { min: 2, max: 10000 },
  // A VPC is at most /16 (AWS). Each AZ gets one of 16 equal slices (see topology.ts), so a /22
  // still gives every AZ a /26 (59 usable addresses).
  vpcPrefix: { largest: 16, smallest: 22 },
  shardNameLength: 32,
} as const;

export interface JvbSettings {
  /** EC2 instance type of the bridges. */
  readonly instanceType: string;
  /** Autoscaling floor. */
  readonly minSize: number;
  /** Autoscaling ceiling. */
  readonly maxSize: number;
  /** The pool's average stress_level that target tracking holds. */
  readonly targetStress: number;
  /** How long a bridge being scaled in may keep its conferences. */
  readonly gracefulShutdownMinutes: number;
  /** Present: on-demand up to `onDemandBase` instances, spot above, with capacity rebalancing. */
  readonly spot?: SpotSettings;
}

export interface SpotSettings {
  /** Instances that stay on-demand whatever the size of the pool. */
  readonly onDemandBase: number;
  /** More instance types for spot capacity (same architecture as `instanceType`). */
  readonly instanceTypes: readonly string[];
}

export interface EdgeSettings {
  /** Number of HAProxy nodes behind the region's load balancer. */
  readonly nodes: number;
  readonly instanceType: string;
}

export interface RegionSettings {
  /** The region's VPC range; disjoint from every other region's. */
  readonly cidr: string;
  /** How many availability zones get a subnet. */
  readonly availabilityZones: number;
  /** Present when the region runs a bridge pool. */
  readonly jvb?: JvbSettings;
  /** Present when the region runs HAProxy nodes and a load balancer. */
  readonly edge?: EdgeSettings;
  /**
   * Pulumi's `protect` on the region's shard nodes and load balancer. Unset: on when the region
   * holds a shard or an edge (see topology.ts).
   */
  readonly protect?: boolean;
}

export interface ShardSettings {
  /** Unique, DNS-safe. */
  readonly name: string;
  /** The shard's home region: where its signalling node runs. */
  readonly region: string;
  readonly instanceType: string;
  /** `drain`: keeps its rooms, gets no new ones. */
  readonly state: ShardState;
}

export interface OctoSettings {
  readonly selectionStrategy: SelectionStrategy;
  readonly regionGroups: readonly (readonly string[])[];
  readonly maxBridgeParticipants: number;
}

export interface Settings {
  readonly domain: string;
  readonly hostedZone?: string;
  /**
   * Issued ACM certificates for `domain`, by edge region, used when there is no hosted zone to
   * have them issued in. Empty when `hostedZone` is set.
   */
  readonly certificateArns: Readonly<Record<string, string>>;
  /** Keyed by AWS region code, in the order the stack config lists them. */
  readonly regions: Readonly<Record<string, RegionSettings>>;
  readonly shards: readonly ShardSettings[];
  readonly octo: OctoSettings;
}

/** Thrown when the stack config is invalid; `problems` holds one line per problem. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid stack config:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

// ---- the schema: which keys exist at each level (unknown keys are errors, never ignored) ----

const TOP_KEYS = ["domain", "hostedZone", "certificateArns", "regions", "shards", "octo"] as const;
const STRING_KEYS = new Set<string>(["domain", "hostedZone"]);
const REGION_KEYS = ["cidr", "availabilityZones", "jvb", "edge", "protect"] as const;
const JVB_KEYS = ["instanceType", "minSize", "maxSize", "targetStress", "gracefulShutdownMinutes", "spot"] as const;
const SPOT_KEYS = ["onDemandBase", "instanceTypes"] as const;
const EDGE_KEYS = ["nodes", "instanceType"] as const;
const SHARD_KEYS = ["name", "region", "instanceType", "state"] as const;
const OCTO_KEYS = ["selectionStrategy", "regionGroups", "maxBridgeParticipants"] as const;

// AWS region codes: us-east-1, eu-central-2, ap-southeast-4, us-gov-west-1, il-central-1, …
const REGION_CODE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const DNS_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
const DNS_NAME = new RegExp(`^(?=.{1,253}$)(${DNS_LABEL}\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`);
// family with a generation digit and optional attributes (c6gn, m7i-flex, u-6tb1), then the size
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.(nano|micro|small|medium|large|\d*xlarge|metal(-\d+xl)?)$/;
const SHARD_NAME = new RegExp(`^[a-z]([a-z0-9-]{0,${LIMITS.shardNameLength - 2}}[a-z0-9])?$`);

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

/** Levenshtein distance, for "did you mean" hints on unknown keys. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function suggestion(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const exactCase = known.find((k) => k.toLowerCase() === lower);
  if (exactCase) return exactCase;
  const scored = known
    .map((k) => ({ k, d: editDistance(lower, k.toLowerCase()) }))
    .filter(({ d }) => d <= 2)
    .sort((x, y) => x.d - y.d);
  return scored[0]?.k;
}

/** Collects problems and reads typed values at key paths. */
class Reader {
  readonly problems: string[] = [];

  report(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }

  /** An object whose keys must all be in `known`; undefined (and a problem) when not an object. */
  object(path: string, value: unknown, known: readonly string[], what = "an object"): Plain | undefined {
    if (!isPlainObject(value)) {
      this.report(path, `must be ${what} (got ${show(value)})`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const hint = suggestion(key, known);
      this.report(
        `${path}.${key}`,
        hint ? `unknown key (did you mean ${hint}?)` : `unknown key (known: ${known.join(", ")})`,
      );
    }
    return value;
  }

  decimal(path: string, value: unknown, fallback: number, range: { min: number; max: number }): number {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value < range.min || value > range.max) {
      this.report(path, `must be a number from ${range.min} to ${range.max} (got ${show(value)})`);
      return fallback;
    }
    return value;
  }

  integer(path: string, value: unknown, fallback: number, range: { min: number; max: number }): number {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < range.min || value > range.max) {
      this.report(path, `must be an integer from ${range.min} to ${range.max} (got ${show(value)})`);
      return fallback;
    }
    return value;
  }

  instanceType(path: string, value: unknown, fallback: string): string {
    if (value === undefined) return fallback;
    if (typeof value !== "string" || !INSTANCE_TYPE.test(value)) {
      this.report(path, `${show(value)} is not an EC2 instance type (like ${fallback})`);
      return fallback;
    }
    return value;
  }

  dnsName(path: string, value: unknown, example: string): string | undefined {
    if (typeof value !== "string" || !DNS_NAME.test(value)) {
      this.report(
        path,
        `${show(value)} is not a DNS name: lower-case labels of letters, digits and hyphens, at least two, joined by dots, no trailing dot (like ${example})`,
      );
      return undefined;
    }
    return value;
  }
}

/**
 * Turns the raw Pulumi config of the `jitsi` namespace (as `pulumi.runtime.allConfig()` gives it:
 * full keys such as "jitsi:regions", values as strings, structured values as JSON text) into plain
 * values. Other namespaces are ignored.
 */
export function fromPulumiConfig(all: Readonly<Record<string, string>>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const prefix = `${NAMESPACE}:`;
  for (const [fullKey, text] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (STRING_KEYS.has(key)) {
      raw[key] = text;
      continue;
    }
    try {
      raw[key] = JSON.parse(text);
    } catch {
      raw[key] = text; // a plain string where structure is expected: the schema reports it
    }
  }
  return raw;
}

/**
 * Validates the raw config (keys without the namespace prefix) and applies defaults.
 * Throws ConfigError listing every problem; never returns partially valid settings.
 */
export function parseSettings(raw: Readonly<Record<string, unknown>>): Settings {
  const r = new Reader();
  const key = (k: string) => `${NAMESPACE}:${k}`;

  for (const k of Object.keys(raw)) {
    if ((TOP_KEYS as readonly string[]).includes(k)) continue;
    const hint = suggestion(k, TOP_KEYS);
    r.report(
      key(k),
      hint ? `unknown key (did you mean ${key(hint)}?)` : `unknown key (known: ${TOP_KEYS.map(key).join(", ")})`,
    );
  }

  // domain and hosted zone
  let domain: string | undefined;
  if (raw.domain === undefined)
    r.report(key("domain"), "required (the public hostname users open, like meet.example.com)");
  else domain = r.dnsName(key("domain"), raw.domain, "meet.example.com");
  let hostedZone: string | undefined;
  // Pulumi.yaml declares hostedZone with the default "" (a declared key without default is required)
  if (raw.hostedZone !== undefined && raw.hostedZone !== "") {
    hostedZone = r.dnsName(key("hostedZone"), raw.hostedZone, "example.com");
    if (hostedZone && domain && domain !== hostedZone && !domain.endsWith(`.${hostedZone}`)) {
      r.report(key("hostedZone"), `${hostedZone} does not contain ${key("domain")} (${domain})`);
    }
  }

  const regions = readRegions(r, raw.regions);
  // Rules that look across keys judge what the operator wrote, not what survived validation, so
  // that one mistake is reported once: a shard naming a region whose settings are broken is not
  // also told that the region does not exist. Undefined: the regions key itself is broken.
  const rawRegions = isPlainObject(raw.regions) && Object.keys(raw.regions).length > 0 ? raw.regions : undefined;
  const declared = rawRegions ? Object.keys(rawRegions).filter((name) => REGION_CODE.test(name)) : undefined;
  const shards = readShards(r, raw.shards, declared);
  const octo = readOcto(r, raw.octo, declared);

  if (rawRegions && declared && Object.values(rawRegions).every(isPlainObject)) {
    const specs = declared.map((name) => ({ name, spec: rawRegions[name] as Plain }));
    if (!specs.some(({ spec }) => spec.jvb !== undefined)) {
      r.report(key("regions"), "no region has a jvb pool; at least one region needs bridges");
    }
    if (!specs.some(({ spec }) => spec.edge !== undefined)) {
      r.report(key("regions"), "no region has an edge; at least one region needs HAProxy nodes");
    }
    const shardRegions = new Set(
      (Array.isArray(raw.shards) ? raw.shards : []).map((s) => (isPlainObject(s) ? s.region : undefined)),
    );
    for (const { name, spec } of specs) {
      if (spec.jvb === undefined && spec.edge === undefined && !shardRegions.has(name)) {
        r.report(`${key("regions")}.${name}`, "runs nothing (no jvb, no edge, no shard); give it a role or remove it");
      }
    }
  }

  // judged on what was written: a malformed zone is one problem, not also a missing certificate
  const zoneGiven = raw.hostedZone !== undefined && raw.hostedZone !== "";
  const certificateArns = readCertificateArns(r, raw.certificateArns, zoneGiven, rawRegions, domain);

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { domain: domain!, ...(hostedZone ? { hostedZone } : {}), certificateArns, regions, shards, octo };
}

function readRegions(r: Reader, value: unknown): Record<string, RegionSettings> {
  const path = `${NAMESPACE}:regions`;
  const regions: Record<string, RegionSettings> = {};
  if (value === undefined) {
    r.report(path, "required (a map from AWS region code to { cidr, jvb?, edge? })");
    return regions;
  }
  if (!isPlainObject(value)) {
    r.report(path, "must be a map from AWS region code to { cidr, jvb?, edge? }");
    return regions;
  }
  const names = Object.keys(value);
  if (names.length === 0) r.report(path, "at least one region is required");

  const blocks: { name: string; block: NonNullable<ReturnType<typeof parseCidr>>["block"] }[] = [];
  for (const name of names) {
    const at = `${path}.${name}`;
    if (!REGION_CODE.test(name)) {
      r.report(at, "not an AWS region code (like eu-west-1)");
      continue;
    }
    const spec = r.object(at, value[name], REGION_KEYS, "an object ({ cidr, jvb?, edge? })");
    if (!spec) continue;

    const cidr = readVpcCidr(r, `${at}.cidr`, spec.cidr);
    if (cidr) {
      for (const other of blocks) {
        if (overlaps(other.block, cidr)) {
          r.report(
            `${at}.cidr`,
            `${formatCidr(cidr)} overlaps ${path}.${other.name}.cidr (${formatCidr(other.block)})`,
          );
        }
      }
      blocks.push({ name, block: cidr });
    }
    const availabilityZones = r.integer(
      `${at}.availabilityZones`,
      spec.availabilityZones,
      DEFAULTS.availabilityZones,
      LIMITS.availabilityZones,
    );
    const jvb = spec.jvb === undefined ? undefined : readJvb(r, `${at}.jvb`, spec.jvb);
    const edge = spec.edge === undefined ? undefined : readEdge(r, `${at}.edge`, spec.edge);
    let protect: boolean | undefined;
    if (spec.protect !== undefined) {
      if (typeof spec.protect === "boolean") protect = spec.protect;
      else r.report(`${at}.protect`, `must be true or false (got ${show(spec.protect)})`);
    }
    regions[name] = {
      cidr: cidr ? formatCidr(cidr) : "",
      availabilityZones,
      ...(jvb ? { jvb } : {}),
      ...(edge ? { edge } : {}),
      ...(protect !== undefined ? { protect } : {}),
    };
  }
  return regions;
}

function readVpcCidr(r: Reader, path: string, value: unknown) {
  if (value === undefined) {
    r.report(path, "required (a private IPv4 range such as 10.10.0.0/16)");
    return undefined;
  }
  const parsed = typeof value === "string" ? parseCidr(value) : undefined;
  if (!parsed) {
    r.report(path, `${show(value)} is not an IPv4 CIDR block (like 10.10.0.0/16)`);
    return undefined;
  }
  const { block, address } = parsed;
  let ok = true;
  if (address !== block.base) {
    r.report(path, `${show(value)} has host bits set (the block would be ${formatCidr(block)})`);
    ok = false;
  }
  if (block.prefix < LIMITS.vpcPrefix.largest) {
    r.report(path, `/${block.prefix} is too large: AWS allows no VPC range larger than a /${LIMITS.vpcPrefix.largest}`);
    ok = false;
  } else if (block.prefix > LIMITS.vpcPrefix.smallest) {
    r.report(
      path,
      `/${block.prefix} is too small: the range must be a /${LIMITS.vpcPrefix.smallest} or larger (prefix at most ${LIMITS.vpcPrefix.smallest}) so that every availability zone gets a /26 subnet`,
    );
    ok = false;
  }
  if (!PRIVATE_RANGES.some((range) => contains(range, block))) {
    r.report(path, `${formatCidr(block)} is not a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)`);
    ok = false;
  }
  return ok ? block : undefined;
}

function readJvb(r: Reader, path: string, value: unknown): JvbSettings | undefined {
  const spec = r.object(path, value, JVB_KEYS);
  if (!spec) return undefined;
  const instanceType = r.instanceType(`${path}.instanceType`, spec.instanceType, DEFAULTS.jvb.instanceType);
  const minSize = r.integer(`${path}.minSize`, spec.minSize, DEFAULTS.jvb.minSize, LIMITS.jvbSize);
  let maxSize = r.integer(`${path}.maxSize`, spec.maxSize, Math.max(DEFAULTS.jvb.maxSize, minSize), LIMITS.jvbMaxSize);
  if (maxSize < minSize) {
    r.report(`${path}.maxSize`, `must be at least minSize (${minSize})`);
    maxSize = minSize;
  }
  const targetStress = r.decimal(
    `${path}.targetStress`,
    spec.targetStress,
    DEFAULTS.jvb.targetStress,
    LIMITS.targetStress,
  );
  const gracefulShutdownMinutes = r.integer(
    `${path}.gracefulShutdownMinutes`,
    spec.gracefulShutdownMinutes,
    DEFAULTS.jvb.gracefulShutdownMinutes,
    LIMITS.gracefulShutdownMinutes,
  );
  const spot = spec.spot === undefined ? undefined : readSpot(r, `${path}.spot`, spec.spot, instanceType);
  return { instanceType, minSize, maxSize, targetStress, gracefulShutdownMinutes, ...(spot ? { spot } : {}) };
}

function readSpot(r: Reader, path: string, value: unknown, instanceType: string): SpotSettings | undefined {
  const spec = r.object(path, value, SPOT_KEYS, "an object ({ onDemandBase?, instanceTypes? })");
  if (!spec) return undefined;
  const onDemandBase = r.integer(
    `${path}.onDemandBase`,
    spec.onDemandBase,
    DEFAULTS.jvb.spot.onDemandBase,
    LIMITS.spotOnDemandBase,
  );
  const instanceTypes: string[] = [];
  if (spec.instanceTypes !== undefined) {
    if (!Array.isArray(spec.instanceTypes) || spec.instanceTypes.length > LIMITS.spotInstanceTypes.max) {
      r.report(`${path}.instanceTypes`, `must be a list of at most ${LIMITS.spotInstanceTypes.max} EC2 instance types`);
    } else {
      spec.instanceTypes.forEach((t, i) => {
        const at = `${path}.instanceTypes[${i}]`;
        if (typeof t !== "string" || !INSTANCE_TYPE.test(t)) {
          r.report(at, `${show(t)} is not an EC2 instance type (like ${instanceType})`);
          return;
        }
        const type = t;
        // one launch template, one image: every type must run the pool's architecture
        if (architectureOf(type) !== architectureOf(instanceType)) {
          r.report(
            at,
            `${type} is ${architectureOf(type)} but instanceType ${instanceType} is ${architectureOf(instanceType)}; a pool boots one image`,
          );
        } else if (!instanceTypes.includes(type)) instanceTypes.push(type);
      });
    }
  }
  return { onDemandBase, instanceTypes };
}

function readEdge(r: Reader, path: string, value: unknown): EdgeSettings | undefined {
  const spec = r.object(path, value, EDGE_KEYS);
  if (!spec) return undefined;
  return {
    nodes: r.integer(`${path}.nodes`, spec.nodes, DEFAULTS.edge.nodes, LIMITS.edgeNodes),
    instanceType: r.instanceType(`${path}.instanceType`, spec.instanceType, DEFAULTS.edge.instanceType),
  };
}

/** `regionNames`: the declared region codes, or undefined when jitsi:regions is itself broken. */
function readShards(r: Reader, value: unknown, regionNames: readonly string[] | undefined): ShardSettings[] {
  const path = `${NAMESPACE}:shards`;
  const shards: ShardSettings[] = [];
  if (value === undefined) {
    r.report(path, "required (a list of { name, region }, one signalling node each)");
    return shards;
  }
  if (!Array.isArray(value)) {
    r.report(path, "must be a list of { name, region }, one signalling node each");
    return shards;
  }
  if (value.length === 0) r.report(path, "at least one shard is required");

  const firstByName = new Map<string, number>();
  value.forEach((item, i) => {
    const at = `${path}[${i}]`;
    const spec = r.object(at, item, SHARD_KEYS, "an object ({ name, region })");
    if (!spec) return;
    let name: string | undefined;
    if (spec.name === undefined) r.report(`${at}.name`, "required");
    else if (typeof spec.name !== "string" || !SHARD_NAME.test(spec.name)) {
      r.report(
        `${at}.name`,
        `${show(spec.name)} is not DNS-safe (lower-case letters, digits and hyphens, starting with a letter, not ending with a hyphen, at most ${LIMITS.shardNameLength} characters)`,
      );
    } else if (firstByName.has(spec.name)) {
      r.report(`${at}.name`, `${show(spec.name)} is already the name of ${path}[${firstByName.get(spec.name)}]`);
    } else {
      name = spec.name;
      firstByName.set(name, i);
    }
    let region: string | undefined;
    if (spec.region === undefined) r.report(`${at}.region`, "required");
    else if (typeof spec.region !== "string" || (regionNames && !regionNames.includes(spec.region))) {
      r.report(`${at}.region`, `${show(spec.region)} is not in ${NAMESPACE}:regions (${regionNames?.join(", ")})`);
    } else region = spec.region;
    const instanceType = r.instanceType(`${at}.instanceType`, spec.instanceType, DEFAULTS.shard.instanceType);
    let state: ShardState = DEFAULTS.shard.state;
    if (spec.state !== undefined) {
      if ((SHARD_STATES as readonly unknown[]).includes(spec.state)) state = spec.state as ShardState;
      else r.report(`${at}.state`, `must be ${SHARD_STATES.join(" or ")} (got ${show(spec.state)})`);
    }
    if (name && region) shards.push({ name, region, instanceType, state });
  });
  if (value.length > 0 && shards.length === value.length && shards.every((s) => s.state === "drain")) {
    r.report(path, "every shard is set to drain; at least one must be ready to take new rooms");
  }
  return shards;
}

function readOcto(r: Reader, value: unknown, regionNames: readonly string[] | undefined): OctoSettings {
  const path = `${NAMESPACE}:octo`;
  const d = DEFAULTS.octo;
  if (value === undefined) return { ...d, regionGroups: [] };
  const spec = r.object(path, value, OCTO_KEYS);
  if (!spec) return { ...d, regionGroups: [] };

  let selectionStrategy: SelectionStrategy = d.selectionStrategy;
  if (spec.selectionStrategy !== undefined) {
    if ((SELECTION_STRATEGIES as readonly unknown[]).includes(spec.selectionStrategy)) {
      selectionStrategy = spec.selectionStrategy as SelectionStrategy;
    } else {
      r.report(
        `${path}.selectionStrategy`,
        `${show(spec.selectionStrategy)} is not one of ${SELECTION_STRATEGIES.join(", ")}`,
      );
    }
  }

  const regionGroups: string[][] = [];
  if (spec.regionGroups !== undefined) {
    const groupsPath = `${path}.regionGroups`;
    if (!Array.isArray(spec.regionGroups) || !spec.regionGroups.every(Array.isArray)) {
      r.report(groupsPath, "must be a list of lists of region codes, like [[eu-west-1, eu-central-1], [us-east-1]]");
    } else {
      const groupOf = new Map<string, number>();
      (spec.regionGroups as unknown[][]).forEach((group, g) => {
        const names: string[] = [];
        group.forEach((region, i) => {
          const at = `${groupsPath}[${g}][${i}]`;
          if (typeof region !== "string" || (regionNames && !regionNames.includes(region))) {
            r.report(at, `${show(region)} is not in ${NAMESPACE}:regions (${regionNames?.join(", ")})`);
          } else if (groupOf.has(region)) {
            // jicofo maps a region to one group; a second membership would be silently ignored
            const first = groupOf.get(region);
            r.report(
              at,
              first === g
                ? `${region} is listed twice in ${groupsPath}[${g}]`
                : `${region} is already in ${groupsPath}[${first}]`,
            );
          } else {
            groupOf.set(region, g);
            names.push(region);
          }
        });
        if (group.length === 0) r.report(`${groupsPath}[${g}]`, "is empty");
        regionGroups.push(names);
      });
    }
  }

  const maxBridgeParticipants = r.integer(
    `${path}.maxBridgeParticipants`,
    spec.maxBridgeParticipants,
    d.maxBridgeParticipants,
    LIMITS.maxBridgeParticipants,
  );
  return { selectionStrategy, regionGroups, maxBridgeParticipants };
}

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;

/**
 * The edge's TLS listeners need a certificate for the domain in each edge region: issued by the
 * stack through the hosted zone, or given here when there is no zone.
 */
function readCertificateArns(
  r: Reader,
  value: unknown,
  hostedZone: boolean,
  rawRegions: Plain | undefined,
  domain: string | undefined,
): Record<string, string> {
  const path = `${NAMESPACE}:certificateArns`;
  const edgeRegions = rawRegions
    ? Object.keys(rawRegions).filter(
        (n) => REGION_CODE.test(n) && isPlainObject(rawRegions[n]) && (rawRegions[n] as Plain).edge !== undefined,
      )
    : [];
  if (value !== undefined && hostedZone) {
    r.report(
      path,
      `not used with ${NAMESPACE}:hostedZone (the stack has certificates issued through the zone); remove one of them`,
    );
    return {};
  }
  if (value === undefined) {
    if (!hostedZone && edgeRegions.length > 0) {
      r.report(
        path,
        `required without ${NAMESPACE}:hostedZone: an issued ACM certificate for ${domain ?? "the domain"} in each edge region (${edgeRegions.join(", ")}), or set ${NAMESPACE}:hostedZone to have them issued`,
      );
    }
    return {};
  }
  if (!isPlainObject(value)) {
    r.report(path, `must be a map from edge region to certificate ARN (got ${show(value)})`);
    return {};
  }
  const arns: Record<string, string> = {};
  for (const [region, arn] of Object.entries(value)) {
    const at = `${path}.${region}`;
    const match = typeof arn === "string" ? CERTIFICATE_ARN.exec(arn) : null;
    if (!edgeRegions.includes(region))
      r.report(at, `${region} is not an edge region (${edgeRegions.join(", ") || "none configured"})`);
    else if (!match) r.report(at, `${show(arn)} is not an ACM certificate ARN`);
    else if (match[1] !== region)
      r.report(at, `the certificate is in ${match[1]}; a load balancer in ${region} needs one from ${region}`);
    else arns[region] = arn as string;
  }
  for (const region of edgeRegions) {
    if (!(region in (value as Plain))) r.report(path, `no certificate for edge region ${region}`);
  }
  return arns;
}
