import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Reads the agent's SQLite file beside it (read-only, WAL lets it): the facts a chaos scenario counts.
 * Every function copes with a file the agent has not created or migrated yet (answers as if empty).
 */

export interface StoreSnapshot {
  /** store_meta.db_id, '' before migration 4 or before the file exists. */
  dbId: string;
  /** The highest seq ever given (sqlite_sequence): rows evicted since still count as produced. */
  maxSeq: number;
  /** The MQTT uplink's confirmed cursor, 0 without a row. */
  cursor: number;
  /** Seqs still in the readings table, ascending. */
  present: number[];
}

export interface PollRow {
  ts: number;
  device: string;
  channel: string;
  /** HJ 212 flag code as stored (readingStore.ts FLAG_TO_CODE). */
  flag: number;
}

function withDb<T>(path: string, empty: T, fn: (db: Database.Database) => T): T {
  if (!existsSync(path)) return empty;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    if (!hasTable(db, 'readings')) return empty;
    return fn(db);
  } finally {
    db.close();
  }
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

export function snapshot(path: string, uplink: string, withSeqs = true): StoreSnapshot {
  return withDb(path, { dbId: '', maxSeq: 0, cursor: 0, present: [] }, (db) => {
    const seqRow = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'readings'").get() as
      | { seq: number }
      | undefined;
    const cursor = db.prepare('SELECT acked_seq FROM uplink_cursors WHERE uplink = ?').pluck().get(uplink) as
      | number
      | undefined;
    const dbId = hasTable(db, 'store_meta')
      ? ((db.prepare("SELECT value FROM store_meta WHERE key = 'db_id'").pluck().get() as
          | string
          | undefined) ?? '')
      : '';
    const present = withSeqs
      ? (db.prepare('SELECT seq FROM readings ORDER BY seq').pluck().all() as number[])
      : [];
    return { dbId, maxSeq: seqRow?.seq ?? 0, cursor: cursor ?? 0, present };
  });
}

/** Readings stored at or after `from` (wall ms), for counting poll slots. */
export function pollRows(path: string, from: number): PollRow[] {
  return withDb(
    path,
    [] as PollRow[],
    (db) =>
      db
        .prepare(
          `SELECT r.ts, c.device, c.channel, r.flag FROM readings r JOIN channels c ON c.id = r.channel_id
          WHERE r.ts >= ? ORDER BY r.seq`,
        )
        .all(from) as PollRow[],
  );
}

/** Events of `kind` recorded in the store, with their id and JSON data parsed. */
export function storedEvents(path: string, kind: string): { id: number; data: Record<string, unknown> }[] {
  return withDb(path, [] as { id: number; data: Record<string, unknown> }[], (db) => {
    if (!hasTable(db, 'events')) return [];
    const rows = db.prepare('SELECT id, data FROM events WHERE kind = ? ORDER BY id').all(kind) as {
      id: number;
      data: string;
    }[];
    return rows.map((r) => ({ id: r.id, data: JSON.parse(r.data) as Record<string, unknown> }));
  });
}
