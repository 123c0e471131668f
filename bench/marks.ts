// Timing marks shared by a child process and the program wrappers it loads (one module instance
// per process, so the wrapper and the child see the same object).

import { performance } from "node:perf_hooks";

export const marks: {
  start?: number;
  end?: number;
  cpuStart?: NodeJS.CpuUsage;
  cpuMs?: number;
  /** The process's peak resident set size (maxRSS, KiB) when the end was marked. */
  peakKiB?: number;
} = {};

/** Collects garbage (the child runs with --expose-gc), then marks the start of the measurement. */
export function markStart(): void {
  (globalThis as { gc?: () => void }).gc?.();
  marks.cpuStart = process.cpuUsage();
  marks.start = performance.now();
}

export function markEnd(): void {
  marks.end = performance.now();
  const cpu = process.cpuUsage(marks.cpuStart);
  marks.cpuMs = (cpu.user + cpu.system) / 1000;
  // Read here, not at exit, so that what planStack does after settling (inventory, rendered
  // files) counts in neither mode.
  marks.peakKiB = process.resourceUsage().maxRSS;
}
