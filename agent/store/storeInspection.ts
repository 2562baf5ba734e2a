import Database from 'better-sqlite3';
import { PAGE_CACHE_KIB } from './openDatabase.js';
import { corruptionOf, describeSqliteError, sqliteCodeOf } from './storeCorruption.js';

export interface Inspection {
  /** Why the file must be set aside, or null when it may be opened. */
  problem: string | null;
  /**
   * Closes the inspecting connection. With a problem, call it only after the file is renamed:
   * closing the last connection makes SQLite delete (or checkpoint) a -wal it could not use, and
   * that -wal may hold the last commits someone wants to recover.
   */
  release(): void;
}

/**
 * Looks at an existing database file before the agent migrates and uses it, on a connection of its
 * own. Says why the file must be set aside, or null when it may be opened:
 * - SQLite says it is corrupt or not a database (reading the header and the schema);
 * - it is an SQLite file of something else: schema version 0 (we never ran on it) yet tables in it,
 *   which our migrations would otherwise fill with our tables beside the foreign ones;
 * - with `quickCheck`, PRAGMA quick_check finds damage (every page is read: seconds on a large
 *   file, see openStationDatabase.ts for when it runs).
 * Any other failure (permission, lock, missing directory) returns null: opening then fails with
 * the usual STORE_FAILED, and a file is never set aside for a problem that is not in the file.
 */
export function inspectDatabase(path: string, opts: { quickCheck: boolean }): Inspection {
  let db: Database.Database | undefined;
  const problem = findProblem(path, opts.quickCheck, (opened) => {
    db = opened;
  });
  const release = () => closeQuietly(db);
  if (problem === null) release();
  return { problem, release };
}

function findProblem(
  path: string,
  quickCheck: boolean,
  opened: (db: Database.Database) => void,
): string | null {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
    opened(db);
    db.pragma('busy_timeout = 5000');
    // quick_check reads every page: bounded like the agent's own connection.
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    const tables = db
      .prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .get() as number;
    if (version === 0 && tables > 0) {
      return `not a station-agent database: schema version 0 with ${tables} table(s) of another program`;
    }
    if (quickCheck) {
      // At most a few lines: a badly damaged file can report thousands.
      const lines = db.pragma('quick_check(5)', { simple: false }) as { quick_check: string }[];
      const problems = lines.map((l) => l.quick_check).filter((l) => l !== 'ok');
      if (problems.length > 0) return `quick_check: ${problems.join('; ')}`;
    }
    return null;
  } catch (err) {
    const corrupt = corruptionOf(err);
    return corrupt === null ? null : describeSqliteError(corrupt);
  }
}

/**
 * The tables every station database has (migrations 1 to 6). Reading each once after the migrations
 * finds a file whose schema claims our version but lacks them (another program's file with a
 * user_version of its own), and damage in their root pages that the header check could not see.
 */
const OUR_TABLES = [
  'channels',
  'readings',
  'uplink_cursors',
  'qc_changes',
  'aggregates',
  'events',
  'uplink_settings',
  'store_meta',
  'input_seen',
  'logger_aggregates',
] as const;

/** After openDatabase: why the schema cannot be read as ours, or null. Other errors are thrown. */
export function probeSchema(db: Database.Database): string | null {
  try {
    for (const table of OUR_TABLES) db.prepare(`SELECT * FROM ${table} LIMIT 1`).all();
    const dbId = db.prepare("SELECT value FROM store_meta WHERE key = 'db_id'").pluck().get();
    if (typeof dbId !== 'string' || dbId === '')
      return 'not a station-agent database: no db_id in store_meta';
    return null;
  } catch (err) {
    const corrupt = corruptionOf(err);
    if (corrupt !== null) return describeSqliteError(corrupt);
    // SQLITE_ERROR here is "no such table/column": a schema that is not ours. Busy, I/O and the like
    // are not the file's content and go up as they are.
    if (sqliteCodeOf(err) === 'SQLITE_ERROR') {
      return `not a station-agent database: ${err instanceof Error ? err.message : String(err)}`;
    }
    throw err;
  }
}

export function closeQuietly(db: Database.Database | undefined): void {
  try {
    db?.close();
  } catch {
    // Closing a damaged file can fail in its checkpoint; the file is set aside or reopened next anyway.
  }
}
