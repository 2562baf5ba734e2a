import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZonedTime } from '../../../agent/cli/csv.js';
import { pump } from '../../../agent/cli/exportCommand.js';
import {
  aggregateCsvLines,
  countReadings,
  readingCsvLines,
  resolveChannels,
  UnknownChannelError,
} from '../../../agent/cli/storeExport.js';
import { silentLogger } from '../../../agent/core/log.js';
import type { NewReading } from '../../../agent/core/reading.js';
import { AggregateStore } from '../../../agent/store/aggregateStore.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import { openStoreReadOnly } from '../../../agent/store/storeReadOnly.js';

const T0 = Date.UTC(2026, 10, 1, 0, 0); // 08:00 in Shanghai
const zone = new ZonedTime('Asia/Shanghai');

let dir: string;
let db: Database.Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sa-export-'));
  db = openDatabase({ path: join(dir, 'agent.db'), log: silentLogger() });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Two channels every minute for `minutes` minutes; the sonde's unit has a comma to test quoting. */
function fill(minutes: number) {
  const store = new ReadingStore({ db });
  const batch: NewReading[] = [];
  for (let i = 0; i < minutes; i++) {
    const ts = T0 + i * 60_000;
    batch.push({
      ts,
      device: 'nutrient',
      channel: 'cod',
      code: 'w01018',
      value: i + 0.5,
      unit: 'mg/L',
      flag: 'N',
    });
    batch.push({
      ts,
      device: 'sonde',
      channel: 'cond',
      code: null,
      value: i === 3 ? null : i,
      unit: 'µS,cm',
      flag: i === 3 ? 'B' : 'N',
    });
  }
  return store.append(batch);
}

describe('export rows', () => {
  it('exports exactly the readings of [from, to) in time order, with quoting and local time', () => {
    fill(10);
    const range = { from: T0 + 2 * 60_000, to: T0 + 5 * 60_000 };
    expect(countReadings(db, range)).toBe(6);
    const lines = [...readingCsvLines(db, range, zone)];
    expect(lines[0]).toBe(
      'seq,utc_time,station_time (Asia/Shanghai),device,channel,code,value,unit,flag\r\n',
    );
    expect(lines.slice(1)).toEqual([
      '5,2026-11-01T00:02:00.000Z,2026-11-01 08:02:00,nutrient,cod,w01018,2.5,mg/L,N\r\n',
      '6,2026-11-01T00:02:00.000Z,2026-11-01 08:02:00,sonde,cond,,2,"µS,cm",N\r\n',
      '7,2026-11-01T00:03:00.000Z,2026-11-01 08:03:00,nutrient,cod,w01018,3.5,mg/L,N\r\n',
      '8,2026-11-01T00:03:00.000Z,2026-11-01 08:03:00,sonde,cond,,,"µS,cm",B\r\n',
      '9,2026-11-01T00:04:00.000Z,2026-11-01 08:04:00,nutrient,cod,w01018,4.5,mg/L,N\r\n',
      '10,2026-11-01T00:04:00.000Z,2026-11-01 08:04:00,sonde,cond,,4,"µS,cm",N\r\n',
    ]);
  });

  it('keeps only the channels asked for, and names the stored ones for a typo', () => {
    fill(10);
    const channelIds = resolveChannels(db, ['sonde/cond']);
    const range = { from: T0, to: T0 + 3_600_000, channelIds };
    const rows = [...readingCsvLines(db, range, zone)].slice(1);
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.includes(',sonde,cond,'))).toBe(true);
    expect(() => resolveChannels(db, ['sonde/cnd'])).toThrow(UnknownChannelError);
    expect(() => resolveChannels(db, ['sonde/cnd'])).toThrow('stored: nutrient/cod, sonde/cond');
    expect(() => resolveChannels(db, ['cond'])).toThrow('expects device/channel');
  });

  it('orders by time even when seq and time disagree (a clock step back)', () => {
    const store = new ReadingStore({ db });
    const r = (ts: number): NewReading => ({
      ts,
      device: 'd',
      channel: 'c',
      code: null,
      value: 1,
      unit: null,
      flag: 'N',
    });
    store.append([r(T0 + 60_000), r(T0)]);
    const rows = [...readingCsvLines(db, { from: T0, to: T0 + 120_000 }, zone)].slice(1);
    expect(rows.map((l) => l.split(',')[0])).toEqual(['2', '1']);
  });

  it('exports aggregate records of one period', () => {
    const aggs = new AggregateStore({ db });
    const rec = (start: number, period: 'hour' | 'minute') => ({
      device: 'nutrient',
      channel: 'cod',
      code: 'w01018',
      unit: 'mg/L',
      period,
      start,
      end: start + (period === 'hour' ? 3_600_000 : 60_000),
      min: 1,
      avg: 2,
      max: 3,
      cou: null,
      count: 60,
      valid: 58,
      expected: 60,
      flag: 'N' as const,
      ok: true,
    });
    aggs.upsert([rec(T0, 'hour'), rec(T0 + 3_600_000, 'hour'), rec(T0, 'minute')]);
    const rows = [...aggregateCsvLines(db, 'hour', { from: T0, to: T0 + 3_600_000 }, zone)];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toBe(
      'aseq,period,utc_start,station_start (Asia/Shanghai),utc_end,device,channel,code,' +
        'min,avg,max,cou,unit,count,valid,expected,flag,ok\r\n',
    );
    expect(rows[1]).toBe(
      '1,hour,2026-11-01T00:00:00.000Z,2026-11-01 08:00:00,2026-11-01T01:00:00.000Z,' +
        'nutrient,cod,w01018,1,2,3,,mg/L,60,58,60,N,1\r\n',
    );
  });

  it('pump waits for drain and stops at a sink error', async () => {
    let written = '';
    const listeners: Record<string, (() => void)[]> = { drain: [] };
    let onError: ((e: unknown) => void) | undefined;
    const sink = {
      write(chunk: string) {
        written += chunk;
        setTimeout(() => {
          for (const fn of listeners.drain!.splice(0)) fn();
        }, 1);
        return false; // always "full": every chunk must wait
      },
      on: (_: 'error', fn: (e: unknown) => void) => {
        onError = fn;
      },
      once: (_: 'drain', fn: () => void) => {
        listeners.drain!.push(fn);
      },
    };
    const big = Array.from({ length: 5000 }, (_, i) => `${'x'.repeat(40)}${i}\n`);
    await pump(big, sink);
    expect(written).toBe(big.join(''));

    const failing = {
      ...sink,
      write: () => {
        // Like a pipe whose reader left: the error comes during write() itself.
        onError?.(Object.assign(new Error('EPIPE'), { code: 'EPIPE' }));
        return false;
      },
    };
    await expect(pump(big, failing)).rejects.toThrow('EPIPE');
  });
});

describe('read-only store', () => {
  it('opens beside a writer, refuses to write, and explains a missing file', () => {
    fill(2);
    const ro = openStoreReadOnly(join(dir, 'agent.db'));
    try {
      expect(ro.prepare('SELECT count(*) FROM readings').pluck().get()).toBe(4);
      expect(() => ro.prepare("INSERT INTO events (ts, kind, data) VALUES (1, 'x', '{}')").run()).toThrow(
        /readonly/,
      );
    } finally {
      ro.close();
    }
    expect(() => openStoreReadOnly(join(dir, 'none.db'))).toThrow(/no database at .*none\.db/);
  });
});
