import type { AggregationConfig } from '../config/qualitySchema.js';
import type { ClockJump } from './clockJumpDetector.js';
import type { Period, PeriodCalendar, PeriodKind } from './periods.js';

/**
 * How many samples (or child periods) a period should have, and how many valid ones it needs.
 *
 * Expected counts follow the time the station actually lived through. A forward clock step skips
 * wall time that never happened on this station: no sample could be taken in it, so it is not
 * missing data. SkippedTime holds those stretches (and, after a backward step, the rest of the
 * minute that was closed early); expected counts leave them out. An outage of the agent is not
 * skipped: that time happened, and its samples are missing.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export class SkippedTime {
  /** Disjoint [start, end) spans, sorted. */
  private spans: [number, number][] = [];

  constructor(private readonly calendar: PeriodCalendar) {}

  /** Wall time a clock step took away: forward, the jumped-over span; backward, the rest of that minute. */
  addJump(jump: Pick<ClockJump, 'from' | 'to' | 'deltaMs'>): void {
    if (jump.deltaMs > 0) this.add(jump.from, jump.to);
    else this.add(jump.from, this.calendar.periodOf('minute', jump.from).end);
  }

  add(start: number, end: number): void {
    if (!(end > start)) return;
    const merged: [number, number][] = [];
    let cur: [number, number] = [start, end];
    for (const s of this.spans) {
      if (s[1] < cur[0] || s[0] > cur[1]) merged.push(s);
      else cur = [Math.min(s[0], cur[0]), Math.max(s[1], cur[1])];
    }
    merged.push(cur);
    this.spans = merged.sort((a, b) => a[0] - b[0]);
  }

  /** Milliseconds of [start, end) that were skipped. */
  overlap(start: number, end: number): number {
    let ms = 0;
    for (const [a, b] of this.spans) ms += Math.max(0, Math.min(b, end) - Math.max(a, start));
    return ms;
  }

  /** Milliseconds of the period the station lived through. */
  lived(p: { start: number; end: number }): number {
    return p.end - p.start - this.overlap(p.start, p.end);
  }

  /** Forgets spans that ended before `ts`. */
  prune(ts: number): void {
    this.spans = this.spans.filter((s) => s[1] >= ts);
  }
}

/**
 * Expected count of a period. A minute expects one sample per `sampleEveryMs` lived (rounded down,
 * so an uneven interval never reports a sample missing that could not have come). An hour expects
 * each lived minute to hold data, a day each lived hour, unless samples are rarer than that (slow
 * intervals, analyzer cycles): then one child with data per sample.
 */
export function expectedCount(
  calendar: PeriodCalendar,
  skipped: SkippedTime,
  period: Period,
  sampleEveryMs: number,
): number {
  const lived = skipped.lived(period);
  if (period.kind === 'minute') return Math.floor(lived / sampleEveryMs);
  const child: PeriodKind = period.kind === 'hour' ? 'minute' : 'hour';
  const childMs = child === 'minute' ? MINUTE_MS : HOUR_MS;
  if (sampleEveryMs > childMs) return Math.floor(lived / sampleEveryMs);
  if (skipped.overlap(period.start, period.end) === 0)
    return Math.round((period.end - period.start) / childMs);
  let n = 0;
  for (const c of calendar.periods(child, period.start, period.end)) if (skipped.lived(c) > 0) n++;
  return n;
}

/**
 * Valid samples/children a period needs. The configured rules (hour >= 45 valid minutes, day >= 20
 * valid hours, minute >= 1 valid sample) hold as given when samples come at least once per child
 * period; for rarer samples they scale with the samples a full period holds (a 4 h cycle: 6 a day,
 * so 5 valid hours), never below 1. They are absolute: a day of 23 or 25 hours needs 20 as well,
 * and a period shortened by a clock step gets no discount.
 */
export function minValidCount(kind: PeriodKind, rules: AggregationConfig, sampleEveryMs: number): number {
  if (kind === 'minute') {
    return Math.max(1, Math.min(rules.minuteMinValidSamples, Math.floor(MINUTE_MS / sampleEveryMs)));
  }
  const [periodMs, childMs, min, of] =
    kind === 'hour'
      ? [HOUR_MS, MINUTE_MS, rules.hourMinValidMinutes, 60]
      : [DAY_MS, HOUR_MS, rules.dayMinValidHours, 24];
  if (sampleEveryMs <= childMs) return min;
  return Math.max(1, Math.ceil((Math.floor(periodMs / sampleEveryMs) * min) / of));
}
