/**
 * Minute, hour and day periods in the station's local time. A period is [start, end) in epoch ms;
 * its key upstream is its start (HJ 212 DataTime is the start of the period).
 *
 * Nothing assumes a fixed UTC offset: a period is the longest stretch of instants that share the
 * same local wall-clock label (Intl, IANA time zone), so
 * - a local day is 23 or 25 hours on daylight-saving days, and still one day;
 * - the repeated hour when clocks go back is two hours (02:00 CEST and 02:00 CET), told apart by
 *   the UTC offset, which is part of the minute and hour labels (not the day's);
 * - zones at +05:30 or +05:45 start their hours at :30 or :15 UTC.
 * The fast path assumes the offset is constant across the period and checks that it was; across a
 * transition a binary search finds the boundary instead.
 */
import type { PeriodKind } from '../core/aggregateRecord.js';
import { ZonedTime } from '../core/zonedTime.js';

export { PERIOD_KINDS, type PeriodKind } from '../core/aggregateRecord.js';

export interface Period {
  kind: PeriodKind;
  start: number;
  end: number;
}

/** Periods remembered per kind (PeriodCalendar.periodOf): the open one, the closing one, and a spare. */
const RECENT_PERIODS = 3;

const NOMINAL_MS: Record<PeriodKind, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** The next smaller period: an hour is made of minutes, a day of hours. */
export const CHILD_KIND: Record<PeriodKind, PeriodKind | null> = {
  minute: null,
  hour: 'minute',
  day: 'hour',
};

interface LocalTime {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  /** UTC offset in ms. */
  offset: number;
}

export class PeriodCalendar {
  readonly timeZone: string;
  private readonly zone: ZonedTime;
  /**
   * The last few periods computed per kind, newest first. Samples arrive in time order, so most
   * lookups hit the newest; at each minute's close the aggregator asks for the closing minute and the
   * open one channel after channel, which a single entry answered with ~7 Intl calls every time.
   */
  private readonly recent = new Map<PeriodKind, Period[]>();

  constructor(timeZone: string) {
    this.timeZone = timeZone;
    this.zone = ZonedTime.of(timeZone);
  }

  /** The period of `kind` containing `ts`. */
  periodOf(kind: PeriodKind, ts: number): Period {
    let recent = this.recent.get(kind);
    if (recent === undefined) {
      recent = [];
      this.recent.set(kind, recent);
    }
    for (const p of recent) if (p.start <= ts && ts < p.end) return p;
    const start = this.startOf(kind, ts);
    const period = { kind, start, end: this.endOf(kind, start) };
    recent.unshift(period);
    if (recent.length > RECENT_PERIODS) recent.pop();
    return period;
  }

  /** Start of the period of `kind` containing `ts`. */
  startOf(kind: PeriodKind, ts: number): number {
    const label = this.label(kind, ts);
    const t = this.local(ts);
    const ms = ((ts % 1000) + 1000) % 1000;
    const elapsed =
      kind === 'minute'
        ? t.s * 1000 + ms
        : kind === 'hour'
          ? (t.mi * 60 + t.s) * 1000 + ms
          : ((t.h * 60 + t.mi) * 60 + t.s) * 1000 + ms;
    const guess = ts - elapsed;
    if (this.label(kind, guess) === label && this.label(kind, guess - 1) !== label) return guess;
    // A UTC offset change inside the period: the first instant with this label, by bisection.
    let lo = ts - 2 * NOMINAL_MS[kind]; // label(lo) differs: no period is twice its nominal length
    let hi = ts;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.label(kind, mid) === label) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /** End of the period of `kind` that starts at `start` (the next period's start). */
  endOf(kind: PeriodKind, start: number): number {
    const label = this.label(kind, start);
    const guess = start + NOMINAL_MS[kind];
    if (this.label(kind, guess) !== label && this.label(kind, guess - 1) === label) return guess;
    let lo = start;
    let hi = start + 2 * NOMINAL_MS[kind];
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.label(kind, mid) === label) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  /** Consecutive periods of `kind` covering [from, to): the first contains `from`. */
  *periods(kind: PeriodKind, from: number, to: number): Generator<Period> {
    let start = this.startOf(kind, from);
    while (start < to) {
      const end = this.endOf(kind, start);
      yield { kind, start, end };
      start = end;
    }
  }

  /** Local wall time label of the period of `kind` containing `ts`, e.g. "2026-3-29 1 +3600000" for an hour. */
  private label(kind: PeriodKind, ts: number): string {
    const t = this.local(ts);
    const day = `${t.y}-${t.mo}-${t.d}`;
    if (kind === 'day') return day;
    if (kind === 'hour') return `${day} ${t.h} ${t.offset}`;
    return `${day} ${t.h}:${t.mi} ${t.offset}`;
  }

  private local(ts: number): LocalTime {
    const t = this.zone.parts(ts);
    const wholeSecond = ts - (((ts % 1000) + 1000) % 1000);
    return { ...t, offset: Date.UTC(t.y, t.mo - 1, t.d, t.h, t.mi, t.s) - wholeSecond };
  }
}
