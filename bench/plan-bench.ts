// npm run bench: how fast the offline plan is, measured against the floor of Pulumi's own mock
// runtime.
//
// Workloads: the dev stack, and a generated topology at 5, 10 and 20 regions (bench/workloads.ts).
// For each, the real program runs through planStack, and so does a floor program
// (bench/floor-program.ts) that registers a twin of every resource the real run recorded: an
// instance of the same SDK class with the same inputs, parent and provider. Every run is a fresh child process
// (bench/child.ts); RUNS rounds, each running every workload real then floor; figures are medians.
// Prints the tables to stdout and writes bench/RESULTS.md.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import * as prettier from "prettier";
import { RESULT_PREFIX, type ChildResult, type Mode } from "./protocol";
import { linearity, median, type Linearity } from "./stats";
import { EDGE_EVERY, REPO_ROOT, SHARDS_PER_REGION, generatedId, validateWorkload, type WorkloadId } from "./workloads";

const RUNS = 3;
/** Region counts of the generated topology for the linearity check; the last is the main workload. */
const SIZES = [5, 10, 20] as const;
/** The goal: the real plan within this factor of the floor, and growth linear. */
const GOAL_FACTOR = 1.5;
const GOAL = `within ${GOAL_FACTOR}x of the floor, growth linear in the number of resources`;
/** A child that takes longer than this has hung. */
const CHILD_TIMEOUT_MS = 300_000;

const BENCH_DIR = __dirname;
const OUT_DIR = join(BENCH_DIR, "out");
const RESULTS_FILE = join(BENCH_DIR, "RESULTS.md");
const RUN_TS = join(REPO_ROOT, "scripts", "run-ts.js");
const CHILD = join(BENCH_DIR, "child.ts");

interface Measured {
  readonly id: WorkloadId;
  readonly resources: number;
  readonly real: readonly ChildResult[];
  readonly floor: readonly ChildResult[];
}

interface Summary {
  readonly resources: number;
  readonly realMs: number;
  readonly floorMs: number;
  readonly ratio: number;
  readonly realMiB: number;
  readonly floorMiB: number;
  readonly memoryRatio: number;
}

// ---- formatting ----

