/**
 * A damaged database is set aside, never refused and never deleted (issue 8). Real files, damaged the
 * way disks and power cuts damage them: garbage over the header, a file cut short, a page in the
 * middle overwritten; and files that are not ours.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../agent/core/log.js';
import { EventStore } from '../../../agent/store/eventStore.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { openStationDatabase, type StationDatabase } from '../../../agent/store/openStationDatabase.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import { setAsideDatabase } from '../../../agent/store/setAside.js';
import { readStoreIdentity } from '../../../agent/store/storeIdentity.js';

const NOW = Date.UTC(2026, 10, 29, 2, 15, 0, 123);
const clock = { now: () => NOW };

let dir: string;
let path: string;
let logLines: { level: number; code?: string; msg: string }[];
const opened: StationDatabase[] = [];

function log() {
  return createLogger({
    level: 'info',
    destination: { write: (line: string) => logLines.push(JSON.parse(line)) },
  });
}

function open(opts: { quickCheck?: 'always' | 'never'; onCorrupt?: (err: Error) => void } = {}) {
  const station = openStationDatabase({ path, log: log(), clock, ...opts });
  opened.push(station);
  return station;
}

/** A station database with `count` readings, closed cleanly as the old agent would leave it. */
function seed(count = 20_000): void {
  const db = openDatabase({ path, log: log() });
  const store = new ReadingStore({ db });
  for (let i = 0; i < count; i += 500) {
    store.append(
      Array.from({ length: 500 }, (_, j) => ({
        ts: NOW - 3_600_000 + (i + j) * 1000,
        device: 'sonde',
        channel: `ch${(i + j) % 7}`,
        code: null,
        value: i + j,
        unit: null,
        flag: 'N' as const,
      })),
    );
  }
  db.close();
}

