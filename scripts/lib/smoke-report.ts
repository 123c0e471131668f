// The smoke check's verdict and its text: from what each node answered (smoke-parse.ts) to problems, the progress
// line printed while waiting, and the final tables. Pure: no I/O, no clock.

import { EDGE_HEALTH_URI } from "../../components/render/haproxy";
import { SECTIONS } from "./smoke-commands";
import {
  countBridgesByRegion,
  parseHaproxyServers,
  parseHttpStatus,
  parseJicofoBridges,
  parseShardStatus,
  splitSections,
  type BridgeCount,
  type EdgeTarget,
  type HaproxyServer,
  type Invocation,
  type JicofoBridges,
  type ShardTarget,
} from "./smoke-parse";

// ---------------------------------------------------------------------------------------------------------------
// Observations: what one node said, parsed

/** GetCommandInvocation's StandardOutputContent holds at most this many characters. */
export const OUTPUT_LIMIT = 24000;

/** The outcome of running a node script: its invocation, or why it could not run. */
export type NodeOutcome = { readonly invocation: Invocation & { done: true } } | { readonly error: string };

export interface ShardObservation {
  readonly target: ShardTarget;
  /** The command could not run or returned nothing readable. */
  readonly error?: string;
  /** jicofo's /about/health status; 0: no answer. */
  readonly jicofoHealth?: number;
  /** The drain switch (`/etc/jitsi/shard-status`); undefined: the file is missing. */
  readonly switchState?: string;
  readonly bridges?: JicofoBridges;
  readonly bridgesError?: string;
}

export interface EdgeObservation {
  readonly target: EdgeTarget;
  readonly error?: string;
  /** HAProxy's monitor URI status; 0: no answer. */
  readonly haproxyHealth?: number;
  readonly servers?: readonly HaproxyServer[];
  readonly serversError?: string;
}

function outcomeText(outcome: NodeOutcome): { stdout?: string; error?: string } {
  if ("error" in outcome) return { error: outcome.error };
  const { invocation } = outcome;
  if (!invocation.ok && invocation.stdout.trim() === "") return { error: `command ${invocation.detail}` };
  return { stdout: invocation.stdout };
}

function statusText(code: number | undefined): string {
  return code === undefined ? "?" : code === 0 ? "none" : String(code);
}

/** A shard node's script output, parsed; what cannot be read becomes an error of its own. */
export function observeShard(target: ShardTarget, outcome: NodeOutcome): ShardObservation {
  const { stdout, error } = outcomeText(outcome);
  if (stdout === undefined) return { target, error };
  const sections = splitSections(stdout);
  if (!sections.has(SECTIONS.jicofoHealth)) {
    return { target, error: `unexpected output: ${stdout.trim().slice(0, 120) || "(empty)"}` };
  }
  const jicofoHealth = parseHttpStatus(sections.get(SECTIONS.jicofoHealth));
  const switchState = parseShardStatus(sections.get(SECTIONS.shardStatus));
  const debugStatus = parseHttpStatus(sections.get(SECTIONS.jicofoDebugStatus));
  if (debugStatus !== 200) {
    return {
      target,
      jicofoHealth,
      switchState,
      bridgesError: `jicofo /debug answered ${statusText(debugStatus)}`,
    };
  }
  try {
    return {
      target,
      jicofoHealth,
      switchState,
      bridges: parseJicofoBridges(sections.get(SECTIONS.jicofoBridges) ?? ""),
    };
  } catch (err) {
    const truncated = stdout.length >= OUTPUT_LIMIT ? " (Run Command output is cut at 24,000 characters)" : "";
    return { target, jicofoHealth, switchState, bridgesError: `${(err as Error).message}${truncated}` };
  }
}

