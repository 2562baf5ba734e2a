import type Database from 'better-sqlite3';
import { AgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

/**
 * Schema migrations, keyed by `PRAGMA user_version`: step i brings the database from version i to i + 1.
 * Steps are append-only: a released step is never edited, a change is a new step.
 */
export interface Migration {
  readonly description: string;
  readonly up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'readings, channels and uplink cursors',
    up: (db) => {
      db.exec(`
        -- Device/channel/code/unit repeat on every reading: they live here once and a reading points at them,
        -- which keeps a reading row near 30 bytes on disk.
        CREATE TABLE channels (
          id INTEGER PRIMARY KEY,
          device TEXT NOT NULL,
          channel TEXT NOT NULL,
          code TEXT,
          unit TEXT
        );
        -- NULLs are distinct in a plain UNIQUE index; coalescing to a blob (never equal to any text)
        -- makes (d, c, NULL, NULL) unique too without confusing NULL with ''.
        CREATE UNIQUE INDEX channels_key
          ON channels (device, channel, coalesce(code, x'00'), coalesce(unit, x'00'));

        -- AUTOINCREMENT: sqlite_sequence remembers the highest seq ever given, so a seq is never reused
        -- even after the newest rows are deleted; uplink consumers deduplicate on it.
        CREATE TABLE readings (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          ts INTEGER NOT NULL,
          channel_id INTEGER NOT NULL REFERENCES channels (id),
          value REAL,
          flag INTEGER NOT NULL -- HJ 212 data flag, coded in readingStore.ts (FLAG_TO_CODE)
        );
        CREATE INDEX readings_ts ON readings (ts);

        CREATE TABLE uplink_cursors (
          uplink TEXT PRIMARY KEY,
          acked_seq INTEGER NOT NULL,
          updated_at INTEGER
        );
      `);
    },
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to SCHEMA_VERSION. Each step and its user_version bump commit together, so a crash
 * mid-migration leaves the database at the previous version, and the step runs again on the next start.
 */
export function migrate(db: Database.Database, log: Logger, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new AgentError(
      'STORE_FAILED',
      `database ${path} has schema version ${current}, newer than this agent supports (${SCHEMA_VERSION}): ` +
        'upgrade the agent, or point storage.path at another file',
      { path, version: current, supported: SCHEMA_VERSION },
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    const step = MIGRATIONS[version]!;
    try {
      db.transaction(() => {
        step.up(db);
        // PRAGMA takes no bound parameters; the value is our own integer.
        db.pragma(`user_version = ${version + 1}`);
      }).immediate();
    } catch (err) {
      throw new AgentError(
        'STORE_FAILED',
        `migration ${version} -> ${version + 1} (${step.description}) failed on ${path}: ${String(err)}`,
        { path, version },
        { cause: err },
      );
    }
    log.info({ path, version: version + 1, migration: step.description }, 'store schema migrated');
  }
}
