// The offline plan as a library: run the real program against the simulated cloud and collect
// what it would create and render. scripts/plan.ts is the command-line wrapper; tests and the
// benchmark call these functions directly.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { fromPulumiConfig, parseSettings } from "../../components/config";
import { buildTopology, type Topology } from "../../components/topology";
import { inventory, renderedFiles, summaryMarkdown, type PlannedResource, type RenderedFile } from "./plan-output";
import { SimulatedCloud, type InvokeTable } from "./simulated-cloud";
import type { StackConfig } from "./stack-files";

export const REPO_ROOT = resolve(__dirname, "..", "..");
export const PROGRAM = join(REPO_ROOT, "index.ts");

export interface PlanResult {
  readonly stack: string;
  readonly topology: Topology;
  readonly planned: PlannedResource[];
  readonly rendered: RenderedFile[];
  /** The program's stack outputs, resolved. */
  readonly outputs: Record<string, unknown>;
  readonly cloud: SimulatedCloud;
}

/** Resolves a stack output, rejecting when anything it depends on failed (an invoke, say). */
function resolveOutput(value: unknown): Promise<unknown> {
  // `promise()` is the SDK's internal view of an Output; unlike apply() it also carries failures.
  const output = pulumi.output(value) as unknown as { promise(): Promise<unknown> };
  return output.promise();
}

/**
 * Validates the config (throwing ConfigError before anything is created), then loads the program
 * under the simulated cloud and waits for every registration. Loads the program once per process.
 */
export async function planStack(
  stackConfig: StackConfig,
  options: { program?: string; invokes?: InvokeTable; stackTraces?: boolean } = {},
): Promise<PlanResult> {
  const topology = buildTopology(parseSettings(fromPulumiConfig(stackConfig.config)));
  const cloud = await SimulatedCloud.install({ ...stackConfig, invokes: options.invokes });
  // A failure inside the program (a rejected invoke, say) can surface as a rejection nobody awaits;
  // the engine would report it as an error, and so does the plan, instead of crashing or hanging.
  const stray: unknown[] = [];
  const onStray = (reason: unknown) => stray.push(reason);
  process.on("unhandledRejection", onStray);
  const outputs: Record<string, unknown> = {};
  let failure: unknown;
  // The SDK captures a stack trace for every promise behind every Output (for its leak reports):
  // about half the plan's time on a large stack. Off unless asked for (`--stack-traces`); the
  // program's errors say what is wrong without them.
  const stackTraceLimit = Error.stackTraceLimit;
  if (!options.stackTraces) Error.stackTraceLimit = 0;
  try {
    const program = (await import(options.program ?? PROGRAM)) as Record<string, unknown>;
    for (const [key, value] of Object.entries(program)) {
      if (key !== "default" && key !== "__esModule") outputs[key] = await resolveOutput(value);
    }
  } catch (err) {
    failure = err;
  }
  await cloud.settle().catch((err: unknown) => stray.push(err));
  Error.stackTraceLimit = stackTraceLimit;
  // Rejections are reported as unhandled one turn of the event loop after they happen.
  await new Promise((done) => setImmediate(done));
  process.off("unhandledRejection", onStray);
  if (failure !== undefined) throw failure;
  if (cloud.violations.length > 0) {
    throw new Error(`the program broke a rule of the stack:\n${cloud.violations.map((v) => `  ${v}`).join("\n")}`);
  }
  if (stray.length > 0) {
    throw new Error(`the program failed:\n${stray.map((e) => `  ${(e as Error)?.message ?? String(e)}`).join("\n")}`);
  }
  const regionOf = cloud.regionOf.bind(cloud);
  const planned = inventory(cloud.resources, regionOf);
  return {
    stack: stackConfig.stack,
    topology,
    planned,
    rendered: renderedFiles(cloud.resources, regionOf),
    outputs,
    cloud,
  };
}

/** Files the plan owns in its output folder; removed first, so a failed plan leaves none stale. */
export function clearPlan(outDir: string): void {
  for (const entry of ["resources.json", "summary.md", "rendered"]) {
    rmSync(join(outDir, entry), { recursive: true, force: true });
  }
}

export function writePlan(result: PlanResult, outDir: string, configFile: string): void {
  clearPlan(outDir);
  mkdirSync(join(outDir, "rendered"), { recursive: true });
  for (const file of result.rendered) {
    const path = join(outDir, "rendered", file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
  writeFileSync(
    join(outDir, "summary.md"),
    summaryMarkdown({
      stack: result.stack,
      configFile,
      topology: result.topology,
      planned: result.planned,
      rendered: result.rendered,
      namesById: new Map(result.cloud.resources.filter((r) => r.id).map((r) => [r.id!, r.name])),
    }),
  );
  // Written last: its presence means the plan completed.
  writeFileSync(join(outDir, "resources.json"), `${JSON.stringify(result.planned, null, 2)}\n`);
}