const ms = (value: number) => value.toFixed(0);
const mib = (value: number) => value.toFixed(1);
const times = (value: number) => `${value.toFixed(2)}x`;
const perResource = (value: number) => value.toFixed(2);

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** A markdown table with right-aligned columns (prettier's layout, so it reads well on a terminal). */
function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padStart(widths[i])).join(" | ")} |`;
  const rule = `| ${widths.map((w) => `${"-".repeat(w - 1)}:`).join(" | ")} |`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

// ---- measuring ----

function runChild(mode: Mode, id: WorkloadId, extra: readonly string[]): ChildResult {
  const args = ["--expose-gc", RUN_TS, relative(REPO_ROOT, CHILD), mode, id, ...extra];
  const child = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: "utf8", timeout: CHILD_TIMEOUT_MS });
  const line = child.stdout?.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
  if (child.status !== 0 || !line) {
    const why = child.error ? String(child.error) : `exit ${child.status ?? child.signal}`;
    throw new Error(`child ${mode} ${id} failed (${why}):\n${child.stderr ?? ""}${child.stdout ?? ""}`);
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult;
}

/**
 * RUNS rounds; each round runs every workload once real and once floor, so that a slow spell of
 * the machine (other processes on its cores) hits every workload and both modes alike.
 */
function measureAll(ids: readonly WorkloadId[]): Measured[] {
  const runs = new Map(ids.map((id) => [id, { real: [] as ChildResult[], floor: [] as ChildResult[] }]));
  const skeletonFile = (id: WorkloadId) => join(OUT_DIR, `${id}.skeleton.json`);
  for (let round = 1; round <= RUNS; round++) {
    for (const id of ids) {
      const { real, floor } = runs.get(id)!;
      // The first real run records the shape the floor copies.
      const r = runChild("real", id, round === 1 ? ["--skeleton-out", skeletonFile(id)] : []);
      if (
        real.length > 0 &&
        (r.signature !== real[0].signature || r.resources !== real[0].resources || r.inputs !== real[0].inputs)
      ) {
        throw new Error(
          `${id}: the real program registered different resources or inputs in round ${round} (was the program edited meanwhile?)`,
        );
      }
      real.push(r);
      const f = runChild("floor", id, ["--skeleton", skeletonFile(id)]);
      if (f.signature !== r.signature || f.resources !== r.resources) {
        throw new Error(`${id}: the floor's resources differ from the real run's (${f.resources} vs ${r.resources})`);
      }
      if (f.inputs !== r.inputs) throw new Error(`${id}: the floor sent other inputs than the real run`);
      floor.push(f);
      log(`round ${round}/${RUNS} ${id}: ${r.resources} resources, real ${ms(r.wallMs)} ms, floor ${ms(f.wallMs)} ms`);
    }
  }
  return ids.map((id) => ({ id, resources: runs.get(id)!.real[0].resources, ...runs.get(id)! }));
}

function summarize(m: Measured): Summary {
  const realMs = median(m.real.map((r) => r.wallMs));
  const floorMs = median(m.floor.map((r) => r.wallMs));
  const realMiB = median(m.real.map((r) => r.peakMiB));
  const floorMiB = median(m.floor.map((r) => r.peakMiB));
  return {
    resources: m.resources,
    realMs,
    floorMs,
    ratio: realMs / floorMs,
    realMiB,
    floorMiB,
    memoryRatio: realMiB / floorMiB,
  };
}

// ---- reporting ----

function workloadTable(s: Summary): string {
  return table(
    ["resources", "real wall ms", "floor wall ms", "ratio", "real peak MiB", "floor peak MiB"],
    [[String(s.resources), ms(s.realMs), ms(s.floorMs), times(s.ratio), mib(s.realMiB), mib(s.floorMiB)]],
  );
}

function linearityTable(sizes: readonly { regions: number; summary: Summary }[], lin: Linearity): string {
  return table(
    [
      "regions",
      "shards",
      "edges",
      "resources",
      "real wall ms",
      "real ms/resource",
      "real marginal ms/added resource",
      "floor wall ms",
      "floor ms/resource",
    ],
    sizes.map(({ regions, summary: s }, i) => [
      String(regions),
      String(regions * SHARDS_PER_REGION),
      String(Math.ceil(regions / EDGE_EVERY)),
      String(s.resources),
      ms(s.realMs),
      perResource(s.realMs / s.resources),
      i === 0 ? "-" : perResource(lin.marginalMs[i - 1]),
      ms(s.floorMs),
      perResource(s.floorMs / s.resources),
    ]),
  );
}

function runsTable(all: readonly Measured[]): string {
  const list = (results: readonly ChildResult[], f: (r: ChildResult) => string) => results.map(f).join(" / ");
  return table(
    ["workload", "resources", "real wall ms", "floor wall ms", "real CPU ms", "floor CPU ms", "real MiB", "floor MiB"],
    all.map((m) => [
      m.id,
      String(m.resources),
      list(m.real, (r) => ms(r.wallMs)),
      list(m.floor, (r) => ms(r.wallMs)),
      list(m.real, (r) => ms(r.cpuMs)),
      list(m.floor, (r) => ms(r.cpuMs)),
      list(m.real, (r) => mib(r.peakMiB)),
      list(m.floor, (r) => mib(r.peakMiB)),
    ]),
  );
}

function verdict(dev: Summary, big: Summary, bigRegions: number, lin: Linearity): string {
  const within = [dev, big].every((s) => s.ratio <= GOAL_FACTOR && s.memoryRatio <= GOAL_FACTOR);
  const met = within && lin.linear;
  return (
    `**Goal ${met ? "met" : "NOT met"}** ("${GOAL}"): ` +
    `real/floor wall time ${times(dev.ratio)} (dev, ${dev.resources} resources) and ${times(big.ratio)} ` +
    `(${bigRegions} regions, ${big.resources} resources), peak memory ${times(dev.memoryRatio)} and ` +
    `${times(big.memoryRatio)}: ${within ? "all" : "not all"} within ${GOAL_FACTOR}x; growth ` +
    `${lin.linear ? "linear" : "superlinear"}: ${perResource(lin.marginalMs[0])} then ` +
    `${perResource(lin.marginalMs[1])} ms per added resource over ${SIZES.join(" → ")} regions, the largest ` +
    `size ${ms(Math.abs(lin.excessMs))} ms ${lin.excessMs >= 0 ? "above" : "below"} the straight line through ` +
    `the smaller two (run-to-run noise bound ${ms(lin.noiseMs)} ms).`
  );
}

function machine(): { date: string; nproc: string; memory: string; cpu: string } {
  return {
    date: execFileSync("date", ["-u"], { encoding: "utf8" }).trim(),
    nproc: execFileSync("nproc", { encoding: "utf8" }).trim(),
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
  };
}

const METHOD = [
  "## What is measured",
  "",
  "- **real**: `planStack` (scripts/lib/plan.ts) runs index.ts under the SimulatedCloud with the workload's config.",
  "- **floor**: a bare program (bench/floor-program.ts, loaded through `planStack` by bench/floor-entry.ts, so under the same SimulatedCloud, config and `Error.stackTraceLimit` setting) that registers a twin of every resource the first real run of the workload recorded: for a cloud resource an instance of the real SDK class of its type token (`aws:ec2/vpc:Vpc` → `aws.ec2.Vpc`, `random:index/randomPassword:RandomPassword` → `random.RandomPassword`, `pulumi:providers:aws` → `aws.Provider`; a type without a class fails the run) given the inputs the real run sent (secrets as `pulumi.secret`, ids of other resources as plain strings, a provider's JSON-text fields parsed back), a bare `ComponentResource` of the same type token for a component; same names, parents and providers, all registered at once in registration order; no config, topology, invokes, apply chains or outputs. Its recorded URNs, parents and providers, and the inputs the simulated cloud received, are checked to be identical to every real run's. The floor holds the parsed skeleton (bench/out/*.skeleton.json) in memory, which its peak memory includes.",
  "- **wall ms**: from just before the program module is imported (config parsed, mock runtime installed, garbage collected) to just after the simulated cloud settled; in both modes it includes loading the program's modules, @pulumi/aws among them. **CPU ms**: user + system time of the process over the same span (all threads).",
  "- **peak MiB**: the child process's `process.resourceUsage().maxRSS` (peak resident memory since it started), read when the simulated cloud has settled.",
  "- **marginal ms/added resource**: the wall-time difference to the next smaller size divided by the difference in resources. Growth counts as superlinear only if the second step's marginal cost exceeds the first's by more than " +
    `${GOAL_FACTOR}x and the largest size lies above the straight line through the two smaller ones by more than the noise bound (half of each size's max - min over its runs, weighted by its coefficient in that difference).`,
  "- **workloads**: the dev stack is Pulumi.dev.yaml over Pulumi.yaml; the generated topology (bench/workloads.ts) takes the first N of 20 real AWS regions, all with bridges, every " +
    `${EDGE_EVERY}th also with an edge, ${SHARDS_PER_REGION} shards per region (s01, s02, …), VPC ranges 10.<i>.0.0/16, relay groups by continent, hosted zone example.com (as in the dev stack).`,
].join("\n");

