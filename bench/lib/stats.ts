/**
 * Summary statistics every record carries: median, p90 (nearest rank), min
 * and max over repeated samples. Missing samples (`null`, `undefined`) are
 * dropped, so a run that could not measure one repetition still reports.
 */

export interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

type Samples = readonly (number | null | undefined)[];

function present(samples: Samples): number[] {
  return samples
    .filter((x): x is number => typeof x === "number" && Number.isFinite(x))
    .sort((a, b) => a - b);
}

/** The middle value (the mean of the two middle ones for an even count), or null. */
export function median(samples: Samples): number | null {
  const s = present(samples);
  if (s.length === 0) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest rank: the smallest sample with at least `p`% of the samples at or below it. */
export function percentile(samples: Samples, p: number): number | null {
  const s = present(samples);
  if (s.length === 0) return null;
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] as number;
}

export function mean(samples: Samples): number | null {
  const s = present(samples);
  return s.length === 0 ? null : s.reduce((a, b) => a + b, 0) / s.length;
}

/** Median (rounded to 3 decimals), p90, min and max; null with no samples. */
export function stats(samples: Samples): Stats | null {
  const s = present(samples);
  if (s.length === 0) return null;
  return {
    n: s.length,
    median: Math.round((median(s) as number) * 1000) / 1000,
    p90: percentile(s, 90) as number,
    min: s[0] as number,
    max: s.at(-1) as number,
  };
}
