import type { AggregateFlag, AggregateRecord, ChannelIdentity, PeriodKind } from '../core/aggregateRecord.js';
import { decimalDifference, decimalSum, roundToSignificant } from '../core/decimal.js';
import type { DataFlag } from '../core/reading.js';
import { periodFlag } from './flagRule.js';

export type { AggregateRecord, ChannelIdentity } from '../core/aggregateRecord.js';

/**
 * One minute, hour or day record and the arithmetic that builds it:
 * - a minute from its samples (SampleAccumulator),
 * - an hour from its minute records, a day from its hour records (parentRecord), as HJ 75 does:
 *   the hour value is the mean of the valid minute values.
 * count / valid / expected are in units of the level below: samples for a minute, minutes for an
 * hour, hours for a day, so a record shows its own validity rule ("45 of 60 minutes").
 *
 * Means are held to MEAN_DIGITS significant digits and counter increases are summed as decimals, so
 * a record carries no binary noise (the mean of 7.6, 7.7 and 7.8 is 7.7, not 7.699999999999999) and
 * reads the same in the store, on MQTT and in exports. See docs/values.md.
 */

/**
 * Significant digits of a mean: more than any analyzer resolves (a float32 carries about 7), and few
 * enough that a double sum's rounding error (typically √n × 1e-16 relative) never shows in them.
 */
export const MEAN_DIGITS = 12;

export interface Rules {
  /** Valid samples/children a period needs. */
  minValid: number;
  flagShare: number;
}

/** A sample as the aggregator counts it. */
export interface CountedSample {
  value: number | null;
  flag: DataFlag;
  valid: boolean;
  /** Counter increase since the previous sample (cumulative channels), else null. */
  couDelta: number | null;
}

/** The running totals of one open minute. */
export class SampleAccumulator {
  count = 0;
  valid = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private cou: number | null = null;
  private readonly flags = new Map<AggregateFlag, number>();

  add(s: CountedSample): void {
    this.count++;
    this.flags.set(s.flag, (this.flags.get(s.flag) ?? 0) + 1);
    if (s.couDelta !== null) this.cou = decimalSum(this.cou ?? 0, s.couDelta);
    if (!s.valid || s.value === null) return;
    this.valid++;
    this.sum += s.value;
    this.min = Math.min(this.min, s.value);
    this.max = Math.max(this.max, s.value);
  }

  record(
    id: ChannelIdentity,
    period: { start: number; end: number },
    expected: number,
    rules: Rules,
  ): AggregateRecord {
    const ok = this.valid >= rules.minValid;
    const has = this.valid > 0;
    return {
      ...id,
      period: 'minute',
      start: period.start,
      end: period.end,
      min: has ? this.min : null,
      avg: has ? mean(this.sum, this.valid, this.min, this.max) : null,
      max: has ? this.max : null,
      cou: this.cou,
      count: this.count,
      valid: this.valid,
      expected,
      flag: periodFlag(this.flags, rules.flagShare, ok),
      ok,
    };
  }
}

/** An hour from its minute records or a day from its hour records (children: any order, this period only). */
export function parentRecord(
  id: ChannelIdentity,
  period: { kind: PeriodKind; start: number; end: number },
  children: readonly AggregateRecord[],
  expected: number,
  rules: Rules,
): AggregateRecord {
  const flags = new Map<AggregateFlag, number>();
  let count = 0;
  let valid = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let cou: number | null = null;
  for (const c of children) {
    if (c.cou !== null) cou = decimalSum(cou ?? 0, c.cou);
    if (c.count === 0) continue;
    count++;
    flags.set(c.flag, (flags.get(c.flag) ?? 0) + 1);
    if (!c.ok || c.avg === null || c.min === null || c.max === null) continue;
    valid++;
    sum += c.avg;
    min = Math.min(min, c.min);
    max = Math.max(max, c.max);
  }
  const ok = valid >= rules.minValid;
  return {
    ...id,
    period: period.kind,
    start: period.start,
    end: period.end,
    min: valid > 0 ? min : null,
    avg: valid > 0 ? mean(sum, valid, min, max) : null,
    max: valid > 0 ? max : null,
    cou,
    count,
    valid,
    expected,
    flag: periodFlag(flags, rules.flagShare, ok),
    ok,
  };
}

/**
 * Increase of a counter from `prev` to `cur`. A decrease is a wrap-around when the counter has a
 * rollover value and wrapping explains it with less than half a turn; otherwise the counter was reset
 * (replaced, power-cycled) and counted up from 0 to `cur`.
 */
export function counterDelta(prev: number | null, cur: number, rollover?: number): number | null {
  if (prev === null) return null;
  // As decimals: 98765.45 − 98765.4 is 0.05, not 0.04999999999999716.
  if (cur >= prev) return decimalDifference(cur, prev);
  if (rollover !== undefined) {
    const wrapped = decimalSum(decimalDifference(rollover, prev), cur);
    if (wrapped >= 0 && wrapped < rollover / 2) return wrapped;
  }
  return Math.max(0, cur);
}

/** sum / n held to MEAN_DIGITS, within [lo, hi] (where the true mean lies; the clamp only guards rounding). */
function mean(sum: number, n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, roundToSignificant(sum / n, MEAN_DIGITS)));
}
