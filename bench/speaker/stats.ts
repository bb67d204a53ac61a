/** Small statistics for benchmark figures: nothing here is asserted, only reported. */

export const round = (n: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** Nearest-rank percentile (p in 0..100) of values already sorted ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly min: number;
  readonly mean: number;
}

/**
 * p50/p90/p99/max of a sample (nearest rank: with fewer than 100 values p99 is the maximum, said plainly
 * rather than interpolated). Undefined values (a measurement that could not be made) are left out.
 */
export function summarize(values: readonly (number | undefined)[], digits = 1): Summary | { n: 0 } {
  const sorted = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0 };
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50), digits),
    p90: round(percentile(sorted, 90), digits),
    p99: round(percentile(sorted, 99), digits),
    max: round(sorted[sorted.length - 1] as number, digits),
    min: round(sorted[0] as number, digits),
    mean: round(mean, digits),
  };
}

export const mib = (kib: number): number => round(kib / 1024, 1);
