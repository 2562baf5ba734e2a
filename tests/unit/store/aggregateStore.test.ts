import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import { AggregateStore } from '../../../agent/store/aggregateStore.js';
import { EventStore } from '../../../agent/store/eventStore.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import { codMinute } from '../../helpers/aggregateFixture.js';

const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);
const cod = { device: 'nutrient', channel: 'cod', code: 'w01018', unit: 'mg/L' };

const rec = codMinute;

describe('AggregateStore', () => {
  let db: Database.Database;
  let store: AggregateStore;
  beforeEach(() => {
    db = openDatabase({ path: ':memory:', log: silentLogger() });
    store = new AggregateStore({ db });
  });
  afterEach(() => db.close());

  it('stores records with increasing aseq and reads them forward', () => {
    const a = store.upsert([rec(0), rec(1)]);
    const b = store.upsert([rec(2, { period: 'hour', end: T0 + 3_600_000 })]);
    expect([...a, ...b].map((r) => r.aseq)).toEqual([1, 2, 3]);
    expect(store.readAfter(0, 10)).toEqual([...a, ...b]);
    expect(store.readAfter(1, 1).map((r) => r.aseq)).toEqual([2]);
    expect(store.lastAseq()).toBe(3);
    expect(store.countAfter(1)).toBe(2);
    expect(a[0]).toEqual({ ...rec(0), aseq: 1 });
  });

  it('a period is stored once: a changed record replaces it with a new aseq, an identical one changes nothing', () => {
    store.upsert([rec(0), rec(1)]);
    expect(store.upsert([rec(0)])).toEqual([]);
    const replaced = store.upsert([rec(0, { avg: 25.5, count: 7 })]);
    expect(replaced.map((r) => r.aseq)).toEqual([3]);
    expect(store.byRange(cod, 'minute', T0, T0 + 10 * 60_000).map((r) => [r.start, r.avg, r.aseq])).toEqual([
      [T0, 25.5, 3],
      [T0 + 60_000, 25.4, 2],
    ]);
    // the replaced row is gone; a cursor at 2 sees the new version
    expect(store.readAfter(2, 10).map((r) => r.aseq)).toEqual([3]);
    expect(db.prepare('SELECT count(*) FROM aggregates').pluck().get()).toBe(2);
  });

  it('shares channel rows with the reading store', () => {
    new ReadingStore({ db }).append([{ ts: T0, ...cod, value: 1, flag: 'N' }]);
    store.upsert([rec(0)]);
    expect(db.prepare('SELECT count(*) FROM channels').pluck().get()).toBe(1);
  });

  it('answers range, last and first queries per channel and period', () => {
    store.upsert([rec(0), rec(1), rec(2), rec(0, { period: 'hour', end: T0 + 3_600_000 })]);
    expect(store.byRange(cod, 'minute', T0 + 60_000, T0 + 3 * 60_000).map((r) => r.start)).toEqual([
      T0 + 60_000,
      T0 + 120_000,
    ]);
    expect(store.last(cod, 'minute')?.start).toBe(T0 + 120_000);
    expect(store.last(cod, 'day')).toBeNull();
    expect(store.firstStart(cod, 'minute')).toBe(T0);
    const other = { ...cod, channel: 'nh3n' };
    expect(store.byRange(other, 'minute', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(store.last(other, 'minute')).toBeNull();
    // queries never create channel rows
    expect(db.prepare('SELECT count(*) FROM channels').pluck().get()).toBe(1);
  });

  it('tells listeners about changed records only, and survives a throwing listener', () => {
    const seen: number[][] = [];
    store.onCommitted((rs) => seen.push(rs.map((r) => r.aseq)));
    store.onCommitted(() => {
      throw new Error('listener bug');
    });
    store.upsert([rec(0)]);
    store.upsert([rec(0)]);
    expect(seen).toEqual([[1]]);
  });

  it('stores non-finite numbers as null and an H flag as is', () => {
    const [r] = store.upsert([
      rec(0, { avg: Number.NaN, min: null, max: null, flag: 'H', ok: false, valid: 0 }),
    ]);
    expect(r).toMatchObject({ avg: null, flag: 'H', ok: false });
  });
});

describe('EventStore', () => {
  it('records events and reads them by kind and time', () => {
    const db = openDatabase({ path: ':memory:', log: silentLogger() });
    const events = new EventStore({ db });
    events.record(T0, { kind: 'clock-jump', from: T0, to: T0 - 600_000, deltaMs: -600_000 });
    events.record(T0 + 1, { kind: 'other' });
    expect(events.since('clock-jump', T0)).toEqual([
      { id: 1, ts: T0, event: { kind: 'clock-jump', from: T0, to: T0 - 600_000, deltaMs: -600_000 } },
    ]);
    expect(events.since('clock-jump', T0 + 1)).toEqual([]);
    expect(events.readAfter(1, 10).map((e) => e.event.kind)).toEqual(['other']);
    db.close();
  });
});
