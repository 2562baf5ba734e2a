import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentError } from '../../../agent/core/errors.js';
import { corruptionOf, watchForCorruption } from '../../../agent/store/storeCorruption.js';

/** The run-time tripwire: every way a statement reaches the file reports damage, once. */
describe('watchForCorruption', () => {
  let dir: string;
  let path: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sa-tripwire-'));
    path = join(dir, 'x.db');
    const seed = new Database(path);
    seed.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = seed.prepare('INSERT INTO t (v) VALUES (?)');
    seed.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run(`value ${i}`);
    })();
    const last = seed
      .prepare("SELECT pageno FROM dbstat WHERE name = 't' AND pagetype = 'leaf' ORDER BY path DESC LIMIT 1")
      .pluck()
      .get() as number;
    seed.close();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, (last - 1) * 4096);
    closeSync(fd);
    db = new Database(path);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports damage met while iterating, once, and still throws it to the caller', () => {
    const onCorrupt = vi.fn();
    watchForCorruption(db, onCorrupt);
    const iterate = () => {
      for (const _ of db.prepare('SELECT * FROM t').iterate()) {
        // reading every row reaches the damaged page
      }
    };
    expect(iterate).toThrow(/malformed/);
    expect(() => db.prepare('SELECT * FROM t').all()).toThrow(/malformed/);
    expect(onCorrupt).toHaveBeenCalledTimes(1);
  });

  it('reports damage met by a write inside a transaction (pluck and get keep their watch too)', () => {
    const onCorrupt = vi.fn();
    watchForCorruption(db, onCorrupt);
    expect(db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get()).toBe(1);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    expect(() => db.transaction(() => insert.run('new'))()).toThrow(/malformed/);
    expect(onCorrupt).toHaveBeenCalledTimes(1);
    expect((onCorrupt.mock.calls[0]![0] as { code: string }).code).toMatch(/^SQLITE_CORRUPT/);
  });

  it('stays quiet for errors that are not damage', () => {
    const onCorrupt = vi.fn();
    watchForCorruption(db, onCorrupt);
    expect(() => db.prepare('SELECT nope FROM t')).toThrow(/no such column/);
    expect(() => db.exec('INSERT INTO t (id, v) VALUES (1, 1)')).toThrow(/UNIQUE/);
    expect(onCorrupt).not.toHaveBeenCalled();
  });
});

describe('corruptionOf', () => {
  it('finds SQLite corruption codes through AgentError causes, and nothing else', () => {
    const sqlite = Object.assign(new Error('database disk image is malformed'), {
      code: 'SQLITE_CORRUPT_INDEX',
    });
    const wrapped = new AgentError('STORE_FAILED', 'x', {}, { cause: sqlite });
    expect(corruptionOf(wrapped)).toBe(sqlite);
    expect(corruptionOf(Object.assign(new Error('n'), { code: 'SQLITE_NOTADB' }))).not.toBeNull();
    expect(corruptionOf(Object.assign(new Error('full'), { code: 'SQLITE_FULL' }))).toBeNull();
    expect(corruptionOf(new AgentError('STORE_FAILED', 'newer schema'))).toBeNull();
    expect(corruptionOf('SQLITE_CORRUPT')).toBeNull();
  });
});
