import type Database from 'better-sqlite3';
import { AgentError } from '../core/errors.js';

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

export class EventStore {
  private readonly insert: Database.Statement;
  private readonly selectSince: Database.Statement;
  private readonly selectAfter: Database.Statement;
  private readonly selectRecent: Database.Statement;

  constructor(deps: { db: Database.Database }) {
    const { db } = deps;
    this.insert = db.prepare('INSERT INTO events (ts, kind, data) VALUES (?, ?, ?)');
    this.selectSince = db.prepare(
      'SELECT id, ts, kind, data FROM events WHERE kind = ? AND ts >= ? ORDER BY id',
    );
    this.selectAfter = db.prepare('SELECT id, ts, kind, data FROM events WHERE id > ? ORDER BY id LIMIT ?');
    this.selectRecent = db.prepare('SELECT id, ts, kind, data FROM events ORDER BY id DESC LIMIT ?');
  }

  /** Commits one event; returns its id. Throws AgentError STORE_FAILED when the commit fails. */
  record<E extends StationEvent>(ts: number, event: E): number {
    try {
      return Number(this.insert.run(ts, event.kind, JSON.stringify(event)).lastInsertRowid);
    } catch (err) {
      throw new AgentError(
        'STORE_FAILED',
        `could not record event ${event.kind}: ${String(err)}`,
        {},
        { cause: err },
      );
    }
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
}

function toEvent<E extends StationEvent>(row: EventRow): StoredEvent<E> {
  return { id: row.id, ts: row.ts, event: JSON.parse(row.data) as E };
}
