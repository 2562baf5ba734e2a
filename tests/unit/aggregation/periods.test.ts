import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { PERIOD_KINDS, PeriodCalendar, type PeriodKind } from '../../../agent/aggregation/periods.js';

const iso = (ms: number) => new Date(ms).toISOString();
const z = (s: string) => Date.parse(s);

function period(tz: string, kind: PeriodKind, at: string): [string, string] {
  const p = new PeriodCalendar(tz).periodOf(kind, z(at));
  return [iso(p.start), iso(p.end)];
}

describe('PeriodCalendar', () => {
  it('Asia/Shanghai (UTC+8, no DST): the local day starts at 16:00 UTC the day before', () => {
    const at = '2026-11-28T08:00:30.500Z'; // 16:00:30.5 local
    expect(period('Asia/Shanghai', 'minute', at)).toEqual([
      '2026-11-28T08:00:00.000Z',
      '2026-11-28T08:01:00.000Z',
    ]);
    expect(period('Asia/Shanghai', 'hour', at)).toEqual([
      '2026-11-28T08:00:00.000Z',
      '2026-11-28T09:00:00.000Z',
    ]);
    expect(period('Asia/Shanghai', 'day', at)).toEqual([
      '2026-11-27T16:00:00.000Z',
      '2026-11-28T16:00:00.000Z',
    ]);
    // the instant of local midnight belongs to the new day
    expect(period('Asia/Shanghai', 'day', '2026-11-28T16:00:00.000Z')[0]).toBe('2026-11-28T16:00:00.000Z');
    expect(period('Asia/Shanghai', 'day', '2026-11-28T15:59:59.999Z')[0]).toBe('2026-11-27T16:00:00.000Z');
  });

  it('Europe/Berlin spring forward (2026-03-29, 02:00 CET -> 03:00 CEST): a 23-hour day', () => {
    expect(period('Europe/Berlin', 'day', '2026-03-29T12:00:00Z')).toEqual([
      '2026-03-28T23:00:00.000Z', // 00:00 CET
      '2026-03-29T22:00:00.000Z', // 00:00 CEST
    ]);
    // 01:00 CET is followed directly by 03:00 CEST
    expect(period('Europe/Berlin', 'hour', '2026-03-29T00:59:59Z')).toEqual([
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
    ]);
    expect(period('Europe/Berlin', 'hour', '2026-03-29T01:00:00Z')).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
    ]);
    const cal = new PeriodCalendar('Europe/Berlin');
    expect([...cal.periods('hour', z('2026-03-28T23:00:00Z'), z('2026-03-29T22:00:00Z'))]).toHaveLength(23);
  });

  it('Europe/Berlin fall back (2026-10-25, 03:00 CEST -> 02:00 CET): 02:00 happens twice, a 25-hour day', () => {
    expect(period('Europe/Berlin', 'day', '2026-10-25T12:00:00Z')).toEqual([
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
    ]);
    // two distinct hours both labelled 02:00 local
    expect(period('Europe/Berlin', 'hour', '2026-10-25T00:30:00Z')).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T01:00:00.000Z',
    ]);
    expect(period('Europe/Berlin', 'hour', '2026-10-25T01:30:00Z')).toEqual([
      '2026-10-25T01:00:00.000Z', // 02:00 CET
      '2026-10-25T02:00:00.000Z',
    ]);
    // and two distinct minutes both labelled 02:30
    expect(period('Europe/Berlin', 'minute', '2026-10-25T00:30:10Z')[0]).toBe('2026-10-25T00:30:00.000Z');
    expect(period('Europe/Berlin', 'minute', '2026-10-25T01:30:10Z')[0]).toBe('2026-10-25T01:30:00.000Z');
    const cal = new PeriodCalendar('Europe/Berlin');
    expect([...cal.periods('hour', z('2026-10-24T22:00:00Z'), z('2026-10-25T23:00:00Z'))]).toHaveLength(25);
  });

  it('half- and quarter-hour offsets: hours start at :30 or :15 UTC', () => {
    expect(period('Asia/Kolkata', 'hour', '2026-11-28T08:10:00Z')).toEqual([
      '2026-11-28T07:30:00.000Z', // 13:00 IST
      '2026-11-28T08:30:00.000Z',
    ]);
    expect(period('Asia/Kathmandu', 'hour', '2026-11-28T08:10:00Z')[0]).toBe('2026-11-28T07:15:00.000Z'); // 13:00 NPT
    expect(period('Asia/Kolkata', 'day', '2026-11-28T08:10:00Z')[0]).toBe('2026-11-27T18:30:00.000Z');
  });

  it('Australia/Lord_Howe (30-minute DST shift): a 30-minute hour when clocks go back', () => {
    // 2026-04-05 02:00 +11:00 (15:00Z) becomes 01:30 +10:30: the second 01:xx hour lasts 30 minutes
    expect(period('Australia/Lord_Howe', 'hour', '2026-04-04T14:10:00Z')).toEqual([
      '2026-04-04T14:00:00.000Z',
      '2026-04-04T15:00:00.000Z',
    ]);
    expect(period('Australia/Lord_Howe', 'hour', '2026-04-04T15:10:00Z')).toEqual([
      '2026-04-04T15:00:00.000Z',
      '2026-04-04T15:30:00.000Z',
    ]);
  });

  it('periods tile time without gaps or overlaps, whatever the zone (property)', () => {
    const zones = [
      'Asia/Shanghai',
      'Europe/Berlin',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'UTC',
    ];
    const calendars = new Map(zones.map((tz) => [tz, new PeriodCalendar(tz)]));
    const bounds: Record<PeriodKind, [number, number]> = {
      minute: [60_000, 60_000],
      hour: [1_800_000, 5_400_000],
      day: [82_800_000, 90_000_000],
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom(...PERIOD_KINDS),
        fc.integer({ min: z('2020-01-01T00:00:00Z'), max: z('2030-12-31T00:00:00Z') }),
        (tz, kind, ts) => {
          const cal = calendars.get(tz)!;
          const { start, end } = cal.periodOf(kind, ts);
          expect(start).toBeLessThanOrEqual(ts);
          expect(end).toBeGreaterThan(ts);
          expect(cal.startOf(kind, start)).toBe(start);
          expect(cal.startOf(kind, end - 1)).toBe(start);
          expect(cal.startOf(kind, end)).toBe(end);
          expect(cal.startOf(kind, start - 1)).toBeLessThan(start);
          expect(end - start).toBeGreaterThanOrEqual(bounds[kind][0]);
          expect(end - start).toBeLessThanOrEqual(bounds[kind][1]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the closing minute and the open one, asked alternately, are computed once each (aggregator tick)', () => {
    const cal = new PeriodCalendar('Asia/Shanghai');
    const closing = z('2026-11-28T08:00:30Z');
    const open = z('2026-11-28T08:01:00.200Z');
    const spy = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    try {
      const first = [cal.periodOf('minute', closing), cal.periodOf('minute', open)];
      const computed = spy.mock.calls.length;
      expect(computed).toBeGreaterThan(0);
      for (let channel = 0; channel < 40; channel++) {
        expect(cal.periodOf('minute', closing)).toEqual(first[0]);
        expect(cal.periodOf('minute', open)).toEqual(first[1]);
      }
      expect(spy.mock.calls.length).toBe(computed);
      expect([iso(first[0]!.start), iso(first[0]!.end), iso(first[1]!.end)]).toEqual([
        '2026-11-28T08:00:00.000Z',
        '2026-11-28T08:01:00.000Z',
        '2026-11-28T08:02:00.000Z',
      ]);
      // Remembering a few periods never answers for an instant outside them.
      expect(iso(cal.periodOf('minute', z('2026-11-28T08:05:00Z')).start)).toBe('2026-11-28T08:05:00.000Z');
      expect(iso(cal.periodOf('minute', z('2026-11-28T07:59:59.999Z')).start)).toBe(
        '2026-11-28T07:59:00.000Z',
      );
    } finally {
      spy.mockRestore();
    }
  });
});
