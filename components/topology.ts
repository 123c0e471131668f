// From validated settings to everything the components need: regions and their roles, subnets,
// the peering mesh, shard ids, relay regions. Pure: no Pulumi import, so it is tested directly.

import type { EdgeSettings, JvbSettings, OctoSettings, Settings, ShardState } from "./config";
import { formatAddress, formatCidr, parseCidr, subnet } from "./ipv4";

/**
 * Each region's VPC range is cut into 16 equal slices; availability zone i gets public slice i.
 * The slices after the last AZ stay free for later subnet kinds, so adding an AZ never moves an
 * existing subnet.
 */
export const SUBNET_NEW_BITS = 4;

export type RegionRole = "signalling" | "bridges" | "edge";

export interface SubnetPlan {
  /** Index of the availability zone (0-based, in the order AWS lists the region's zones). */
  readonly azIndex: number;
  readonly cidr: string;
}

export interface ShardPlan {
  /** The configured name. */
  readonly name: string;
  /**
   * Stable id used wherever the shard is named to Jitsi and HAProxy (server name, prosody
   * `shard_name`, the bridges' muc-client id): `<region>-<name>`, so logs say where it lives.
   */
  readonly id: string;
  readonly region: string;
  readonly instanceType: string;
  readonly state: ShardState;
  /**
   * The subnet (zone) of its node: a hash of its name over the region's zones, so that adding or
   * removing another shard never moves it (changing the region's zone count may).
   */
  readonly subnetIndex: number;
}

/** One HAProxy node of an edge region. */
export interface EdgeNodePlan {
  /** Peer name, unique across regions: `<region>-edge-<n>`. */
  readonly name: string;
  /** `edge-<n>`: the node's folder in the plan and its `Node` tag. */
  readonly node: string;
  readonly region: string;
  /** Which of the region's subnets (and so availability zones) it lives in: n modulo the zones. */
  readonly subnetIndex: number;
  /**
   * Its fixed private address, so that every peer's configuration can name it before it exists:
   * the 21st address of its subnet onwards (AWS reserves the first four).
   */
  readonly address: string;
}

export interface RegionPlan {
  readonly name: string;
  readonly cidr: string;
  readonly subnets: readonly SubnetPlan[];
  /** What runs here, in a fixed order. */
  readonly roles: readonly RegionRole[];
  readonly jvb?: JvbSettings;
  readonly edge?: EdgeSettings;
  /** Shards whose signalling node lives here. */
  readonly shards: readonly ShardPlan[];
  /** HAProxy nodes, spread over the region's zones (empty without an edge). */
  readonly edgeNodes: readonly EdgeNodePlan[];
  /**
   * Whether its shard nodes and load balancer carry Pulumi's `protect`: as configured, else on
   * when the region holds a shard or an edge (what other regions and users rely on).
   */
  readonly protect: boolean;
}

export type PeeringReason = "bridges-to-signalling" | "edge-to-signalling" | "edge-to-edge";

/** A VPC peering between two regions; `requester` < `accepter` in name order. */
export interface PeeringPlan {
  readonly requester: string;
  readonly accepter: string;
  readonly reasons: readonly PeeringReason[];
}

export interface Topology {
  readonly domain: string;
  readonly hostedZone?: string;
  /** Sorted by region code, so that reordering the config changes nothing. */
  readonly regions: readonly RegionPlan[];
  readonly shards: readonly ShardPlan[];
  readonly peerings: readonly PeeringPlan[];
  /** Regions with bridges: every pair of them may relay media. */
  readonly relayRegions: readonly string[];
  /** Regions with edge nodes: users' regions as prosody and jicofo see them (X-Proxy-Region). */
  readonly edgeRegions: readonly string[];
  /** Every HAProxy node of every region, sorted by name: each one's peers. */
  readonly edgeNodes: readonly EdgeNodePlan[];
  /** Issued certificates by edge region, when there is no hosted zone. */
  readonly certificateArns: Readonly<Record<string, string>>;
  readonly octo: OctoSettings;
}

export function regionSubnets(cidr: string, availabilityZones: number): SubnetPlan[] {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`not a CIDR block: ${cidr}`);
  return Array.from({ length: availabilityZones }, (_, azIndex) => ({
    azIndex,
    cidr: formatCidr(subnet(parsed.block, SUBNET_NEW_BITS, azIndex)),
  }));
}

