// What a child process (child.ts) reports to the orchestrator (plan-bench.ts).

import type { WorkloadId } from "./workloads";

/** The child prints one line starting with this, followed by a ChildResult as JSON. */
export const RESULT_PREFIX = "BENCH-RESULT ";

export type Mode = "real" | "floor";

export interface ChildResult {
  readonly mode: Mode;
  readonly workload: WorkloadId;
  /** Resources the simulated cloud recorded. */
  readonly resources: number;
  /** From just before the program is imported to just after the simulated cloud settled. */
  readonly wallMs: number;
  /** User and system CPU time of the process over the same span (all its threads). */
  readonly cpuMs: number;
  /** process.resourceUsage().maxRSS when the simulated cloud has settled, in MiB. */
  readonly peakMiB: number;
  /** signatureOf the recorded resources; a floor run must match the real run it copies. */
  readonly signature: string;
  /** inputsDigestOf the recorded resources; a floor run must send the inputs the real run sent. */
  readonly inputs: string;
}
