// One measurement, in a fresh process (Pulumi's runtime state is global per process):
//   node --expose-gc scripts/run-ts.js bench/child.ts real  WORKLOAD [--skeleton-out FILE]
//   node --expose-gc scripts/run-ts.js bench/child.ts floor WORKLOAD --skeleton FILE
// WORKLOAD is "dev" or "gen-<regions>". Both modes run through planStack (real: index.ts via
// real-program.ts; floor: floor-entry.ts). Wall time runs from just before the program is imported
// to just after the simulated cloud has settled; peak memory is the process's maxRSS at that moment.
// The result is one line on stdout: RESULT_PREFIX followed by a ChildResult as JSON.

import { join } from "node:path";
import { parseArgs } from "node:util";
import { planStack } from "../scripts/lib/plan";
import { SimulatedCloud } from "../scripts/lib/simulated-cloud";
import { markEnd, marks } from "./marks";
import { RESULT_PREFIX, type ChildResult } from "./protocol";
import { floorReplay, inputsDigestOf, readSkeleton, signatureOf, skeletonOf, writeSkeleton } from "./skeleton";
import { workloadStack, type WorkloadId } from "./workloads";

/** planStack settles the cloud it installs; mark the end when that settle returns. */
function markEndOnSettle(): void {
  const settle = SimulatedCloud.prototype.settle;
  SimulatedCloud.prototype.settle = async function (this: SimulatedCloud) {
    await settle.call(this);
    markEnd();
  };
}

async function measureReal(workload: WorkloadId, skeletonOut: string | undefined): Promise<SimulatedCloud> {
  markEndOnSettle();
  // real-program.ts marks the start, then imports index.ts.
  const result = await planStack(workloadStack(workload), { program: join(__dirname, "real-program.ts") });
  if (skeletonOut) writeSkeleton(skeletonOut, skeletonOf(result.cloud.resources));
  return result.cloud;
}

async function measureFloor(workload: WorkloadId, skeletonFile: string): Promise<SimulatedCloud> {
  // Read and parsed before the measurement; floor-entry.ts registers it.
  floorReplay.skeleton = readSkeleton(skeletonFile);
  // Through planStack, like the real run: the same config check, the same stack-trace setting
  // (Error.stackTraceLimit = 0 while the program loads and settles), the same measurement window.
  markEndOnSettle();
  const result = await planStack(workloadStack(workload), { program: join(__dirname, "floor-entry.ts") });
  return result.cloud;
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { skeleton: { type: "string" }, "skeleton-out": { type: "string" } },
  });
  const [mode, workload] = positionals as [string | undefined, WorkloadId | undefined];
  if ((mode !== "real" && mode !== "floor") || !workload || (mode === "floor" && !values.skeleton)) {
    throw new Error("usage: child.ts real WORKLOAD [--skeleton-out FILE] | floor WORKLOAD --skeleton FILE");
  }
  const cloud =
    mode === "real"
      ? await measureReal(workload, values["skeleton-out"])
      : await measureFloor(workload, values.skeleton!);
  const { start, end, cpuMs, peakKiB } = marks;
  if (start === undefined || end === undefined || cpuMs === undefined || peakKiB === undefined) {
    throw new Error("the measurement marks were not set");
  }
  const result: ChildResult = {
    mode,
    workload,
    resources: cloud.resources.length,
    wallMs: end - start,
    cpuMs,
    peakMiB: peakKiB / 1024,
    signature: signatureOf(cloud.resources),
    inputs: inputsDigestOf(cloud.resources),
  };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench child: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