export function edgeNodes(region: string, subnets: readonly SubnetPlan[], count: number): EdgeNodePlan[] {
  return Array.from({ length: count }, (_, n) => {
    const subnetIndex = n % subnets.length;
    const block = parseCidr(subnets[subnetIndex].cidr)!.block;
    const address = formatAddress(block.base + 20 + Math.floor(n / subnets.length));
    return { name: `${region}-edge-${n}`, node: `edge-${n}`, region, subnetIndex, address };
  });
}

/** FNV-1a (32 bit) of a string: small, stable across runs and machines. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function shardId(region: string, name: string): string {
  return `${region}-${name}`;
}

/**
 * The pairs of regions whose private networks must reach each other. Bridges connect to every
 * shard's prosody (XMPP 5222); edge nodes reach every shard's nginx; edge nodes share their stick
 * table with each other. Bridge-to-bridge relay uses public addresses and needs no peering.
 */
export function peeringPairs(regions: readonly { name: string; roles: readonly RegionRole[] }[]): PeeringPlan[] {
  const has = (role: RegionRole) => regions.filter((r) => r.roles.includes(role)).map((r) => r.name);
  const pairs = new Map<string, { requester: string; accepter: string; reasons: Set<PeeringReason> }>();
  const add = (a: string, b: string, reason: PeeringReason) => {
    if (a === b) return;
    const [requester, accepter] = a < b ? [a, b] : [b, a];
    const key = `${requester} ${accepter}`;
    const pair = pairs.get(key) ?? { requester, accepter, reasons: new Set<PeeringReason>() };
    pair.reasons.add(reason);
    pairs.set(key, pair);
  };
  const signalling = has("signalling");
  const edges = has("edge");
  for (const s of signalling) {
    for (const b of has("bridges")) add(b, s, "bridges-to-signalling");
    for (const e of edges) add(e, s, "edge-to-signalling");
  }
  for (const e of edges) for (const f of edges) add(e, f, "edge-to-edge");
  const order: PeeringReason[] = ["bridges-to-signalling", "edge-to-signalling", "edge-to-edge"];
  return [...pairs.values()]
    .sort((x, y) => (x.requester === y.requester ? cmp(x.accepter, y.accepter) : cmp(x.requester, y.requester)))
    .map((p) => ({ requester: p.requester, accepter: p.accepter, reasons: order.filter((o) => p.reasons.has(o)) }));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function buildTopology(settings: Settings): Topology {
  const shards: ShardPlan[] = settings.shards.map((s) => ({
    name: s.name,
    id: shardId(s.region, s.name),
    region: s.region,
    instanceType: s.instanceType,
    state: s.state,
    subnetIndex: stableHash(s.name) % settings.regions[s.region].availabilityZones,
  }));
  const regions: RegionPlan[] = Object.keys(settings.regions)
    .sort(cmp)
    .map((name) => {
      const spec = settings.regions[name];
      const here = shards.filter((s) => s.region === name);
      const roles: RegionRole[] = [];
      if (here.length > 0) roles.push("signalling");
      if (spec.jvb) roles.push("bridges");
      if (spec.edge) roles.push("edge");
      const subnets = regionSubnets(spec.cidr, spec.availabilityZones);
      return {
        name,
        cidr: spec.cidr,
        subnets,
        roles,
        ...(spec.jvb ? { jvb: spec.jvb } : {}),
        ...(spec.edge ? { edge: spec.edge } : {}),
        shards: here,
        edgeNodes: spec.edge ? edgeNodes(name, subnets, spec.edge.nodes) : [],
        protect: spec.protect ?? (here.length > 0 || spec.edge !== undefined),
      };
    });
  return {
    domain: settings.domain,
    ...(settings.hostedZone ? { hostedZone: settings.hostedZone } : {}),
    regions,
    shards,
    peerings: peeringPairs(regions),
    relayRegions: regions.filter((r) => r.jvb).map((r) => r.name),
    edgeRegions: regions.filter((r) => r.edge).map((r) => r.name),
    edgeNodes: regions.flatMap((r) => r.edgeNodes),
    certificateArns: settings.certificateArns,
    octo: settings.octo,
  };
}
