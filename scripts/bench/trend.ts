/**
 * Least-squares slope of a time series with its 95 % confidence interval, for the soak workload's
 * "is it flat?" question. Samples taken every few seconds are autocorrelated (memory drifts between GCs,
 * it does not jump independently), which makes the textbook interval too narrow: the standard error is
 * widened by the lag-1 autocorrelation r of the residuals (effective sample count n·(1−r)/(1+r), the
 * usual AR(1) correction), so a slow wander is not taken for a trend.
 */

export interface Trend {
  /** Units per hour (x is in hours). */
  slope: number;
  /** 95 % confidence interval of the slope. */
  low: number;
  high: number;
  /** Samples fitted, and the effective count after the autocorrelation correction. */
  n: number;
  nEffective: number;
}

export function linearTrend(xs: readonly number[], ys: readonly number[]): Trend {
  const n = xs.length;
  if (n !== ys.length) throw new Error('linearTrend: x and y differ in length');
  if (n < 3) throw new Error(`linearTrend: ${n} samples, need at least 3`);
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (sxx === 0) throw new Error('linearTrend: all samples at the same time');
  const slope = sxy / sxx;
  const residuals = xs.map((x, i) => ys[i]! - (my + slope * (x - mx)));
  const sse = residuals.reduce((s, e) => s + e * e, 0);
  const r = Math.max(0, lag1Autocorrelation(residuals));
  // At least 3 so the t quantile stays defined; never more than the samples themselves.
  const nEffective = Math.min(n, Math.max(3, (n * (1 - r)) / (1 + r)));
  const se = Math.sqrt(sse / (n - 2) / sxx) * Math.sqrt(n / nEffective);
  const half = tQuantile975(nEffective - 2) * se;
  return { slope, low: slope - half, high: slope + half, n, nEffective };
}

/** Flat: the interval holds 0, or the whole interval lies within ±bound (a drift too small to matter). */
export function isFlat(t: Trend, bound: number): boolean {
  return (t.low <= 0 && t.high >= 0) || (t.low >= -bound && t.high <= bound);
}

function mean(v: readonly number[]): number {
  return v.reduce((s, x) => s + x, 0) / v.length;
}

function lag1Autocorrelation(e: readonly number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < e.length; i++) {
    den += e[i]! ** 2;
    if (i > 0) num += e[i]! * e[i - 1]!;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * The 0.975 quantile of Student's t with `df` degrees of freedom (fractional allowed): the
 * Cornish–Fisher expansion around the normal quantile, within 0.5 % of the tables from df = 1.
 */
export function tQuantile975(df: number): number {
  if (!(df > 0)) throw new Error(`tQuantile975: degrees of freedom must be > 0, got ${df}`);
  if (df < 3) return df < 1.5 ? 12.706 : df < 2.5 ? 4.303 : 3.182;
  const z = 1.959964;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  const z9 = z ** 9;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3) +
    (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * df ** 4)
  );
}