function overwrite(offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** A leaf page of the readings table, by dbstat: `which` picks the first or the last (newest rows). */
function readingsLeaf(which: 'middle' | 'last'): number {
  const db = new Database(path, { readonly: true });
  try {
    const pages = db
      .prepare("SELECT pageno FROM dbstat WHERE name = 'readings' AND pagetype = 'leaf' ORDER BY path")
      .pluck()
      .all() as number[];
    return which === 'last' ? pages.at(-1)! : pages[Math.floor(pages.length / 2)]!;
  } finally {
    db.close();
  }
}

function setAsideFiles(): string[] {
  return readdirSync(dir).filter((f) => f.includes('.corrupt-'));
}

function recordedEvents(station: StationDatabase) {
  return new EventStore({ db: station.db }).readAfter(0, 10).map((e) => e.event);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sa-corrupt-'));
  path = join(dir, 'agent.db');
  logLines = [];
});
afterEach(() => {
  for (const s of opened.splice(0)) if (s.db.open) s.db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openStationDatabase: a damaged file is set aside and a new one started', () => {
  it('garbage over the header (SQLITE_NOTADB): renamed with its -wal/-shm, kept byte for byte, event in the new file', () => {
    seed(2000);
    overwrite(0, Buffer.from('this is not the sqlite header at all, it is garbage'.repeat(4)));
    writeFileSync(`${path}-wal`, 'wal bytes');
    writeFileSync(`${path}-shm`, 'shm bytes');
    const damaged = readFileSync(path);

    const station = open();

    const kept = `${path}.corrupt-20261129T021500Z`;
    expect(setAsideFiles().sort()).toEqual([
      'agent.db.corrupt-20261129T021500Z',
      'agent.db.corrupt-20261129T021500Z-shm',
      'agent.db.corrupt-20261129T021500Z-wal',
    ]);
    expect(readFileSync(kept).equals(damaged)).toBe(true);
    expect(readFileSync(`${kept}-wal`, 'utf8')).toBe('wal bytes');
    expect(station.setAside).toEqual({
      kind: 'store-set-aside',
      file: kept,
      reason: 'SQLITE_NOTADB: file is not a database',
      size: damaged.length,
    });
    expect(recordedEvents(station)).toEqual([station.setAside]);
    // The new file is a working station database of its own.
    expect(new ReadingStore({ db: station.db }).lastSeq()).toBe(0);
    expect(readStoreIdentity(station.db).dbId).toMatch(/^[0-9a-f]{32}$/);
    const alarm = logLines.find((l) => l.code === 'STORE_CORRUPT');
    expect(alarm?.level).toBe(50); // error
  });

  it('a file cut short, after an unclean stop: quick_check finds it', () => {
    seed();
    const size = statSync(path).size;
    truncateSync(path, size - 4096 * 10 - 1000);
    writeFileSync(`${path}.in-use`, JSON.stringify({ pid: 1, since: 0 })); // the last run was killed

    const station = open();

    expect(station.setAside?.reason).toMatch(/quick_check|SQLITE_CORRUPT/);
    expect(statSync(station.setAside!.file).size).toBe(size - 4096 * 10 - 1000);
    expect(logLines.some((l) => l.msg.includes('did not stop cleanly'))).toBe(true);
  });

  it('a page in the middle overwritten, after an unclean stop: quick_check finds it', () => {
    seed();
    overwrite((readingsLeaf('middle') - 1) * 4096, Buffer.alloc(4096, 0xa5));
    writeFileSync(`${path}.in-use`, '{"pid":1,"since"'); // even half-written, it says "unclean"

    const station = open();

    expect(station.setAside?.reason).toMatch(/^quick_check: |^SQLITE_CORRUPT/);
    expect(recordedEvents(station).map((e) => e.kind)).toEqual(['store-set-aside']);
  });

  it('after a clean stop no quick_check runs; damage met at run time is noted and sets the file aside at the next start', () => {
    seed();
    overwrite((readingsLeaf('last') - 1) * 4096, Buffer.alloc(4096, 0xa5));
    const onCorrupt = vi.fn();

    const first = open({ onCorrupt });
    expect(first.setAside).toBeNull();
    expect(existsSync(`${path}.in-use`)).toBe(true);
    expect(() => new ReadingStore({ db: first.db }).readAfter(0, 100_000)).toThrow(/malformed/);
    expect(onCorrupt).toHaveBeenCalledTimes(1);
    expect(onCorrupt.mock.calls[0]![0].code).toMatch(/^SQLITE_CORRUPT/);
    expect(JSON.parse(readFileSync(`${path}.in-use`, 'utf8')).corrupt.reason).toMatch(/^SQLITE_CORRUPT/);
    expect(logLines.find((l) => l.code === 'STORE_CORRUPT')?.level).toBe(60); // fatal
    first.db.close(); // the process exits without a clean stop

    const second = open();
    expect(second.setAside?.reason).toMatch(/^at run time: SQLITE_CORRUPT/);
    expect(setAsideFiles()).toEqual(['agent.db.corrupt-20261129T021500Z']);
    // The marker now describes the new file's run: no note of damage left in it.
    expect(JSON.parse(readFileSync(`${path}.in-use`, 'utf8')).corrupt).toBeUndefined();
    second.close();
    expect(existsSync(`${path}.in-use`)).toBe(false);
  });

  it('a clean stop removes the marker and the next open does not check the file', () => {
    seed(1000);
    const first = open();
    first.close();
    expect(existsSync(`${path}.in-use`)).toBe(false);
    const second = open();
    expect(second.setAside).toBeNull();
    expect(logLines.some((l) => l.msg.includes('did not stop cleanly'))).toBe(false);
    expect(new ReadingStore({ db: second.db }).lastSeq()).toBe(1000);
  });

  it('an SQLite file of another program (schema version 0 with tables) is set aside, not migrated into', () => {
    const foreign = new Database(path);
    foreign.exec(
      "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos VALUES (1, 'cat')",
    );
    foreign.close();

    const station = open();

    expect(station.setAside?.reason).toBe(
      'not a station-agent database: schema version 0 with 1 table(s) of another program',
    );
    const kept = new Database(station.setAside!.file, { readonly: true });
    expect(kept.prepare('SELECT name FROM photos').pluck().get()).toBe('cat');
    expect(kept.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'readings'").pluck().get()).toBe(0);
    kept.close();
  });

  it('a file claiming our schema version without our tables is set aside', () => {
    const foreign = new Database(path);
    foreign.pragma('user_version = 4');
    foreign.close();
    const station = open();
    expect(station.setAside?.reason).toMatch(/^not a station-agent database: no such table/);
  });

  it('a newer schema version is refused (STORE_FAILED), not set aside', () => {
    seed(10);
    const newer = new Database(path);
    newer.pragma('user_version = 99');
    newer.close();
    const before = readFileSync(path);
    expect(() => open()).toThrow(expect.objectContaining({ code: 'STORE_FAILED' }));
    expect(setAsideFiles()).toEqual([]);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a problem outside the file (the path is a directory) is refused, nothing renamed', () => {
    mkdirSync(path);
    expect(() => open()).toThrow(expect.objectContaining({ code: 'STORE_FAILED' }));
    expect(setAsideFiles()).toEqual([]);
  });

  it('an in-memory database has no marker and no check', () => {
    const station = openStationDatabase({ path: ':memory:', log: log(), clock });
    expect(station.setAside).toBeNull();
    station.close();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('setAsideDatabase', () => {
  it('names the file <name>.corrupt-<UTC time> and never overwrites an earlier one', () => {
    writeFileSync(path, 'one');
    expect(setAsideDatabase(path, NOW)).toEqual({ file: `${path}.corrupt-20261129T021500Z`, size: 3 });
    writeFileSync(path, 'second');
    writeFileSync(`${path}-wal`, 'w');
    expect(setAsideDatabase(path, NOW + 500)).toEqual({
      file: `${path}.corrupt-20261129T021500Z-2`,
      size: 6,
    });
    expect(readFileSync(`${path}.corrupt-20261129T021500Z`, 'utf8')).toBe('one');
    expect(readFileSync(`${path}.corrupt-20261129T021500Z-2-wal`, 'utf8')).toBe('w');
    expect(existsSync(path)).toBe(false);
  });
});
