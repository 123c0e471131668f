// What a change does to the offline plan: resources added, changed (inputs differ) and removed
// between two resources.json files, grouped per region and type, as the Markdown a pull request
// comment shows. Pure: plans in, text out (scripts/plan-diff.ts reads and writes the files).

import type { PlannedResource } from "./plan-output";

export interface ChangedResource {
  readonly before: PlannedResource;
  readonly after: PlannedResource;
  /** Top-level input keys whose values differ, sorted. */
  readonly keys: readonly string[];
}

export interface PlanDiff {
  readonly added: readonly PlannedResource[];
  readonly removed: readonly PlannedResource[];
  readonly changed: readonly ChangedResource[];
  readonly unchanged: number;
}

/** JSON with object keys sorted, so that equal values print equally whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function changedKeys(before: unknown, after: unknown): string[] {
  const a = (typeof before === "object" && before !== null ? before : {}) as Record<string, unknown>;
  const b = (typeof after === "object" && after !== null ? after : {}) as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => canonical(a[k]) !== canonical(b[k])).sort();
}

/** Compares two plans by URN: a resource whose URN changed counts as removed and added. */
export function diffPlans(base: readonly PlannedResource[], head: readonly PlannedResource[]): PlanDiff {
  const before = new Map(base.map((r) => [r.urn, r]));
  const after = new Map(head.map((r) => [r.urn, r]));
  const added = head.filter((r) => !before.has(r.urn));
  const removed = base.filter((r) => !after.has(r.urn));
  const changed: ChangedResource[] = [];
  let unchanged = 0;
  for (const r of head) {
    const old = before.get(r.urn);
    if (!old) continue;
    const keys = changedKeys(old.inputs, r.inputs);
    // A new parent or provider under the same URN is a change too (a provider change replaces).
    if (old.provider !== r.provider) keys.push("(provider)");
    if (old.parent !== r.parent) keys.push("(parent)");
    if (keys.length > 0) changed.push({ before: old, after: r, keys });
    else unchanged++;
  }
  return { added, removed, changed, unchanged };
}

export interface GroupRow {
  readonly region: string;
  readonly type: string;
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
}

/** Counts per region and type, sorted; only groups with a change. */
export function groupByRegionAndType(diff: PlanDiff): GroupRow[] {
  const rows = new Map<string, { region: string; type: string; added: number; changed: number; removed: number }>();
  const row = (r: PlannedResource) => {
    const region = r.region ?? "global";
    const key = `${region}\t${r.type}`;
    let entry = rows.get(key);
    if (!entry) {
      entry = { region, type: r.type, added: 0, changed: 0, removed: 0 };
      rows.set(key, entry);
    }
    return entry;
  };
  for (const r of diff.added) row(r).added++;
  for (const c of diff.changed) row(c.after).changed++;
  for (const r of diff.removed) row(r).removed++;
  return [...rows.values()].sort((a, b) => a.region.localeCompare(b.region) || a.type.localeCompare(b.type));
}

/** The ```mermaid block of a plan's summary.md (the topology), or undefined. */
export function mermaidBlock(summaryMarkdown: string): string | undefined {
  const match = /```mermaid\n[\s\S]*?\n```/.exec(summaryMarkdown);
  return match?.[0];
}

/**
 * The first line of the comment: marks the pull request comment (one per stack) that the workflow
 * edits instead of adding a new one on each push.
 */
export function commentMarker(stack: string): string {
  return `<!-- jitsi-offline-plan:${stack} -->`;
}

export interface DiffMarkdownInput {
  readonly diff: PlanDiff;
  /** Stack name and the refs compared, for the heading. */
  readonly stack: string;
  readonly base: string;
  readonly head: string;
  /** The head plan's summary.md, for its topology diagram. */
  readonly headSummary?: string;
  /** Set when the base could not be planned (e.g. it predates a config key): everything counts as added. */
  readonly baseNote?: string;
  /** Longest list of resources per section before it is cut, to keep the comment readable. */
  readonly maxListed?: number;
}

const cell = (n: number, sign: string) => (n === 0 ? "" : `${sign}${n}`);

function listSection(title: string, lines: string[], max: number): string[] {
  if (lines.length === 0) return [];
  const shown = lines.slice(0, max);
  const more = lines.length > max ? [`- … and ${lines.length - max} more`] : [];
  return [`<details><summary>${title} (${lines.length})</summary>`, "", ...shown, ...more, "", "</details>", ""];
}

export function diffMarkdown(input: DiffMarkdownInput): string {
  const { diff } = input;
  const max = input.maxListed ?? 200;
  const total = diff.added.length + diff.changed.length + diff.removed.length;
  const out: string[] = [
    commentMarker(input.stack),
    `### Offline plan of stack \`${input.stack}\`: \`${input.base}\` → \`${input.head}\``,
    "",
  ];
  if (input.baseNote) out.push(`> ${input.baseNote}`, "");
  out.push(
    total === 0
      ? `No resource changes (${diff.unchanged} unchanged).`
      : `**${diff.added.length} to add, ${diff.changed.length} to change, ${diff.removed.length} to remove** (${diff.unchanged} unchanged).`,
    "",
  );
  const rows = groupByRegionAndType(diff);
  if (rows.length > 0) {
    out.push(
      "| region | type | added | changed | removed |",
      "| --- | --- | ---: | ---: | ---: |",
      ...rows.map(
        (r) =>
          `| ${r.region} | \`${r.type}\` | ${cell(r.added, "+")} | ${cell(r.changed, "~")} | ${cell(r.removed, "-")} |`,
      ),
      "",
    );
  }
  const name = (r: PlannedResource) => `\`${r.name}\` (${r.region ?? "global"}, \`${r.type}\`)`;
  out.push(
    ...listSection(
      "Removed",
      diff.removed.map((r) => `- ${name(r)}`),
      max,
    ),
    ...listSection(
      "Changed",
      diff.changed.map((c) => `- ${name(c.after)}: ${c.keys.map((k) => `\`${k}\``).join(", ")}`),
      max,
    ),
    ...listSection(
      "Added",
      diff.added.map((r) => `- ${name(r)}`),
      max,
    ),
  );
  const diagram = input.headSummary ? mermaidBlock(input.headSummary) : undefined;
  if (diagram) out.push(`#### Topology at \`${input.head}\``, "", diagram, "");
  out.push(
    "<sub>From `npm run plan` on both commits: the real program against a simulated cloud, no credentials. " +
      "Inputs only: what AWS computes (ids, addresses) is not compared.</sub>",
    "",
  );
  return out.join("\n");
}
