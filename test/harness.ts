// Test helpers: run the real program under the simulated cloud, and config builders.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PlanResult } from "../scripts/lib/plan";
import type { InvokeTable } from "../scripts/lib/simulated-cloud";
import { parseStackFiles, type StackConfig } from "../scripts/lib/stack-files";

export const ROOT = join(__dirname, "..");

/** The dev stack's config, as the engine would hand it to the program. */
export function devStack(): StackConfig {
  return parseStackFiles(
    readFileSync(join(ROOT, "Pulumi.yaml"), "utf8"),
    readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8"),
    "dev",
  );
}

/** A stack config built from plain values: `{ regions: {...} }` becomes "jitsi:regions" as JSON. */
export function stackOf(values: Record<string, unknown>, stack = "test"): StackConfig {
  const config: Record<string, string> = { "pulumi:disable-default-providers": '["aws"]' };
  for (const [key, value] of Object.entries(values)) {
    config[`jitsi:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { project: "jitsi", stack, config, secretKeys: [] };
}

/**
 * Runs the real program (index.ts) once under a fresh simulated cloud, in an isolated module
 * registry so that one test file can run it several times with different configs.
 */
export async function runProgram(
  stackConfig: StackConfig,
  invokes?: InvokeTable,
  program?: string,
): Promise<PlanResult> {
  let result: PlanResult | undefined;
  let failure: unknown;
  await jest.isolateModulesAsync(async () => {
    const { planStack } = await import("../scripts/lib/plan");
    try {
      result = await planStack(stackConfig, { invokes, program });
    } catch (err) {
      failure = err;
    }
  });
  if (failure !== undefined) throw failure;
  return result!;
}
