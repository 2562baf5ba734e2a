import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import { Eviction } from '../../../agent/store/eviction.js';
import { type LoggerAggregateRow, LoggerAggregateStore } from '../../../agent/store/loggerAggregateStore.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';

/** Issue 16 part 2: a data logger's own records, kept beside the agent's (migration 6). */

let dir: string;
let db: Database.Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'logger-aggregates-'));
  db = openDatabase({ path: join(dir, 'station.db'), log: silentLogger() });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOON = Date.UTC(2026, 11, 7, 4, 0, 0);

function row(extra: Partial<LoggerAggregateRow>): LoggerAggregateRow {
  return {
    device: 'logger1',
    channel: 'cod',
    code: 'w01018',
    unit: 'mg/L',
    mn: 'MN1',
    period: 'minute',
    start: NOON,
    dataTime: '20261207120000',
    min: 20.1,
    avg: 25.5,
    max: 30.2,
    cou: null,
    flag: 'N',
    ...extra,
  };
}

describe('LoggerAggregateStore', () => {
  it('keeps the records, a re-sent one replacing the stored one', () => {
    const store = new LoggerAggregateStore({ db, clock: { now: () => NOON + 5000 } });
    store.keep([row({}), row({ channel: 'nh3n', code: 'w21003', avg: 0.31 })]);
    store.keep([row({ avg: 25.6, flag: 'M' })]);
    expect(store.count()).toBe(2);
    expect(store.recent('logger1', 10).map((r) => [r.channel, r.avg, r.flag, r.dataTime])).toEqual([
      ['cod', 25.6, 'M', '20261207120000'],
      ['nh3n', 0.31, 'N', '20261207120000'],
    ]);
  });

  it('are deleted by retention once their period started before the cutoff', () => {
    const store = new LoggerAggregateStore({ db });
    store.keep([row({ start: NOON - 60_000 }), row({ start: NOON })]);
    const eviction = new Eviction({ db, events: { record: () => 0 }, now: () => NOON });
    expect(eviction.loggerAggregatesBefore(NOON, 5000)).toBe(1);
    expect(store.recent('logger1', 10).map((r) => r.start)).toEqual([NOON]);
  });
});