/** Headings of the RESULTS.md sections this benchmark writes (by prefix; sizes appear in some). */
const OWN_SECTIONS = [
  "## Dev stack",
  "## Generated topology",
  "## Linearity",
  "## Verdict",
  "## Every run",
  "## What is measured",
];

/**
 * The `## ` sections of bench/RESULTS.md that other benchmarks write (bench/haproxy-bench.ts's
 * "HAProxy edge", say): kept as they are, after this benchmark's own sections.
 */
function othersSections(): string[] {
  if (!existsSync(RESULTS_FILE)) return [];
  return readFileSync(RESULTS_FILE, "utf8")
    .split(/\n(?=## )/)
    .filter((section) => section.startsWith("## ") && !OWN_SECTIONS.some((own) => section.startsWith(own)))
    .map((section) => section.trim());
}

async function main(): Promise<void> {
  const started = performance.now();
  mkdirSync(OUT_DIR, { recursive: true });
  const ids: WorkloadId[] = ["dev", ...SIZES.map(generatedId)];
  for (const id of ids) validateWorkload(id);

  const measured = measureAll(ids);
  const byId = new Map(measured.map((m) => [m.id, m]));
  const dev = summarize(byId.get("dev")!);
  const sizes = SIZES.map((regions) => {
    const m = byId.get(generatedId(regions))!;
    return { regions, summary: summarize(m), runsMs: m.real.map((r) => r.wallMs) };
  });
  const points = sizes.map((s) => ({ resources: s.summary.resources, wallMs: s.summary.realMs, runsMs: s.runsMs }));
  const lin = linearity([points[0], points[1], points[2]], GOAL_FACTOR);
  const bigRegions = SIZES[SIZES.length - 1];
  const big = sizes[sizes.length - 1].summary;
  const totalS = (performance.now() - started) / 1000;
  const env = machine();

  const sections = [
    `## Dev stack (Pulumi.dev.yaml)\n\n${workloadTable(dev)}`,
    `## Generated topology: ${bigRegions} regions with bridges, ${bigRegions * SHARDS_PER_REGION} shards, ` +
      `${Math.ceil(bigRegions / EDGE_EVERY)} with an edge\n\n${workloadTable(big)}`,
    `## Linearity (generated topology)\n\n${linearityTable(sizes, lin)}`,
    `## Verdict\n\n${verdict(dev, big, bigRegions, lin)}`,
  ];
  process.stdout.write(`\n${sections.join("\n\n")}\n\n(medians of ${RUNS} runs; ${totalS.toFixed(0)} s in all)\n`);

  const header = [
    "# Offline plan benchmark",
    "",
    "Produced by `npm run bench` (bench/plan-bench.ts).",
    "",
    `- date (\`date -u\`): ${env.date}`,
    `- node: ${process.version}`,
    `- machine: ${env.nproc} CPUs (\`nproc\`), ${env.memory} total memory, ${env.cpu}, ${process.platform} ${process.arch}`,
    `- every figure is the median of ${RUNS} runs, each a fresh child process (bench/child.ts); the whole benchmark took ${totalS.toFixed(0)} s`,
  ].join("\n");
  const own = [header, ...sections, `## Every run\n\n${runsTable(measured)}`, METHOD];
  const markdown = [...own, ...othersSections()].join("\n\n");
  const options = (await prettier.resolveConfig(RESULTS_FILE)) ?? {};
  writeFileSync(RESULTS_FILE, await prettier.format(`${markdown}\n`, { ...options, filepath: RESULTS_FILE }));
  log(`wrote ${relative(REPO_ROOT, RESULTS_FILE)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
