// Pure parsers for everything the smoke check reads: the stack's outputs, EC2's and SSM's answers, and what the
// node scripts (smoke-commands.ts) print: jicofo's /debug JSON, the drain switch, HAProxy's `show servers state` or
// `show stat` CSV. No I/O here; every function takes text or plain objects and is tested on recorded answers
// (test/fixtures/smoke/).

import { MISSING_STATE } from "./smoke-commands";

// ---------------------------------------------------------------------------------------------------------------
// Stack outputs

export interface ShardTarget {
  readonly id: string;
  readonly region: string;
  readonly instanceId: string;
  /** The state the stack gives the shard (`jitsi:shards[].state`): `drain` is rendered as weight 0 at the edge. */
  readonly stackState: string;
}

export interface EdgeTarget {
  readonly region: string;
  readonly instanceId: string;
  /** The node's label: its Node tag (`edge-<n>`) or name. */
  readonly node: string;
  /** EC2 instance state (`running`, `pending`, ...); undefined when unknown (taken from an output). */
  readonly state?: string;
  readonly privateIp?: string;
}

/** An edge node the stack's `edges` output names (`<region>-edge-<n>` at its fixed private address). */
export interface ExpectedEdgeNode {
  readonly region: string;
  readonly name: string;
  readonly address?: string;
}

export interface SmokeTargets {
  readonly domain?: string;
  /** Every region of the stack. */
  readonly regions: readonly string[];
  readonly shards: readonly ShardTarget[];
  /** Regions with a bridge pool: every shard must see a bridge in each. */
  readonly bridgeRegions: readonly string[];
  /** Regions with an edge. */
  readonly edgeRegions: readonly string[];
  /** The edge nodes the `edges` output lists (empty when the stack has no such output). */
  readonly expectedEdgeNodes: readonly ExpectedEdgeNode[];
  /** Edge nodes with their instances, when the outputs name the instances; undefined: find them with EC2 (tags). */
  readonly edgeNodes?: readonly EdgeTarget[];
}

export class OutputsError extends Error {}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The `edges` output: per edge region `{ loadBalancer, nodes: [{ name, address }], dnsRecord }`. Returns the nodes,
 * and EdgeTargets too if every node also carries an `instanceId` (the output has none today: EC2 finds them).
 */
function edgesFrom(value: unknown): { expected: ExpectedEdgeNode[]; targets?: EdgeTarget[] } {
  const expected: ExpectedEdgeNode[] = [];
  const targets: EdgeTarget[] = [];
  if (!isObject(value)) return { expected };
  for (const [region, edge] of Object.entries(value)) {
    const nodes = isObject(edge) && Array.isArray(edge.nodes) ? edge.nodes : [];
    for (const node of nodes) {
      if (!isObject(node) || !str(node.name)) continue;
      const name = node.name as string;
      expected.push({ region, name, address: str(node.address) });
      const instanceId = str(node.instanceId);
      if (instanceId) {
        const label = name.startsWith(`${region}-`) ? name.slice(region.length + 1) : name;
        targets.push({ region, instanceId, node: label, privateIp: str(node.address) });
      }
    }
  }
  return { expected, targets: expected.length > 0 && targets.length === expected.length ? targets : undefined };
}

/**
 * What the smoke check needs from `pulumi stack output --json`: `shardNodes` (per shard id: region, instanceId),
 * `shards` (id, region, state), `regions` (region, roles), `bridgePools` (per region), `edges` (per edge region: its
 * nodes), `domain`. Throws OutputsError naming what is missing.
 */
