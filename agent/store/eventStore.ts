import type Database from 'better-sqlite3';
import type { Logger } from '../core/log.js';
import { storeWriteError } from './storeErrors.js';

/**
 * Station events: things that happened to the station rather than to a value (clock steps, for now),
 * kept so that aggregation can account for them after a restart and operators can see them.
 */

/** Any JSON-serialisable object with a `kind`; ClockJump (aggregation/clockJumpDetector.ts) is one. */
export interface StationEvent {
  kind: string;
}

export interface StoredEvent<E extends StationEvent = StationEvent> {
  id: number;
  /** Wall time when recorded, epoch ms. */
  ts: number;
  event: E;
}

interface EventRow {
  id: number;
  ts: number;
  kind: string;
  data: string;
}

export type EventCommitListener = (events: readonly StoredEvent[]) => void;

export class EventStore {
  private readonly db: Database.Database;
  private readonly log: Pick<Logger, 'error'> | undefined;
  private readonly insert: Database.Statement;
  private readonly selectSince: Database.Statement;
  private readonly selectAfter: Database.Statement;
  private readonly selectRecent: Database.Statement;
  private readonly selectLastId: Database.Statement;
  private readonly selectCountAfter: Database.Statement;
  private readonly selectById: Database.Statement;
  private readonly listeners = new Set<EventCommitListener>();

  constructor(deps: { db: Database.Database; log?: Pick<Logger, 'error'> }) {
    const { db } = deps;
    this.db = db;
    this.log = deps.log;
    this.insert = db.prepare('INSERT INTO events (ts, kind, data) VALUES (?, ?, ?)');
    this.selectSince = db.prepare(
      'SELECT id, ts, kind, data FROM events WHERE kind = ? AND ts >= ? ORDER BY id',
    );
    this.selectAfter = db.prepare('SELECT id, ts, kind, data FROM events WHERE id > ? ORDER BY id LIMIT ?');
    this.selectRecent = db.prepare('SELECT id, ts, kind, data FROM events ORDER BY id DESC LIMIT ?');
    // AUTOINCREMENT keeps the highest id ever given here, even once that row is gone.
    this.selectLastId = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck();
    this.selectCountAfter = db.prepare('SELECT count(*) FROM events WHERE id > ?').pluck();
    this.selectById = db.prepare('SELECT id, ts, kind, data FROM events WHERE id = ?');
  }

  /** Commits one event; returns its id. Throws AgentError STORE_FULL (disk full) or STORE_FAILED when the commit fails. */
  record<E extends StationEvent>(ts: number, event: E): number {
    let id: number;
    try {
      id = Number(this.insert.run(ts, event.kind, JSON.stringify(event)).lastInsertRowid);
    } catch (err) {
      throw storeWriteError(err, `could not record event ${event.kind}: ${String(err)}`);
    }
    // Events are written from several places (the agent, aggregation, the store budget), some inside
    // a transaction of their own: its commit (or rollback) is not ours to see, so listeners hear of
    // such a row only after the current synchronous job, and only if it still exists then. Telling an
    // uplink about a rolled-back id would move its cursor past an id SQLite may give again.
    if (this.db.inTransaction) queueMicrotask(() => this.notifyIfCommitted(id));
    else this.notify([{ id, ts, event }]);
    return id;
  }

  /** Calls `fn` after each commit with the events it made durable; returns the unsubscribe. */
  onCommitted(fn: EventCommitListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Highest id ever given (0 for none), even if that row is gone since. */
  lastId(): number {
    return (this.selectLastId.get() as number | undefined) ?? 0;
  }

  /** Events stored with id > `id`. */
  countAfter(id: number): number {
    return this.selectCountAfter.get(id) as number;
  }

  /** Events of `kind` recorded at or after `ts`, oldest first. */
  since<E extends StationEvent>(kind: E['kind'], ts: number): StoredEvent<E>[] {
    return (this.selectSince.all(kind, ts) as EventRow[]).map((r) => toEvent<E>(r));
  }

  /** Up to `limit` events with id > `id`, oldest first (for forwarding or a status view). */
  readAfter(id: number, limit: number): StoredEvent[] {
    return (this.selectAfter.all(id, Math.max(0, Math.trunc(limit))) as EventRow[]).map((r) => toEvent(r));
  }

  /** The newest `limit` events, newest first (the status page). */
  recent(limit: number): StoredEvent[] {
    return (this.selectRecent.all(Math.max(0, Math.trunc(limit))) as EventRow[]).map((r) => toEvent(r));
  }

  private notifyIfCommitted(id: number): void {
    if (this.listeners.size === 0 || !this.db.open) return;
    try {
      const row = this.selectById.get(id) as EventRow | undefined;
      if (row !== undefined) this.notify([toEvent(row)]);
    } catch (err) {
      this.log?.error({ err }, 'event store could not read back a recorded event');
    }
  }

  private notify(events: readonly StoredEvent[]): void {
    for (const fn of this.listeners) {
      try {
        fn(events);
      } catch (err) {
        // The event is committed; a listener's bug must not turn that into an error for the recorder.
        this.log?.error({ err }, 'event store commit listener failed');
      }
    }
  }
}

function toEvent<E extends StationEvent>(row: EventRow): StoredEvent<E> {
  return { id: row.id, ts: row.ts, event: JSON.parse(row.data) as E };
}
