import type { Figure } from './benchTypes.js';

/** Median of the samples (mean of the middle two for an even count); NaN for none. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A figure from every run's value; the reported value is their median. */
export function figure(name: string, unit: string, samples: readonly number[]): Figure {
  return { name, unit, value: round(median(samples)), samples: samples.map(round) };
}

/** Four significant digits: enough for ratios and rates, short in the JSON and the table. */
export function round(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(4));
}

/** Ratio of two medians, rounded like a figure. */
export function ratio(a: number, b: number): number {
  return round(a / b);
}
