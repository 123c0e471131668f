// Small numeric helpers for the benchmark report.

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** max - min */
export function spread(values: readonly number[]): number {
  return Math.max(...values) - Math.min(...values);
}

export interface SizePoint {
  readonly resources: number;
  /** The median wall time. */
  readonly wallMs: number;
  /** Every run's wall time, for the noise bound. */
  readonly runsMs: readonly number[];
}

export interface Linearity {
  /** Extra wall time per extra resource: small → middle size, middle → large size. */
  readonly marginalMs: readonly [number, number];
  /** Wall time at the large size above the straight line through the two smaller sizes. */
  readonly excessMs: number;
  /**
   * How far the excess can move by run-to-run variation alone: half of each size's spread
   * (max - min of its runs, around the median) weighted by its coefficient in the excess.
   */
  readonly noiseMs: number;
  readonly linear: boolean;
}

/**
 * Growth over three sizes is called superlinear when the marginal cost per resource of the second
 * step exceeds the first step's by more than `factor` AND the large size lies above the straight
 * line through the two smaller ones by more than run-to-run variation can explain; otherwise it is
 * linear (or better).
 */
export function linearity(points: readonly [SizePoint, SizePoint, SizePoint], factor: number): Linearity {
  const [small, middle, large] = points;
  const first = (middle.wallMs - small.wallMs) / (middle.resources - small.resources);
  const second = (large.wallMs - middle.wallMs) / (large.resources - middle.resources);
  // excess = large - middle - k (middle - small), with k the ratio of the two steps' sizes
  const k = (large.resources - middle.resources) / (middle.resources - small.resources);
  const excessMs = large.wallMs - middle.wallMs - k * (middle.wallMs - small.wallMs);
  const noiseMs = (spread(large.runsMs) + (1 + k) * spread(middle.runsMs) + k * spread(small.runsMs)) / 2;
  const steeper = second > factor * Math.max(first, 0);
  return { marginalMs: [first, second], excessMs, noiseMs, linear: !(steeper && excessMs > noiseMs) };
}