export function parseStackOutputs(outputs: unknown): SmokeTargets {
  if (!isObject(outputs)) throw new OutputsError("the stack outputs are not a JSON object");
  const shardNodes = outputs.shardNodes;
  if (!isObject(shardNodes)) {
    throw new OutputsError("the stack outputs have no `shardNodes` (has the stack been deployed with this program?)");
  }
  const states = new Map<string, string>();
  if (Array.isArray(outputs.shards)) {
    for (const s of outputs.shards) if (isObject(s) && str(s.id)) states.set(s.id as string, str(s.state) ?? "ready");
  }
  const shards: ShardTarget[] = Object.entries(shardNodes)
    .map(([id, node]) => {
      if (!isObject(node) || !str(node.region) || !str(node.instanceId)) {
        throw new OutputsError(`shardNodes.${id} has no region or instanceId`);
      }
      return {
        id,
        region: node.region as string,
        instanceId: node.instanceId as string,
        stackState: states.get(id) ?? "ready",
      };
    })
    .sort((a, b) => byCodeUnits(a.id, b.id));

  const roles = new Map<string, string[]>();
  if (Array.isArray(outputs.regions)) {
    for (const r of outputs.regions) {
      if (isObject(r) && str(r.region)) {
        roles.set(r.region as string, Array.isArray(r.roles) ? r.roles.filter((x) => typeof x === "string") : []);
      }
    }
  }
  const withRole = (role: string) => [...roles].filter(([, rs]) => rs.includes(role)).map(([name]) => name);
  const pools = isObject(outputs.bridgePools) ? Object.keys(outputs.bridgePools) : [];
  const edges = edgesFrom(outputs.edges);
  const edgeKeys = isObject(outputs.edges) ? Object.keys(outputs.edges) : [];
  const bridgeRegions = [...new Set([...pools, ...withRole("bridges")])].sort(byCodeUnits);
  const edgeRegions = [...new Set([...withRole("edge"), ...edgeKeys])].sort(byCodeUnits);
  const regions = [
    ...new Set([...roles.keys(), ...shards.map((s) => s.region), ...bridgeRegions, ...edgeRegions]),
  ].sort(byCodeUnits);
  return {
    domain: str(outputs.domain),
    regions,
    shards,
    bridgeRegions,
    edgeRegions,
    expectedEdgeNodes: edges.expected,
    edgeNodes: edges.targets,
  };
}

/**
 * The expected edge nodes that no found instance stands for: none with the node's fixed address, nor with a Node tag
 * matching its name (`<region>-<Node tag>`).
 */
