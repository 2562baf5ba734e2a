import type { AggregateRecord } from '../../agent/aggregation/records.js';

/** 2026-11-28 08:00 UTC: the start of minute 0 of the fixtures below. */
export const AGG_T0 = Date.UTC(2026, 10, 28, 8, 0, 0);

/** Minute `i` of the nutrient analyzer's COD channel, a valid record unless `over` says otherwise. */
export function codMinute(i: number, over: Partial<AggregateRecord> = {}): AggregateRecord {
  return {
    device: 'nutrient',
    channel: 'cod',
    code: 'w01018',
    unit: 'mg/L',
    period: 'minute',
    start: AGG_T0 + i * 60_000,
    end: AGG_T0 + (i + 1) * 60_000,
    min: 25,
    avg: 25.4,
    max: 26,
    cou: null,
    count: 6,
    valid: 6,
    expected: 6,
    flag: 'N',
    ok: true,
    ...over,
  };
}
