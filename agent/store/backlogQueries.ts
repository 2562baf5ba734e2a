import type Database from 'better-sqlite3';

/**
 * Read-only questions about what the uplinks have not delivered yet, for `station-agent backlog`:
 * the delivery cursors, the persisted re-send ranges, and how many rows (and the oldest time among
 * them) lie in a seq range of readings, aggregates or events. Runs on the CLI's read-only
 * connection beside the running agent: no statement here writes, none creates a cursor row.
 *
 * A database of an older schema may lack a table (aggregates, events, uplink_settings came later):
 * its questions then answer "nothing", as there can be nothing there to send.
 */

export interface CursorRow {
  /** The cursor key: an uplink id, or `<uplink>#<stream>`. */
  key: string;
  ackedSeq: number;
  /** When the cursor last moved (ms), null when never recorded. */
  updatedAt: number | null;
}

/** Rows in a range: how many, and the earliest time among them (null when there are none). */
export interface Pending {
  count: number;
  oldestTs: number | null;
}

/** Seqs `after < seq <= upTo`; upTo omitted: no upper bound. */
export interface SeqSpan {
  after: number;
  upTo?: number;
}

const NONE: Pending = { count: 0, oldestTs: null };
const NO_END = Number.MAX_SAFE_INTEGER;

export class BacklogQueries {
  private readonly db: Database.Database;
  private readonly tables: Set<string>;

  constructor(db: Database.Database) {
    this.db = db;
    this.tables = new Set(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
    );
  }

  cursors(): CursorRow[] {
    if (!this.tables.has('uplink_cursors')) return [];
    const rows = this.db
      .prepare('SELECT uplink, acked_seq, updated_at FROM uplink_cursors ORDER BY uplink')
      .all() as { uplink: string; acked_seq: number; updated_at: number | null }[];
    return rows.map((r) => ({ key: r.uplink, ackedSeq: r.acked_seq, updatedAt: r.updated_at }));
  }

  /** Highest reading seq ever given (0 for none), even if that row is gone since. */
  lastReadingSeq(): number {
    return (this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'readings'").pluck().get() ??
      0) as number;
  }

  /** Readings in the span; oldest by reading time. One pass over a primary-key range. */
  readings(span: SeqSpan): Pending {
    return this.pending(
      'SELECT count(*) AS n, min(ts) AS oldest FROM readings WHERE seq > ? AND seq <= ?',
      span,
    );
  }

  /** Events in the span (by event id); oldest by event time. */
  events(span: SeqSpan): Pending {
    if (!this.tables.has('events')) return NONE;
    return this.pending('SELECT count(*) AS n, min(ts) AS oldest FROM events WHERE id > ? AND id <= ?', span);
  }

  /** Aggregate records in the span (by aseq) of all periods; oldest by period start. */
  aggregates(span: SeqSpan): Pending {
    if (!this.tables.has('aggregates')) return NONE;
    return this.pending(
      'SELECT count(*) AS n, min(start_ts) AS oldest FROM aggregates WHERE aseq > ? AND aseq <= ?',
      span,
    );
  }

  /** Aggregate records in the span per period (minute, hour, day): one pass for the three. */
  aggregatesByPeriod(span: SeqSpan): Map<string, Pending> {
    const out = new Map<string, Pending>();
    if (!this.tables.has('aggregates')) return out;
    const rows = this.db
      .prepare(
        `SELECT period, count(*) AS n, min(start_ts) AS oldest FROM aggregates
          WHERE aseq > ? AND aseq <= ? GROUP BY period`,
      )
      .all(span.after, span.upTo ?? NO_END) as { period: string; n: number; oldest: number | null }[];
    for (const r of rows) out.set(r.period, { count: r.n, oldestTs: r.oldest });
    return out;
  }

  /** Whether any aggregate record is stored (an uplink's aggregates stream has something to do). */
  hasAggregates(): boolean {
    return (
      this.tables.has('aggregates') && this.db.prepare('SELECT 1 FROM aggregates LIMIT 1').get() !== undefined
    );
  }

  /** Whether any event is stored. */
  hasEvents(): boolean {
    return this.tables.has('events') && this.db.prepare('SELECT 1 FROM events LIMIT 1').get() !== undefined;
  }

  /**
   * The JSON value an uplink persisted under `key` (uplink_settings), or undefined when there is none
   * or it does not parse (the agent itself then falls back the same way).
   */
  uplinkSetting(uplink: string, key: string): unknown {
    if (!this.tables.has('uplink_settings')) return undefined;
    const text = this.db
      .prepare('SELECT value FROM uplink_settings WHERE uplink = ? AND key = ?')
      .pluck()
      .get(uplink, key) as string | undefined;
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }

  private pending(sql: string, span: SeqSpan): Pending {
    const r = this.db.prepare(sql).get(span.after, span.upTo ?? NO_END) as {
      n: number;
      oldest: number | null;
    };
    return { count: r.n, oldestTs: r.oldest };
  }
}
