/** Timing summaries: nearest-rank percentiles over the measured runs (milliseconds). */

export interface TimingSummary {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly runs: number;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

export function summarise(samples: readonly number[]): TimingSummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 0.5)),
    p95: round(percentile(sorted, 0.95)),
    max: round(sorted[sorted.length - 1] ?? 0),
    runs: sorted.length,
  };
}
