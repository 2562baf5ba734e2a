import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AgentError, isAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { migrate } from './migrations.js';

export interface OpenDatabaseOptions {
  /** File path, or ':memory:' for tests. */
  path: string;
  /** `full` (default) survives power cuts: every commit is fsynced. `normal` survives process crashes only. */
  synchronous?: 'full' | 'normal';
  log: Logger;
  /** How long a statement waits for a lock held by another connection (e.g. a sqlite3 shell) before failing. */
  busyTimeoutMs?: number;
}

/** Caps the WAL file after checkpoints: flash storage on a station is small. */
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

/**
 * SQLite's page cache per connection, in KiB (a negative cache_size). better-sqlite3 builds SQLite with
 * 16 MB, and one scan over a large store fills it for good: +16 MB RSS (docs/performance.md, workload
 * 4). The agent appends at the end of its b-trees and reads the backlog once in order, so SQLite's own
 * default of 2 MB keeps the hot pages; everything else comes from the OS page cache.
 */
export const PAGE_CACHE_KIB = 2048;

/** Opens (creating if needed) the station database with durable settings and the current schema. */
export function openDatabase(opts: OpenDatabaseOptions): Database.Database {
  const { path, log } = opts;
  const synchronous = opts.synchronous ?? 'full';
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    // WAL: readers (uplinks, tools) never block the acquisition writer, and a commit is one sequential append.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal' && path !== ':memory:') {
      log.warn({ path, mode }, 'store could not switch to WAL journal mode');
    }
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5000))}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    migrate(db, log, path);
    log.debug({ path, synchronous }, 'store opened');
    return db;
  } catch (err) {
    db?.close();
    if (isAgentError(err)) throw err;
    throw new AgentError(
      'STORE_FAILED',
      `cannot open database ${path}: ${String(err)}`,
      { path },
      { cause: err },
    );
  }
}
