// Test helpers: run the real program under the simulated cloud, and config builders.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PlanResult } from "../scripts/lib/plan";
import type { InvokeTable, RecordedResource } from "../scripts/lib/simulated-cloud";
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

/** Lookups over what a planned stack registered. */
export interface PlanView {
  readonly plan: PlanResult;
  readonly resources: readonly RecordedResource[];
  /** The region a resource lives in (its provider's). */
  region(r: RecordedResource): string | null;
  ofType(type: string): RecordedResource[];
  /** The resource the simulated cloud gave this id. */
  byId(id: unknown): RecordedResource | undefined;
  /** URN of a region's own provider (not the global DNS provider). */
  providerOf(region: string): string;
}

/** Runs the dev stack once for the calling test file (in beforeAll); the view reads it after. */
export function planDevStackOnce(): PlanView {
  let plan: PlanResult | undefined;
  beforeAll(async () => {
    plan = await runProgram(devStack());
  });
  const current = () => {
    if (!plan) throw new Error("the dev stack is planned in beforeAll; read it inside a test");
    return plan;
  };
  return {
    get plan() {
      return current();
    },
    get resources() {
      return current().cloud.resources;
    },
    region: (r) => current().cloud.regionOf(r),
    ofType: (type) => current().cloud.resources.filter((r) => r.type === type),
    byId: (id) => current().cloud.resources.find((r) => r.id === id),
    providerOf: (region) =>
      current().cloud.resources.find(
        (p) => p.type === "pulumi:providers:aws" && p.inputs.region === region && p.name !== "jitsi-dns-provider",
      )!.urn,
  };
}
