import { describe, expect, it } from 'vitest';
import {
  type AggregateRow,
  aggregateRows,
  eventRows,
  isNewer,
  newestPerIdentity,
  readingRows,
} from '../../../scripts/receiver/pgRows.js';

const record = (over: Record<string, unknown> = {}) => ({
  device: 'nutrient',
  channel: 'cod',
  code: 'w01018',
  period: 'minute',
  start: '2026-12-01T00:00:00.000Z',
  end: '2026-12-01T00:01:00.000Z',
  min: 1,
  avg: 1.5,
  max: 2,
  cou: null,
  count: 6,
  valid: 6,
  expected: 6,
  flag: 'N',
  ...over,
});
const row = (over: Record<string, unknown> = {}): AggregateRow =>
  aggregateRows({ station: 'S', aggregates: [record(over)] })[0]!;

describe('pgRows', () => {
  it('keeps reading fields it does not know in extra, and qc as JSON', () => {
    const [r] = readingRows({
      station: 'S',
      db: 'a'.repeat(32),
      historical: true,
      readings: [
        {
          seq: 7,
          ts: '2026-12-01T00:00:07.000Z',
          device: 'd',
          channel: 'c',
          value: 1,
          flag: 'N',
          qc: { gross: 1 },
          later: 'x',
        },
      ],
    });
    expect(r).toMatchObject({
      seq: 7,
      historical: true,
      qc: '{"gross":1}',
      extra: '{"later":"x"}',
      code: null,
    });
  });

  it('refuses a reading without a usable seq or ts (the batch is dropped as malformed)', () => {
    const batch = (r: Record<string, unknown>) => ({ station: 'S', readings: [r] });
    const ok = { seq: 1, ts: '2026-12-01T00:00:00.000Z', device: 'd', channel: 'c', flag: 'N' };
    expect(() => readingRows(batch({ ...ok, seq: 0 }))).toThrow(/seq 0/);
    expect(() => readingRows(batch({ ...ok, ts: 'yesterday' }))).toThrow(/ts yesterday/);
    expect(() => readingRows({ station: 'S' })).toThrow(/readings array/);
    // Agents older than the store identity send no db: keyed under ''.
    expect(readingRows(batch(ok))[0]!.db).toBe('');
  });

  it('events need a db and integer ids', () => {
    expect(() => eventRows({ station: 'S', events: [] })).toThrow(/db/);
    expect(() => eventRows({ station: 'S', db: 'x', events: [{ id: 'one', kind: 'k' }] })).toThrow(/id one/);
    expect(eventRows({ station: 'S', db: 'x', events: [{ id: 1, kind: 'k', ts: 'bad' }] })[0]).toMatchObject({
      id: 1,
      ts: null,
    });
  });

  it('newest aggregate: by aseq when both carry one, else by samples, ties to the later one', () => {
    expect(isNewer(row({ aseq: 9, count: 1 }), row({ aseq: 8, count: 6 }))).toBe(true);
    expect(isNewer(row({ aseq: 7 }), row({ aseq: 8 }))).toBe(false);
    expect(isNewer(row({ count: 5, valid: 5 }), row({ count: 6, valid: 6 }))).toBe(false);
    expect(isNewer(row({ count: 6, valid: 6 }), row({ count: 5, valid: 5 }))).toBe(true);
    expect(isNewer(row({ avg: 9 }), row({ avg: 1 }))).toBe(true);
    const kept = newestPerIdentity([
      row({ count: 6, avg: 2 }),
      row({ count: 4, avg: 1 }),
      row({ channel: 'ph' }),
    ]);
    expect(kept.map((k) => [k.channel, k.avg])).toEqual([
      ['cod', 2],
      ['ph', 1.5],
    ]);
  });
});
