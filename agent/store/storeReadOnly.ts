import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from './migrations.js';
import { corruptionOf, describeSqliteError } from './storeCorruption.js';

/**
 * Opens the station database for the station PC's reporting commands (export, backlog) beside a
 * running agent. READ-ONLY: these commands must never write the agent's file (no migration, no
 * cursor row), and in WAL mode a reader neither blocks the agent nor waits for it. Throws an Error
 * with a one-line message the command prints as is.
 */
export function openStoreReadOnly(path: string): Database.Database {
  if (!existsSync(path)) {
    throw new Error(`no database at ${path} (storage.path): has the agent run with this configuration yet?`);
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    // The usual cause on an installed station: /var/lib/station-agent is 0750 station-agent.
    throw new Error(`cannot open ${path} read-only: ${why} (run as root or as the station-agent user)`);
  }
  try {
    // A checkpoint by the agent can hold a lock for a moment: wait rather than fail at once.
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) throw new Error(`${path} is not a station-agent database (no schema)`);
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `${path} has schema version ${version}, newer than this program reads (${SCHEMA_VERSION}): upgrade it`,
      );
    }
    return db;
  } catch (err) {
    db.close();
    // Only `run` sets a damaged file aside (openStationDatabase.ts); a reporting tool leaves it as it is.
    const corrupt = corruptionOf(err);
    if (corrupt !== null) {
      throw new Error(
        `${path} is damaged or not a database (${describeSqliteError(corrupt)}); left unchanged: the agent sets it aside at its next start`,
      );
    }
    throw err;
  }
}
