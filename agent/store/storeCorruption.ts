import type Database from 'better-sqlite3';

/**
 * SQLite's own word that a database file is damaged or is no database at all: SQLITE_CORRUPT (and
 * its extended codes, e.g. SQLITE_CORRUPT_INDEX) and SQLITE_NOTADB. Only these justify setting a
 * file aside: a full disk, a permission or a lock (SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_BUSY) says
 * nothing about the file's content, and a newer schema version is refused, never replaced.
 */
const CORRUPTION_CODE = /^SQLITE_(CORRUPT|NOTADB)/;

/** The SQLite error (err itself, or one of its causes: AgentError wraps it) that says "corrupt"; else null. */
export function corruptionOf(err: unknown): Error | null {
  let e: unknown = err;
  // A few levels at most: AgentError → SqliteError is the usual chain.
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CORRUPTION_CODE.test(code)) return e;
    e = e.cause;
  }
  return null;
}

/** The SQLite error code of err or its causes, e.g. SQLITE_ERROR; undefined when none is SQLite's. */
export function sqliteCodeOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
    e = e.cause;
  }
  return undefined;
}

/** `SQLITE_CORRUPT: database disk image is malformed`: what the set-aside event and the log say. */
export function describeSqliteError(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
}

/**
 * Calls `onCorrupt` (once) when any statement of this connection fails with SQLITE_CORRUPT or
 * SQLITE_NOTADB at run time; the error is still thrown to the caller as before. better-sqlite3 has
 * no error hook, and every component reaches the file through this one connection's prepare, exec,
 * pragma and transaction, so wrapping those here spares each store its own corruption handling.
 * Install it right after opening: statements prepared earlier are not watched.
 */
export function watchForCorruption(db: Database.Database, onCorrupt: (err: Error) => void): void {
  let fired = false;
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      const corrupt = corruptionOf(err);
      if (corrupt !== null && !fired) {
        fired = true;
        onCorrupt(corrupt);
      }
      throw err;
    }
  };

  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) =>
    watchStatement(
      guard(() => prepare(source)),
      guard,
    )) as typeof db.prepare;
  const exec = db.exec.bind(db);
  db.exec = (source: string) => guard(() => exec(source));
  const pragma = db.pragma.bind(db);
  db.pragma = ((source: string, options?: Database.PragmaOptions) =>
    guard(() => pragma(source, options))) as typeof db.pragma;
  const transaction = db.transaction.bind(db);
  // The statements inside are watched already; this catches a COMMIT that fails.
  db.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const tx = transaction(fn);
    const wrap =
      (f: (...args: unknown[]) => unknown) =>
      (...args: unknown[]) =>
        guard(() => f(...args));
    return Object.assign(wrap(tx), {
      deferred: wrap(tx.deferred),
      immediate: wrap(tx.immediate),
      exclusive: wrap(tx.exclusive),
    });
  }) as unknown as typeof db.transaction;
}

type Guard = <T>(fn: () => T) => T;

/** Wraps the executing methods on the statement itself: pluck(), raw() and bind() return it, wrappers kept. */
function watchStatement(stmt: Database.Statement, guard: Guard): Database.Statement {
  const { run, get, all, iterate } = stmt;
  stmt.run = (...params: unknown[]) => guard(() => run.apply(stmt, params));
  stmt.get = (...params: unknown[]) => guard(() => get.apply(stmt, params));
  stmt.all = (...params: unknown[]) => guard(() => all.apply(stmt, params));
  stmt.iterate = (...params: unknown[]) => {
    const it = guard(() => iterate.apply(stmt, params));
    const watched: IterableIterator<unknown> = {
      next: () => guard(() => it.next()),
      return: (value?: unknown) => it.return?.(value) ?? { done: true, value: undefined },
      [Symbol.iterator]: () => watched,
    };
    return watched;
  };
  return stmt;
}
