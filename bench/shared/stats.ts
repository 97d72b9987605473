/** The value below which `q` (0..1) of the samples fall, nearest-rank. */
export function percentile(samples: ArrayLike<number>, q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export interface Spread {
  median: number;
  max: number;
  samples: number[];
}

export function spread(samples: number[]): Spread {
  return { median: percentile(samples, 0.5), max: Math.max(...samples), samples };
}

/** Rounds for reports: 0.1 ms resolution is all the measurements carry. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
