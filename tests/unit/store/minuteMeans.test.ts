import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import type { NewReading } from '../../../agent/core/reading.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);

function reading(
  ts: number,
  channel: string,
  value: number | null,
  over: Partial<NewReading> = {},
): NewReading {
  return {
    ts,
    device: 'sonde',
    channel,
    code: null,
    value,
    unit: null,
    flag: value === null ? 'B' : 'N',
    ...over,
  };
}

describe('ReadingStore.minuteMeans', () => {
  let dir: string;
  let db: ReturnType<typeof openDatabase>;
  let store: ReadingStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'minute-means-'));
    db = openDatabase({ path: join(dir, 'station.db'), log: silentLogger() });
    store = new ReadingStore({ db, log: silentLogger() });
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('averages each channel per minute from `since` on, with null for minutes without a value', () => {
    store.append([
      reading(T0 - MIN, 'temp', 99), // before `since`: left out
      reading(T0, 'temp', 10),
      reading(T0 + 20_000, 'temp', 20),
      reading(T0 + 59_999, 'temp', 30),
      reading(T0 + 59_999, 'temp', null), // a B reading does not drag the mean to 0
      reading(T0 + MIN, 'temp', null),
      reading(T0 + 3 * MIN + 5, 'temp', 7.5),
      reading(T0 + 1000, 'ph', 7),
      reading(T0 + 2000, 'ph', 8),
      // Same device and channel under another unit (another channels row): one series all the same.
      reading(T0 + 3000, 'ph', 9, { unit: 'pH' }),
      reading(T0 + 1000, 'cod', 25, { device: 'nutrient' }),
    ]);
    expect(store.minuteMeans(T0)).toEqual([
      { device: 'nutrient', channel: 'cod', minute: T0, mean: 25 },
      { device: 'sonde', channel: 'ph', minute: T0, mean: 8 },
      { device: 'sonde', channel: 'temp', minute: T0, mean: 20 },
      { device: 'sonde', channel: 'temp', minute: T0 + MIN, mean: null },
      { device: 'sonde', channel: 'temp', minute: T0 + 3 * MIN, mean: 7.5 },
    ]);
    expect(store.minuteMeans(T0 + 2 * MIN)).toEqual([
      { device: 'sonde', channel: 'temp', minute: T0 + 3 * MIN, mean: 7.5 },
    ]);
    expect(store.minuteMeans(T0 + 10 * MIN)).toEqual([]);
  });
});
