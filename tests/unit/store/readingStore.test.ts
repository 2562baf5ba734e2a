import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAgentError } from '../../../agent/core/errors.js';
import { silentLogger } from '../../../agent/core/log.js';
import type { NewReading, StoredReading } from '../../../agent/core/reading.js';
import { SCHEMA_VERSION } from '../../../agent/store/migrations.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';

const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);

function reading(i: number, over: Partial<NewReading> = {}): NewReading {
  return {
    ts: T0 + i * 1000,
    device: 'nutrient',
    channel: 'cod',
    code: 'w01018',
    value: 25.5 + i,
    unit: 'mg/L',
    flag: 'N',
    ...over,
  };
}

describe('ReadingStore', () => {
  let dir: string;
  let path: string;
  const open = () => openDatabase({ path, log: silentLogger() });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'store-'));
    path = join(dir, 'nested', 'dir', 'station.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the parent directory, migrates an empty file and sets durable pragmas', () => {
    const db = open();
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
    const db2 = openDatabase({ path, log: silentLogger(), synchronous: 'normal' });
    expect(db2.pragma('synchronous', { simple: true })).toBe(1);
    expect(db2.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db2.close();
  });

  it('refuses a database written by a newer schema', () => {
    const db = open();
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let err: unknown;
    try {
      open();
    } catch (e) {
      err = e;
    }
    expect(isAgentError(err, 'STORE_FAILED')).toBe(true);
    expect(String((err as Error).message)).toMatch(/newer than this agent supports/);
  });

  it('returns readings with strictly increasing seqs and round-trips every field', () => {
    const db = open();
    const store = new ReadingStore({ db });
    const a = store.append([reading(0), reading(1, { code: null, unit: null, value: null, flag: 'B' })]);
    const b = store.append([reading(2, { device: 'ph', channel: 'ph', flag: 'T' })]);
    expect([...a, ...b].map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(store.readAfter(0, 10)).toEqual([...a, ...b]);
    expect(store.readAfter(1, 10)[0]).toEqual({
      seq: 2,
      ts: T0 + 1000,
      device: 'nutrient',
      channel: 'cod',
      code: null,
      value: null,
      unit: null,
      flag: 'B',
    });
    expect(store.lastSeq()).toBe(3);
    db.close();
  });

  it('keeps seqs increasing across close and reopen', () => {
    let db = open();
    new ReadingStore({ db }).append([reading(0), reading(1)]);
    db.close();
    db = open();
    const store = new ReadingStore({ db });
    expect(store.lastSeq()).toBe(2);
    expect(store.append([reading(2)])[0]!.seq).toBe(3);
    db.close();
  });

  it('never reuses a seq after the newest rows are deleted, even across a reopen', () => {
    let db = open();
    new ReadingStore({ db }).append([reading(0), reading(1), reading(2)]);
    db.exec('DELETE FROM readings');
    db.close();
    db = open();
    const store = new ReadingStore({ db });
    expect(store.lastSeq()).toBe(3);
    expect(store.append([reading(3)])[0]!.seq).toBe(4);
    expect(store.countAfter(0)).toBe(1);
    db.close();
  });

  it('counts the readings after a seq when the oldest were deleted (retention), without scanning', () => {
    const db = open();
    const store = new ReadingStore({ db });
    store.append(Array.from({ length: 25 }, (_, i) => reading(i)));
    db.exec('DELETE FROM readings WHERE seq <= 10');
    expect(store.countAfter(0)).toBe(15);
    expect(store.countAfter(12)).toBe(13);
    expect(store.countAfter(25)).toBe(0);
    db.close();
  });

  it('reads forward in bounded pages', () => {
    const db = open();
    const store = new ReadingStore({ db });
    store.append(Array.from({ length: 25 }, (_, i) => reading(i)));
    expect(store.readAfter(0, 10).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(store.readAfter(20, 10).map((r) => r.seq)).toEqual([21, 22, 23, 24, 25]);
    expect(store.readAfter(25, 10)).toEqual([]);
    expect(store.countAfter(20)).toBe(5);
    expect(store.oldestTsAfter(20)).toBe(T0 + 20_000);
    expect(store.oldestTsAfter(25)).toBeNull();
    db.close();
  });

  it('tells listeners after the commit, and a throwing listener does not fail the append', () => {
    const db = open();
    const store = new ReadingStore({ db });
    const seen: number[][] = [];
    const off = store.onCommitted((rs) => {
      // The readings are already visible to a reader when the listener runs.
      expect(store.readAfter(rs[0]!.seq - 1, 10).length).toBe(rs.length);
      seen.push(rs.map((r) => r.seq));
    });
    store.onCommitted(() => {
      throw new Error('listener bug');
    });
    store.append([reading(0), reading(1)]);
    store.append([]);
    off();
    store.append([reading(2)]);
    expect(seen).toEqual([[1, 2]]);
    db.close();
  });

  it('stores normalised channels: one channels row per distinct channel', () => {
    const db = open();
    const store = new ReadingStore({ db });
    for (let i = 0; i < 5; i++) store.append([reading(i), reading(i, { channel: 'nh3n', code: null })]);
    expect(db.prepare('SELECT count(*) FROM channels').pluck().get()).toBe(2);
    db.close();
  });

  it('rejects an invalid reading before writing anything', () => {
    const db = open();
    const store = new ReadingStore({ db });
    const bad = [reading(0), reading(1, { ts: Number.NaN })];
    expect(() => store.append(bad)).toThrow(expect.objectContaining({ code: 'STORE_FAILED' }));
    expect(store.lastSeq()).toBe(0);
    db.close();
  });

  it('turns a full disk into STORE_FULL, keeps state intact and recovers once there is room', () => {
    const db = open();
    const store = new ReadingStore({ db });
    store.append([reading(0)]);
    const pages = db.pragma('page_count', { simple: true }) as number;
    // SQLITE_FULL without filling a real disk: cap the file at its current size.
    db.pragma(`max_page_count = ${pages}`);
    const big = Array.from({ length: 2000 }, (_, i) => reading(i, { channel: `ch${i % 50}` }));
    let err: unknown;
    try {
      store.append(big);
    } catch (e) {
      err = e;
    }
    expect(isAgentError(err, 'STORE_FULL')).toBe(true);
    expect(store.lastSeq()).toBe(1);
    expect(store.countAfter(0)).toBe(1);
    db.pragma('max_page_count = 1073741823');
    // The channel rows of the failed batch were rolled back: the cache must not hand out their ids.
    const ok = store.append(big.slice(0, 60));
    expect(ok[0]!.seq).toBe(2);
    expect(store.readAfter(1, 100).map((r) => r.channel)).toEqual(big.slice(0, 60).map((r) => r.channel));
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('stays within 48 bytes per reading on disk with seqs in the millions', () => {
    const db = open();
    // Seqs past 2^21 need 4-byte varints: measure the long-running case, not a fresh file.
    db.exec("INSERT INTO sqlite_sequence (name, seq) VALUES ('readings', 5000000)");
    const store = new ReadingStore({ db });
    // The empty schema (a page per table and index) is a fixed cost, not a per-reading one.
    const emptyPages = db.pragma('page_count', { simple: true }) as number;
    const n = 24_000;
    const channels = Array.from({ length: 12 }, (_, c) => ({ device: `d${c % 3}`, channel: `c${c}` }));
    let stored: StoredReading[] = [];
    for (let i = 0; i < n; i += channels.length) {
      stored = store.append(
        channels.map((ch) => reading(i, { ...ch, value: Math.round(Math.random() * 1e5) / 100 })),
      );
    }
    expect(stored.at(-1)!.seq).toBe(5_000_000 + n);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = ((db.pragma('page_count', { simple: true }) as number) - emptyPages) * 4096;
    expect(bytes / n).toBeLessThanOrEqual(48);
    db.close();
  });
});

describe('openDatabase', () => {
  it('opens an in-memory database for tests', () => {
    const db: Database.Database = openDatabase({ path: ':memory:', log: silentLogger() });
    expect(new ReadingStore({ db }).lastSeq()).toBe(0);
    db.close();
  });
});