/** An edge node's script output, parsed. */
export function observeEdge(target: EdgeTarget, outcome: NodeOutcome, backend: string): EdgeObservation {
  const { stdout, error } = outcomeText(outcome);
  if (stdout === undefined) return { target, error };
  const sections = splitSections(stdout);
  if (!sections.has(SECTIONS.haproxyHealth)) {
    return { target, error: `unexpected output: ${stdout.trim().slice(0, 120) || "(empty)"}` };
  }
  const haproxyHealth = parseHttpStatus(sections.get(SECTIONS.haproxyHealth));
  try {
    return {
      target,
      haproxyHealth,
      servers: parseHaproxyServers(sections.get(SECTIONS.haproxyServers) ?? "", backend),
    };
  } catch (err) {
    const first = (err as Error).message.split("\n").slice(0, 3).join(" ").replace(/\s+/g, " ");
    return { target, haproxyHealth, serversError: `runtime API: ${first}` };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Verdict

export interface ShardReport {
  readonly id: string;
  readonly region: string;
  readonly instanceId: string;
  readonly jicofo: string;
  readonly state: string;
  /** Per region: bridges jicofo would use, and all it lists. Undefined when /debug could not be read. */
  readonly bridges?: ReadonlyMap<string, BridgeCount>;
  readonly problems: readonly string[];
  readonly notes: readonly string[];
}

export interface EdgeReport {
  readonly node: string;
  readonly region: string;
  readonly instanceId: string;
  readonly haproxy: string;
  /** Shard ids per server state; undefined when the runtime API could not be read. */
  readonly servers?: { readonly up: string[]; readonly drain: string[]; readonly down: string[] };
  readonly problems: readonly string[];
  readonly notes: readonly string[];
}

export interface SmokeReport {
  readonly stack: string;
  readonly bridgeRegions: readonly string[];
  readonly shards: readonly ShardReport[];
  readonly edges: readonly EdgeReport[];
  /** Problems that belong to no single node (an edge region without nodes, an AWS error). */
  readonly general: readonly string[];
  readonly ok: boolean;
}

export interface EvaluateInput {
  readonly stack: string;
  /** Every shard of the stack (the edge must list them all), and the ones checked here. */
  readonly allShards: readonly ShardTarget[];
  readonly shards: readonly ShardObservation[];
  readonly edges: readonly EdgeObservation[];
  readonly bridgeRegions: readonly string[];
  /** Edge regions checked, with how many nodes were found in each. */
  readonly edgeRegions: readonly { readonly region: string; readonly found: number }[];
  readonly general?: readonly string[];
}

function evaluateShard(o: ShardObservation, bridgeRegions: readonly string[]): ShardReport {
  const t = o.target;
  const problems: string[] = [];
  const notes: string[] = [];
  const switchState = o.error ? "?" : (o.switchState ?? "missing");
  const state = t.stackState === "ready" || o.error ? switchState : `${switchState} (stack: ${t.stackState})`;
  let bridges: Map<string, BridgeCount> | undefined;
  if (o.error) {
    problems.push(o.error);
  } else {
    if (o.jicofoHealth !== 200) problems.push(`jicofo /about/health answered ${statusText(o.jicofoHealth)}`);
    if (o.switchState === undefined) notes.push("no drain switch state file (the agent reports drain)");
    else if (o.switchState !== "ready" && o.switchState !== "drain")
      notes.push(`drain switch reads "${o.switchState}" (the agent reports drain)`);
    if (o.bridges) {
      bridges = countBridgesByRegion(o.bridges.bridges, bridgeRegions);
      const missing = bridgeRegions.filter((r) => (bridges!.get(r)?.usable ?? 0) === 0);
      if (missing.length > 0) problems.push(`no usable bridge in ${missing.join(", ")}`);
      const stray = [...bridges.keys()].filter((r) => !bridgeRegions.includes(r));
      if (stray.length > 0) notes.push(`bridges from regions without a pool: ${stray.join(", ")}`);
    } else {
      problems.push(o.bridgesError ?? "bridges unknown");
    }
  }
  return {
    id: t.id,
    region: t.region,
    instanceId: t.instanceId,
    jicofo: o.error ? "?" : statusText(o.jicofoHealth),
    state,
    bridges,
    problems,
    notes,
  };
}

function evaluateEdge(o: EdgeObservation, allShards: readonly ShardTarget[]): EdgeReport {
  const t = o.target;
  const problems: string[] = [];
  const notes: string[] = [];
  let servers: EdgeReport["servers"];
  if (t.state !== undefined && t.state !== "running") {
    problems.push(`instance is ${t.state}`);
  } else if (o.error) {
    problems.push(o.error);
  } else {
    if (o.haproxyHealth !== 200) problems.push(`HAProxy ${EDGE_HEALTH_URI} answered ${statusText(o.haproxyHealth)}`);
    if (o.servers) {
      servers = { up: [], drain: [], down: [] };
      const known = new Map(allShards.map((s) => [s.id, s]));
      for (const server of o.servers) {
        servers[server.state].push(server.name);
        const shard = known.get(server.name);
        if (!shard) notes.push(`${server.name} is not a shard of the stack (stale configuration?)`);
        if (server.state === "down") problems.push(`${server.name} is down here (${server.detail})`);
        if (shard?.stackState === "drain" && server.state === "up") {
          problems.push(`${server.name} takes new rooms here, but the stack drains it (stale configuration?)`);
        }
      }
      const listed = new Set(o.servers.map((s) => s.name));
      const absent = allShards.filter((s) => !listed.has(s.id)).map((s) => s.id);
      if (absent.length > 0) problems.push(`not in the backend: ${absent.join(", ")}`);
    } else {
      problems.push(o.serversError ?? "servers unknown");
    }
  }
  return {
    node: t.node,
    region: t.region,
    instanceId: t.instanceId,
    haproxy: o.error || (t.state !== undefined && t.state !== "running") ? "?" : statusText(o.haproxyHealth),
    servers,
    problems,
    notes,
  };
}

export function evaluate(input: EvaluateInput): SmokeReport {
  const shards = input.shards.map((o) => evaluateShard(o, input.bridgeRegions));
  const edges = input.edges.map((o) => evaluateEdge(o, input.allShards));
  const general = [...(input.general ?? [])];
  for (const { region, found } of input.edgeRegions) {
    if (found === 0) general.push(`no edge node found in ${region}`);
  }
  const ok =
    general.length === 0 && shards.every((s) => s.problems.length === 0) && edges.every((e) => e.problems.length === 0);
  return { stack: input.stack, bridgeRegions: input.bridgeRegions, shards, edges, general, ok };
}

// ---------------------------------------------------------------------------------------------------------------
// Text

/** `eu-west-1:2 us-east-1:0`; `usable/listed` where jicofo lists bridges it would not use. */
export function bridgeSummary(bridges: ReadonlyMap<string, BridgeCount> | undefined): string {
  if (!bridges) return "?";
  if (bridges.size === 0) return "-";
  return [...bridges]
    .map(([region, c]) => `${region}:${c.usable}${c.total !== c.usable ? `/${c.total}` : ""}`)
    .join(" ");
}

function problemsOf(report: SmokeReport): string[] {
  return [
    ...report.general,
    ...report.shards.flatMap((s) => s.problems.map((p) => `shard ${s.id}: ${p}`)),
    ...report.edges.flatMap((e) => e.problems.map((p) => `edge ${e.region} ${e.node}: ${p}`)),
  ];
}

/**
 * One line for stderr after a round that was not yet healthy:
 * `waiting for bridges: eu-west-1-eu1 sees eu-west-1:1 us-east-1:0, ... | also: ... (round 2, 570 s left)`.
 */
export function progressLine(report: SmokeReport, round: number, msLeft: number): string {
  const short = report.shards.filter((s) =>
    report.bridgeRegions.some((r) => s.bridges === undefined || (s.bridges.get(r)?.usable ?? 0) === 0),
  );
  const parts: string[] = [];
  if (short.length > 0) {
    parts.push(
      `waiting for bridges: ${report.shards.map((s) => `${s.id} sees ${bridgeSummary(s.bridges)}`).join(", ")}`,
    );
  }
  const others = problemsOf(report).filter((p) => !/no usable bridge in /.test(p));
  if (others.length > 0) parts.push(`${parts.length > 0 ? "also" : "waiting for"}: ${others.join("; ")}`);
  return `${parts.join(" | ")} (round ${round}, ${Math.max(0, Math.ceil(msLeft / 1000))} s left)`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function names(list: readonly string[]): string {
  return list.length === 0 ? "0" : `${list.length} (${list.join(" ")})`;
}

/** The final report for stdout: a table of shards, a table of edge nodes, the problems, and the verdict. */
export function renderReport(report: SmokeReport, notes: readonly string[] = []): string {
  const out: string[] = [];
  out.push(
    `Smoke check of stack ${report.stack}: ${report.shards.length} shard(s), ${report.edges.length} edge node(s); ` +
      `bridge regions: ${report.bridgeRegions.join(" ") || "none"}`,
  );
  out.push("");
  if (report.shards.length > 0) {
    out.push(
      table(
        ["SHARD", "REGION", "INSTANCE", "JICOFO", "STATE", "BRIDGES (usable per region)", "RESULT"],
        report.shards.map((s) => [
          s.id,
          s.region,
          s.instanceId,
          s.jicofo,
          s.state,
          bridgeSummary(s.bridges),
          s.problems.length === 0 ? "ok" : "FAIL",
        ]),
      ),
    );
  } else {
    out.push("(no shard checked)");
  }
  out.push("");
  if (report.edges.length > 0) {
    out.push(
      table(
        ["EDGE NODE", "REGION", "INSTANCE", "HAPROXY", "SHARDS UP", "DRAIN", "DOWN", "RESULT"],
        report.edges.map((e) => [
          e.node,
          e.region,
          e.instanceId,
          e.haproxy,
          e.servers ? String(e.servers.up.length) : "?",
          e.servers ? names(e.servers.drain) : "?",
          e.servers ? names(e.servers.down) : "?",
          e.problems.length === 0 ? "ok" : "FAIL",
        ]),
      ),
    );
  } else {
    out.push("(no edge node checked)");
  }
  const problems = problemsOf(report);
  const allNotes = [
    ...notes,
    ...report.shards.flatMap((s) => s.notes.map((n) => `shard ${s.id}: ${n}`)),
    ...report.edges.flatMap((e) => e.notes.map((n) => `edge ${e.region} ${e.node}: ${n}`)),
  ];
  if (problems.length > 0) {
    out.push("", "Problems:", ...problems.map((p) => `  - ${p}`));
  }
  if (allNotes.length > 0) {
    out.push("", "Notes:", ...allNotes.map((n) => `  - ${n}`));
  }
  out.push("", report.ok ? "RESULT: OK, everything is healthy" : `RESULT: FAILED, ${problems.length} problem(s)`, "");
  return out.join("\n");
}
