import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import type { NewReading } from '../../../agent/core/reading.js';
import { AggregateStore } from '../../../agent/store/aggregateStore.js';
import { ChannelTrendReader } from '../../../agent/store/channelTrend.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import { AGG_T0, codMinute } from '../../helpers/aggregateFixture.js';

const T0 = AGG_T0;

function reading(i: number, over: Partial<NewReading> = {}): NewReading {
  return {
    ts: T0 + i * 1000,
    device: 'nutrient',
    channel: 'cod',
    code: 'w01018',
    value: 20 + i,
    unit: 'mg/L',
    flag: 'N',
    ...over,
  };
}

describe('ChannelTrendReader (real SQLite file)', () => {
  let dir: string;
  let db: Database.Database;
  let trend: ChannelTrendReader;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trend-'));
    db = openDatabase({ path: join(dir, 'agent.db'), log: silentLogger() });
    trend = new ChannelTrendReader(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("returns one channel's readings in [from, to), oldest first, with their flags", () => {
    const store = new ReadingStore({ db });
    store.append([
      reading(0),
      reading(1, { flag: 'C' }),
      reading(1, { channel: 'ph', code: 'w01001', unit: null, value: 7 }), // another channel
      reading(2, { value: null, flag: 'B' }),
      reading(3, { device: 'sonde' }), // same channel id, another device
      reading(4),
    ]);
    expect(trend.readings('nutrient', 'cod', T0 + 1000, T0 + 4000, 100)).toEqual([
      { ts: T0 + 1000, value: 21, flag: 'C' },
      { ts: T0 + 2000, value: null, flag: 'B' },
    ]);
    expect(trend.readings('nutrient', 'cod', T0, T0 + 10_000, 100).map((p) => p.ts)).toEqual([
      T0,
      T0 + 1000,
      T0 + 2000,
      T0 + 4000,
    ]);
    expect(trend.readings('nutrient', 'nope', T0, T0 + 10_000, 100)).toEqual([]);
  });

  it('keeps the newest points when there are more than the limit', () => {
    new ReadingStore({ db }).append([0, 1, 2, 3, 4].map((i) => reading(i)));
    expect(trend.readings('nutrient', 'cod', T0, T0 + 10_000, 2).map((p) => p.ts)).toEqual([
      T0 + 3000,
      T0 + 4000,
    ]);
  });

  it('follows a channel across a unit change (a second channels row)', () => {
    new ReadingStore({ db }).append([reading(0), reading(1, { unit: 'mg/l' })]);
    expect(trend.readings('nutrient', 'cod', T0, T0 + 10_000, 10).map((p) => p.value)).toEqual([20, 21]);
  });

  it("returns one channel's minute records (mean and flag), not its hours", () => {
    const aggregates = new AggregateStore({ db });
    aggregates.upsert([
      codMinute(0),
      codMinute(1, { avg: 30, flag: 'M' }),
      codMinute(2, { avg: null, flag: 'H', ok: false }),
      codMinute(3, { channel: 'ph' }),
      { ...codMinute(0), period: 'hour', end: T0 + 3_600_000 },
    ]);
    expect(trend.minutes('nutrient', 'cod', T0, T0 + 3_600_000, 100)).toEqual([
      { ts: T0, value: 25.4, flag: 'N' },
      { ts: T0 + 60_000, value: 30, flag: 'M' },
      { ts: T0 + 120_000, value: null, flag: 'H' },
    ]);
    expect(trend.minutes('nutrient', 'cod', T0 + 60_000, T0 + 120_000, 100)).toHaveLength(1);
  });
});
