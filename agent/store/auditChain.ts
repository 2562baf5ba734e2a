import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

/**
 * The configuration audit log (table audit_log, migration 4): append-only and hash-chained, so that
 * an entry edited, deleted or moved in the database file is found by `station-agent audit verify`.
 *
 * hash = sha256 (hex) of the UTF-8 JSON text of the array
 *   [prev_hash, id, ts, source, actor, before_hash, after_hash, changes, config]
 * as JSON.stringify writes it (no spaces; strings JSON-escaped; id and ts integers; actor and
 * before_hash null when absent); changes and config are the stored TEXT as is. prev_hash is the
 * previous entry's hash, 64 zeros for entry 1. Ids are 1, 2, 3… with no gap, and are hashed too,
 * so renumbering rows after deleting one breaks the chain as well.
 *
 * What a pure chain cannot show: entries removed from the end (the rest is a valid shorter chain).
 * Two cheap mitigations: verify compares the last id with SQLite's AUTOINCREMENT counter
 * (sqlite_sequence), which remembers ids handed out; and the head (id and hash) is printed by
 * `audit verify` and `audit show` so an inspector can note it and compare later. See docs/audit.md.
 */

export type AuditSource = 'start' | 'reload' | 'cli' | 'remote' | 'rollback';
export const AUDIT_SOURCES: readonly AuditSource[] = ['start', 'reload', 'cli', 'remote', 'rollback'];

export const GENESIS_HASH = '0'.repeat(64);

/** What the caller gives for a new entry; changes and config are JSON text. */
export interface AuditFields {
  ts: number;
  source: AuditSource;
  actor: string | null;
  beforeHash: string | null;
  afterHash: string;
  changes: string;
  config: string;
}

export interface AuditEntry extends Omit<AuditFields, 'source'> {
  id: number;
  /** As stored: verify must also cope with a value no writer produces. */
  source: string;
  prevHash: string;
  hash: string;
}

interface AuditRow {
  id: number;
  ts: number;
  source: string;
  actor: string | null;
  before_hash: string | null;
  after_hash: string;
  changes: string;
  config: string;
  prev_hash: string;
  hash: string;
}

const COLUMNS = 'id, ts, source, actor, before_hash, after_hash, changes, config, prev_hash, hash';

export function entryHash(
  prevHash: string,
  id: number,
  f: Omit<AuditEntry, 'id' | 'prevHash' | 'hash'>,
): string {
  const canonical = JSON.stringify([
    prevHash,
    id,
    f.ts,
    f.source,
    f.actor,
    f.beforeHash,
    f.afterHash,
    f.changes,
    f.config,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    ts: r.ts,
    source: r.source,
    actor: r.actor,
    beforeHash: r.before_hash,
    afterHash: r.after_hash,
    changes: r.changes,
    config: r.config,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Whether the database has the audit_log table (a store last written by an agent older than the log has not). */
export function hasAuditLog(db: Database.Database): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get() !== undefined
  );
}

export function lastAuditEntry(db: Database.Database): AuditEntry | null {
  const row = db.prepare(`SELECT ${COLUMNS} FROM audit_log ORDER BY id DESC LIMIT 1`).get() as
    | AuditRow
    | undefined;
  return row ? toEntry(row) : null;
}

/** The highest id SQLite ever handed out for audit_log (AUTOINCREMENT), 0 when none. */
function issuedId(db: Database.Database): number {
  const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").pluck().get();
  return typeof seq === 'number' ? seq : 0;
}

/**
 * Appends one entry: reading the head and inserting commit together (IMMEDIATE takes the write lock
 * first), so two writers can never chain onto the same head. The id is the next one SQLite would
 * hand out: after a deleted tail the gap stays, and verify reports it.
 */
export function appendAuditEntry(db: Database.Database, fields: AuditFields): AuditEntry {
  const insert = db.prepare(`INSERT INTO audit_log (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return db
    .transaction(() => {
      const last = lastAuditEntry(db);
      const id = Math.max(issuedId(db), last?.id ?? 0) + 1;
      const prevHash = last?.hash ?? GENESIS_HASH;
      const hash = entryHash(prevHash, id, fields);
      const entry: AuditEntry = { id, ...fields, prevHash, hash };
      insert.run(
        id,
        fields.ts,
        fields.source,
        fields.actor,
        fields.beforeHash,
        fields.afterHash,
        fields.changes,
        fields.config,
        prevHash,
        hash,
      );
      return entry;
    })
    .immediate();
}

/** The newest `limit` entries (all without a limit), oldest first. */
export function readAuditLog(db: Database.Database, limit?: number): AuditEntry[] {
  const rows = (
    limit === undefined
      ? db.prepare(`SELECT ${COLUMNS} FROM audit_log ORDER BY id`).all()
      : db.prepare(`SELECT ${COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?`).all(limit).reverse()
  ) as AuditRow[];
  return rows.map(toEntry);
}

export type ChainBreak =
  /** The row's stored hash is not the hash of its fields: a field was edited (or the row moved). */
  | { kind: 'edited'; id: number }
  /** Ids jump: rows were deleted. `id` is the first missing one, `next` the id after the gap. */
  | { kind: 'missing'; id: number; next: number }
  /** SQLite handed out ids up to `issued` but the last row is `id - 1`: the end was deleted. */
  | { kind: 'truncated'; id: number; issued: number }
  /** prev_hash does not name the row before: rows reordered, inserted, or deleted and renumbered. */
  | { kind: 'unlinked'; id: number };

export interface ChainReport {
  entries: number;
  /** The last entry, whether the chain is intact or not. */
  head: { id: number; hash: string } | null;
  /** The first break; null when the chain is intact. */
  broken: ChainBreak | null;
}

/** Walks the whole chain from entry 1; stops at the first break. */
export function verifyAuditChain(db: Database.Database): ChainReport {
  let expectedId = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  let head: ChainReport['head'] = null;
  let broken: ChainBreak | null = null;
  for (const row of db
    .prepare(`SELECT ${COLUMNS} FROM audit_log ORDER BY id`)
    .iterate() as Iterable<AuditRow>) {
    entries++;
    head = { id: row.id, hash: row.hash };
    if (broken !== null) continue; // keep counting, report the first break only
    const e = toEntry(row);
    if (e.id !== expectedId) broken = { kind: 'missing', id: expectedId, next: e.id };
    else if (e.prevHash !== prevHash) broken = { kind: 'unlinked', id: e.id };
    else if (entryHash(e.prevHash, e.id, e) !== e.hash) broken = { kind: 'edited', id: e.id };
    expectedId = e.id + 1;
    prevHash = e.hash;
  }
  // Ids SQLite handed out beyond the last row: the end of the log was deleted.
  const issued = issuedId(db);
  if (broken === null && issued >= expectedId) broken = { kind: 'truncated', id: expectedId, issued };
  return { entries, head, broken };
}

/** One line naming the first bad row, for the CLI and logs. */
export function describeBreak(b: ChainBreak): string {
  switch (b.kind) {
    case 'edited':
      return `row ${b.id}: its hash does not match its contents (a field was edited, or the row was moved)`;
    case 'missing':
      return `row ${b.id}: missing (deleted; the next row is ${b.next})`;
    case 'truncated':
      return `row ${b.id}: missing (rows ${b.id}..${b.issued} were written and deleted from the end of the log)`;
    case 'unlinked':
      return `row ${b.id}: prev_hash does not match the hash of row ${b.id - 1} (rows reordered, inserted or replaced)`;
  }
}
