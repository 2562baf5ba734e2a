import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Clock } from '../core/clock.js';
import { AgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { EventStore, type StationEvent } from './eventStore.js';
import { openDatabase } from './openDatabase.js';
import { SeqCeiling, type StoreSeqsSkippedEvent } from './seqCeiling.js';
import { setAsideDatabase } from './setAside.js';
import { corruptionOf, describeSqliteError, watchForCorruption } from './storeCorruption.js';
import { storeWriteError } from './storeErrors.js';
import { readStoreIdentity } from './storeIdentity.js';
import { closeQuietly, inspectDatabase, probeSchema } from './storeInspection.js';
import { UncleanStopMarker } from './uncleanStopMarker.js';

/** The event recorded in the new database when a damaged one was set aside (docs/mqtt-contract.md). */
export interface StoreSetAsideEvent extends StationEvent {
  kind: 'store-set-aside';
  /** The new name (full path) of the old file; its -wal/-shm, if any, beside it with the same suffix. */
  file: string;
  /** SQLite's message, or what the check found. */
  reason: string;
  /** Size of the old file in bytes. */
  size: number;
}

/**
 * When PRAGMA quick_check runs at open. It reads every page: on a 2 million reading file (89 MB)
 * 0.14 s with the file in the page cache and 1.2 s cold on the development machine
 * (scripts/bench/storeCheckCost.ts), so on a station's flash near the 2 GB storage.maxSize a cold
 * check takes a minute or more, during which nothing is polled. A file is damaged by an unclean stop
 * (power cut, kill, a failing disk under a crash), so `after-unclean-stop` (the agent's choice) runs
 * it only when the previous run left its marker behind; a clean stop or a reload costs nothing. The
 * cheap checks (header, schema, our tables) run on every open, and a statement that meets damage at
 * run time ends the process so the next start sets the file aside (see `onCorrupt`).
 */
export type QuickCheckPolicy = 'after-unclean-stop' | 'always' | 'never';

export interface OpenStationDatabaseOptions {
  path: string;
  synchronous?: 'full' | 'normal';
  log: Logger;
  clock: Pick<Clock, 'now'>;
  quickCheck?: QuickCheckPolicy;
  /**
   * A statement failed with SQLITE_CORRUPT/SQLITE_NOTADB while running (called once). The reason is
   * already in the marker for the next start and logged; `run` exits so systemd restarts it.
   */
  onCorrupt?: (err: Error) => void;
  /** Written into the marker (default: this process). */
  pid?: number;
}

export interface StationDatabase {
  readonly db: Database.Database;
  /** The event recorded in the new file when the old one was set aside at this open; else null. */
  readonly setAside: StoreSetAsideEvent | null;
  /** The event recorded when this open resumed numbering above the seq ceiling (seqCeiling.ts); else null. */
  readonly seqsSkipped: StoreSeqsSkippedEvent | null;
  /** Closes the connection, then removes the marker: the next start knows this stop was clean. */
  close(): void;
}

/**
 * Opens the agent's own database for `run`: like openDatabase, but a corrupt or foreign file is set
 * aside (renamed beside, never deleted) and a new database is started in its place, with a
 * `store-set-aside` event in it, instead of the agent refusing to run. A schema newer than this agent
 * is still refused (STORE_FAILED): that file is fine, the agent is old. The reporting tools open the
 * file read-only (cli/storeReadOnly.ts) and never set anything aside.
 */
export function openStationDatabase(opts: OpenStationDatabaseOptions): StationDatabase {
  const { path, log, clock } = opts;
  if (path === ':memory:') {
    const db = openDatabase({ path, synchronous: opts.synchronous, log });
    return { db, setAside: null, seqsSkipped: null, close: () => db.close() };
  }
  const marker = new UncleanStopMarker(path);
  const previous = marker.read();
  const policy = opts.quickCheck ?? 'after-unclean-stop';
  const quickCheck = policy === 'always' || (policy === 'after-unclean-stop' && previous !== null);

  let problem: string | null = null;
  // The connection that found the damage, closed only once the file is renamed (Inspection.release).
  let release = () => {};
  if (existsSync(path)) {
    if (previous?.corrupt !== undefined) problem = `at run time: ${previous.corrupt.reason}`;
    else {
      if (quickCheck) log.info({ path }, 'store: the last run did not stop cleanly; checking the file');
      ({ problem, release } = inspectDatabase(path, { quickCheck }));
    }
  }
  let db: Database.Database | null = null;
  if (problem === null) ({ db, problem, release } = openAndProbe(opts));

  let setAside: StoreSetAsideEvent | null = null;
  if (problem !== null) {
    let moved: { file: string; size: number };
    try {
      moved = moveAside(path, clock.now(), problem);
    } finally {
      release();
    }
    setAside = { kind: 'store-set-aside', file: moved.file, reason: problem, size: moved.size };
    log.error(
      { code: 'STORE_CORRUPT', ...setAside },
      'store: the database file is damaged or not ours; set aside, starting a new one',
    );
    db = openDatabase({ path, synchronous: opts.synchronous, log });
    // In the new file itself, so it is forwarded on the events stream like any event.
    new EventStore({ db }).record(clock.now(), setAside);
  }
  const open = db as Database.Database;
  let seqsSkipped: StoreSeqsSkippedEvent | null;
  try {
    seqsSkipped = keepNumbersUnique(open, opts, previous !== null);
  } catch (err) {
    open.close();
    throw storeWriteError(err, `cannot keep the seq ceiling of ${path}: ${String(err)}`, { path });
  }
  marker.write({ pid: opts.pid ?? process.pid, since: clock.now() });
  watchForCorruption(open, (err) => {
    const reason = describeSqliteError(err);
    try {
      marker.write({
        pid: opts.pid ?? process.pid,
        since: clock.now(),
        corrupt: { reason, at: clock.now() },
      });
    } catch (writeErr) {
      // The next start then runs quick_check (the marker is still there), which most likely finds it too.
      log.error({ err: writeErr }, 'store: could not note the damage for the next start');
    }
    log.fatal(
      { code: 'STORE_CORRUPT', path, reason },
      'store: the database file is damaged; the next start sets it aside',
    );
    opts.onCorrupt?.(err);
  });
  const ceiling = new SeqCeiling(path);
  return {
    db: open,
    setAside,
    seqsSkipped,
    close: () => {
      if (opts.synchronous === 'normal') ceiling.syncWal();
      open.close();
      marker.remove();
    },
  };
}

/**
 * After an unclean stop, numbering resumes above the ceiling the last run recorded (if it ran with
 * `synchronous: normal`; a file set aside at this open has another db and its ceiling is ignored),
 * with a store-seqs-skipped event. Then, with `normal`, a ceiling is kept for this run; with `full`
 * every commit is durable and none is needed.
 */
function keepNumbersUnique(
  db: Database.Database,
  opts: OpenStationDatabaseOptions,
  uncleanStop: boolean,
): StoreSeqsSkippedEvent | null {
  const ceiling = new SeqCeiling(opts.path);
  const { dbId } = readStoreIdentity(db);
  const skipped = uncleanStop ? ceiling.resumeAbove(db, dbId) : null;
  if (opts.synchronous === 'normal') ceiling.guard(db, dbId);
  else ceiling.forget();
  if (skipped !== null) {
    opts.log.warn(
      { ...skipped, ceiling: ceiling.path },
      'store: the last run stopped uncleanly with synchronous: normal; numbering resumes above its recorded ceiling',
    );
    // After guard(): the event's own id is covered like any other.
    new EventStore({ db }).record(opts.clock.now(), skipped);
  }
  return skipped;
}

/** openDatabase (migrations included) and the schema probe; a damaged or foreign file comes back as a problem. */
function openAndProbe(opts: OpenStationDatabaseOptions): {
  db: Database.Database | null;
  problem: string | null;
  release: () => void;
} {
  const none = () => {};
  let db: Database.Database;
  try {
    db = openDatabase({ path: opts.path, synchronous: opts.synchronous, log: opts.log });
  } catch (err) {
    const corrupt = corruptionOf(err);
    if (corrupt === null) throw err; // newer schema, permissions, disk: refused as before
    return { db: null, problem: describeSqliteError(corrupt), release: none };
  }
  let problem: string | null;
  try {
    problem = probeSchema(db);
  } catch (err) {
    db.close();
    throw new AgentError('STORE_FAILED', `cannot read database ${opts.path}: ${String(err)}`, {
      path: opts.path,
    });
  }
  if (problem === null) return { db, problem, release: none };
  return { db: null, problem, release: () => closeQuietly(db) };
}

function moveAside(path: string, now: number, problem: string): { file: string; size: number } {
  try {
    return setAsideDatabase(path, now);
  } catch (err) {
    throw new AgentError(
      'STORE_FAILED',
      `database ${path} is damaged (${problem}) and could not be set aside: ${String(err)}`,
      { path },
      { cause: err },
    );
  }
}
