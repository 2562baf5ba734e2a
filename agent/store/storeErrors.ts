import { AgentError, type ErrorContext } from '../core/errors.js';

/**
 * SQLite and OS codes meaning "no room to write": the database hit max_page_count or the filesystem
 * is full. A write I/O error is counted too: on a full disk SQLite often reports the failed write
 * (SQLITE_IOERR_WRITE) rather than SQLITE_FULL, depending on where the write failed.
 */
const DISK_FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'SQLITE_IOERR_WRITE']);

/** Whether `err` (a better-sqlite3 SqliteError, a Node error, or an AgentError wrapping one) means a full disk. */
export function isDiskFull(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && e !== undefined && depth < 4; depth++) {
    if (e instanceof AgentError && e.code === 'STORE_FULL') return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && DISK_FULL_CODES.has(code)) return true;
    if (/\b(SQLITE_FULL|ENOSPC|database or disk is full)\b/.test(String(e))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The AgentError for a failed store write: STORE_FULL when the disk or database is full (so the
 * caller and the store budget can react), STORE_FAILED otherwise. The SQLite code goes in the context.
 */
export function storeWriteError(err: unknown, message: string, context: ErrorContext = {}): AgentError {
  const sqliteCode = (err as { code?: unknown }).code;
  return new AgentError(
    isDiskFull(err) ? 'STORE_FULL' : 'STORE_FAILED',
    message,
    { ...context, sqliteCode },
    { cause: err },
  );
}