export function missingEdgeNodes(
  expected: readonly ExpectedEdgeNode[],
  found: readonly EdgeTarget[],
): ExpectedEdgeNode[] {
  return expected.filter(
    (e) =>
      !found.some(
        (f) =>
          f.region === e.region &&
          ((e.address !== undefined && f.privateIp === e.address) || `${f.region}-${f.node}` === e.name),
      ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// EC2 and SSM answers (the SDK's response shapes, only the fields read here)

export interface DescribeInstancesAnswer {
  readonly Reservations?: readonly {
    readonly Instances?: readonly {
      readonly InstanceId?: string;
      readonly PrivateIpAddress?: string;
      readonly State?: { readonly Name?: string };
      readonly Tags?: readonly { readonly Key?: string; readonly Value?: string }[];
    }[];
  }[];
  readonly NextToken?: string;
}

/** The edge instances of one DescribeInstances page, sorted by node label. Terminated instances are left out. */
export function edgeInstancesFrom(region: string, answer: DescribeInstancesAnswer): EdgeTarget[] {
  const nodes: EdgeTarget[] = [];
  for (const reservation of answer.Reservations ?? []) {
    for (const instance of reservation.Instances ?? []) {
      const state = instance.State?.Name;
      if (!instance.InstanceId || state === "terminated" || state === "shutting-down") continue;
      const tag = (key: string) => instance.Tags?.find((t) => t.Key === key)?.Value;
      nodes.push({
        region,
        instanceId: instance.InstanceId,
        node: tag("Node") ?? tag("Name") ?? instance.InstanceId,
        state,
        privateIp: instance.PrivateIpAddress,
      });
    }
  }
  return nodes.sort((a, b) => byCodeUnits(a.node, b.node) || byCodeUnits(a.instanceId, b.instanceId));
}

export interface InvocationAnswer {
  readonly Status?: string;
  readonly StatusDetails?: string;
  readonly ResponseCode?: number;
  readonly StandardOutputContent?: string;
  readonly StandardErrorContent?: string;
}

export type Invocation =
  | { readonly done: false }
  | { readonly done: true; readonly ok: boolean; readonly stdout: string; readonly detail: string };

/** GetCommandInvocation statuses after which nothing changes any more. */
const TERMINAL = new Set(["Success", "Failed", "Cancelled", "TimedOut"]);

/**
 * One GetCommandInvocation answer: not done yet (Pending, InProgress, Delayed, Cancelling), or done with its
 * standard output. `ok` is Success; a script that ran and failed still has output worth reading.
 */
export function invocationFrom(answer: InvocationAnswer): Invocation {
  const status = answer.Status ?? "Pending";
  if (!TERMINAL.has(status)) return { done: false };
  const details = answer.StatusDetails && answer.StatusDetails !== status ? ` (${answer.StatusDetails})` : "";
  const stderr = (answer.StandardErrorContent ?? "").trim().split("\n")[0];
  return {
    done: true,
    ok: status === "Success",
    stdout: answer.StandardOutputContent ?? "",
    detail:
      `${status}${details}` +
      (answer.ResponseCode !== undefined && answer.ResponseCode !== 0 ? `, exit ${answer.ResponseCode}` : "") +
      (stderr ? `: ${stderr}` : ""),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// What the node scripts print

/** `### <name>` sections of a script's output, each with its text (trailing newlines removed). */
export function splitSections(stdout: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (name !== undefined) sections.set(name, lines.join("\n").replace(/\n+$/, ""));
  };
  for (const line of stdout.split("\n")) {
    const header = /^### ([a-z0-9-]+)$/.exec(line.replace(/\r$/, ""));
    if (header) {
      flush();
      name = header[1];
      lines = [];
    } else if (name !== undefined) {
      lines.push(line);
    }
  }
  flush();
  return sections;
}

/** An HTTP status code as curl's `-w '%{http_code}'` prints it; 0 for curl's `000` (no answer). */
export function parseHttpStatus(text: string | undefined): number | undefined {
  const match = /^\s*(\d{3})\s*$/.exec(text ?? "");
  return match ? Number(match[1]) : undefined;
}

/** The drain switch's state file: `ready`, `drain`, anything else as written, or undefined when missing. */
export function parseShardStatus(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const value = text.trim();
  if (value === MISSING_STATE) return undefined;
  return value === "" ? "(empty)" : value.split(/\s+/)[0];
}

/** One bridge as jicofo's bridge selector sees it (Bridge.debugState). */
export interface JicofoBridge {
  /** Its JID in the brewery: `jvbbrewery@internal.auth.<domain>/<muc_nickname>`. */
  readonly jid: string;
  /** From the `region` stat of its presence; undefined when it sent none (jicofo prints "null"). */
  readonly region?: string;
  readonly operational: boolean;
  readonly healthy: boolean;
  readonly drain: boolean;
  readonly gracefulShutdown: boolean;
  readonly shuttingDown: boolean;
}

export interface JicofoBridges {
  readonly strategy?: string;
  readonly bridges: readonly JicofoBridge[];
}

/**
 * jicofo's `GET /debug` (JicofoServices.getDebugState: `bridge_selector` is BridgeSelector.debugState, `{ strategy,
 * bridge: { <jid>: Bridge.debugState } }`), whole or as the node script trims it. Throws on anything else.
 */
export function parseJicofoBridges(input: string | unknown): JicofoBridges {
  let json: unknown = input;
  if (typeof input === "string") {
    try {
      json = JSON.parse(input);
    } catch {
      const head = input.trim().slice(0, 120);
      throw new Error(`jicofo /debug is not JSON${head ? `: ${head}` : " (empty)"}`);
    }
  }
  if (!isObject(json) || !isObject(json.bridge_selector)) throw new Error("jicofo /debug has no bridge_selector");
  const selector = json.bridge_selector;
  const bridgeMap = selector.bridge === undefined || selector.bridge === null ? {} : selector.bridge;
  if (!isObject(bridgeMap)) throw new Error("jicofo /debug: bridge_selector.bridge is not an object");
  const flag = (state: Record<string, unknown>, key: string, otherwise: boolean) =>
    typeof state[key] === "boolean" ? (state[key] as boolean) : otherwise;
  const bridges = Object.entries(bridgeMap)
    .map(([jid, state]): JicofoBridge => {
      const s = isObject(state) ? state : {};
      const region = str(s.region);
      return {
        jid,
        // Bridge.debugState writes region.toString(): "null" when the bridge reported none.
        region: region === "null" ? undefined : region,
        operational: flag(s, "operational", false),
        healthy: flag(s, "healthy", false),
        drain: flag(s, "drain", false),
        gracefulShutdown: flag(s, "graceful-shutdown", false),
        shuttingDown: flag(s, "shutting-down", false),
      };
    })
    .sort((a, b) => byCodeUnits(a.jid, b.jid));
  return { strategy: str(selector.strategy), bridges };
}

/** A bridge jicofo would pick for a new conference: operational, healthy, not draining or shutting down. */
export function bridgeUsable(bridge: JicofoBridge): boolean {
  return bridge.operational && bridge.healthy && !bridge.drain && !bridge.gracefulShutdown && !bridge.shuttingDown;
}

export interface BridgeCount {
  /** Bridges jicofo would use for new conferences. */
  readonly usable: number;
  /** All bridges jicofo lists in the region (draining, shutting down, failing included). */
  readonly total: number;
}

/**
 * Bridges per region: every expected region (0 when none), plus any other region a bridge reported (a bridge
 * without a region is counted under "?").
 */
export function countBridgesByRegion(
  bridges: readonly JicofoBridge[],
  expectedRegions: readonly string[],
): Map<string, BridgeCount> {
  const counts = new Map<string, { usable: number; total: number }>();
  for (const region of expectedRegions) counts.set(region, { usable: 0, total: 0 });
  for (const bridge of bridges) {
    const key = bridge.region ?? "?";
    const count = counts.get(key) ?? { usable: 0, total: 0 };
    count.total += 1;
    if (bridgeUsable(bridge)) count.usable += 1;
    counts.set(key, count);
  }
  return new Map([...counts].sort(([a], [b]) => byCodeUnits(a, b)));
}

// ---------------------------------------------------------------------------------------------------------------
// HAProxy

export type ServerState = "up" | "drain" | "down";

export interface HaproxyServer {
  /** The server's name: the shard id. */
  readonly name: string;
  readonly state: ServerState;
  /** Why, in HAProxy's words (e.g. `DOWN (agent)`, `weight 0`, `L4CON`). */
  readonly detail: string;
}

// include/haproxy/server-t.h (enum srv_state, enum srv_admin), HAProxy 2.6.
const SRV_ST_STOPPED = 0;
const SRV_ST_STOPPING = 3;
/** FMAINT 0x01, IMAINT 0x02, CMAINT 0x04, RMAINT 0x20. */
const SRV_ADMF_ANY_MAINT = 0x27;
/** FDRAIN 0x08, IDRAIN 0x10: what the agent's `drain` and `set server ... state drain` set. */
const SRV_ADMF_DRAIN = 0x18;
/** `srv_check_status` of `show servers state`: enum healthcheck_status (include/haproxy/check-t.h) as HAProxy names it. */
const CHECK_STATUS: Record<number, string> = {
  4: "HANA",
  5: "SOCKERR",
  6: "L4OK",
  7: "L4TOUT",
  8: "L4CON",
  9: "L6OK",
  10: "L6TOUT",
  11: "L6RSP",
  12: "L7TOUT",
  13: "L7RSP",
  15: "L7OK",
  16: "L7OKC",
  17: "L7STS",
};

/**
 * `show servers state <backend>`: a version line (`1`), a `# be_id be_name srv_id srv_name ...` header, one line per
 * server. Down: operational state stopped, or any maintenance flag. Drain: a drain flag (the agent's `up drain`),
 * weight 0 (the stack's `drain`, rendered as `weight 0`), or soft-stopping. Up: otherwise.
 */
export function parseServersState(text: string, backend: string): HaproxyServer[] {
  const lines = text.split("\n").map((l) => l.trim());
  const headerLine = lines.find((l) => l.startsWith("# be_id"));
  if (!headerLine) throw new Error(`not HAProxy's show servers state: ${text.trim().slice(0, 120) || "(empty)"}`);
  const header = headerLine.slice(2).split(/\s+/);
  const col = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0) throw new Error(`show servers state has no ${name} column`);
    return index;
  };
  const [beName, srvName, opState, adminState, uweight, checkStatus] = [
    "be_name",
    "srv_name",
    "srv_op_state",
    "srv_admin_state",
    "srv_uweight",
    "srv_check_status",
  ].map(col);
  const servers: HaproxyServer[] = [];
  for (const line of lines) {
    if (line === "" || line.startsWith("#") || /^\d+$/.test(line)) continue;
    const f = line.split(/\s+/);
    if (f[beName] !== backend) continue;
    const op = Number(f[opState]);
    const admin = Number(f[adminState]);
    const weight = Number(f[uweight]);
    const check = CHECK_STATUS[Number(f[checkStatus])];
    let state: ServerState;
    let detail: string;
    if (admin & SRV_ADMF_ANY_MAINT) {
      [state, detail] = ["down", "MAINT"];
    } else if (op === SRV_ST_STOPPED) {
      [state, detail] = ["down", check ? `DOWN, check ${check}` : "DOWN"];
    } else if (admin & SRV_ADMF_DRAIN) {
      [state, detail] = ["drain", "DRAIN"];
    } else if (weight === 0) {
      [state, detail] = ["drain", "weight 0"];
    } else if (op === SRV_ST_STOPPING) {
      [state, detail] = ["drain", "NOLB"];
    } else {
      [state, detail] = ["up", "UP"];
    }
    servers.push({ name: f[srvName], state, detail });
  }
  return servers;
}

/** One CSV line of HAProxy's stats (no quoting: HAProxy escapes commas out of its fields). */
function csvFields(line: string): string[] {
  return line.split(",");
}

/**
 * `show stat` (runtime API) or the stats page's `;csv`: a `# pxname,svname,...` header and one line per proxy,
 * server, frontend and backend. Only the backend's server lines are read. Down: status DOWN or MAINT (any
 * suffix: `DOWN (agent)`, `DOWN 1/2` going up). Drain: status DRAIN or NOLB, or weight 0 (the stack's `drain`
 * shows as `UP` with weight 0). Up: UP (also `UP 1/3`, going down but still up) and `no check`.
 */
export function parseShowStat(csv: string, backend: string): HaproxyServer[] {
  const lines = csv.split("\n").map((l) => l.replace(/\r$/, ""));
  const headerLine = lines.find((l) => l.startsWith("# pxname"));
  if (!headerLine) throw new Error(`not HAProxy's stats CSV: ${csv.trim().slice(0, 120) || "(empty)"}`);
  const header = csvFields(headerLine.slice(2));
  const col = (name: string) => header.indexOf(name);
  const [px, sv, status, weight, checkStatus] = ["pxname", "svname", "status", "weight", "check_status"].map(col);
  if (px < 0 || sv < 0 || status < 0) throw new Error("stats CSV lacks pxname, svname or status");
  const servers: HaproxyServer[] = [];
  for (const line of lines) {
    if (line === "" || line.startsWith("#")) continue;
    const f = csvFields(line);
    if (f[px] !== backend || f[sv] === "FRONTEND" || f[sv] === "BACKEND") continue;
    const text = f[status] ?? "";
    const check = checkStatus >= 0 && f[checkStatus] ? `, check ${f[checkStatus].replace(/^\* /, "")}` : "";
    let state: ServerState;
    if (/^(DOWN|MAINT)/.test(text)) state = "down";
    else if (/^(DRAIN|NOLB)/.test(text) || (weight >= 0 && f[weight] === "0")) state = "drain";
    else state = "up";
    const detail =
      state === "drain" && /^UP/.test(text) ? `${text}, weight 0` : `${text}${state === "down" ? check : ""}`;
    servers.push({ name: f[sv], state, detail });
  }
  return servers;
}

/** Either of HAProxy's two forms, told apart by their header. */
export function parseHaproxyServers(text: string, backend: string): HaproxyServer[] {
  return /^# pxname/m.test(text) ? parseShowStat(text, backend) : parseServersState(text, backend);
}
