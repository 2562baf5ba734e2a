import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/**
 * Gap detection over the readings table, for any number of receivers sharing one database: a
 * query per (station, db) stream above its contiguous watermark, after a grace period, and a
 * `resend` for each gap still open. One receiver at a time does it: the one holding a PostgreSQL
 * session advisory lock. The lock goes with its connection, so when that receiver dies (SIGKILL
 * included) the server drops it and another receiver takes over at its next tick. Every request
 * is recorded in `resend_requests` (who asked what, and the station's reply when it comes).
 */
export interface ResendRequest {
  id: string;
  station: string;
  db: string;
  fromSeq: number;
  toSeq: number;
  /** The times of the readings either side of the gap: a resend of [from, to] covers it. */
  from: string;
  to: string;
}

export interface GapCheckOptions {
  /** A gap must stay open this long (same bounds) before a resend is asked: a backlog may fill it. */
  graceMs: number;
  /** An asked gap still open this long later is asked again. */
  retryMs: number;
  /**
   * Asks per gap; then the gap is given up (left open, no longer asked, scanned past): the station
   * no longer has those readings, or never had them (e.g. retention deleted them before they went).
   */
  maxAsks: number;
  /** Who asks: recorded with each request. */
  receiverId: string;
  /** Publishes the request to the station; resolves once the broker has it. */
  publish(request: ResendRequest): Promise<void>;
}

export interface GapCheckResult {
  leader: boolean;
  open: number;
  asked: ResendRequest[];
}

const GAP_LOCK = 0x5eed_0003;

export class PgGapCheck {
  private readonly pool: pg.Pool;
  private readonly opts: GapCheckOptions;
  /** The connection holding the advisory lock while this receiver leads. */
  private leaderClient: pg.PoolClient | null = null;

  constructor(pool: pg.Pool, opts: GapCheckOptions) {
    this.pool = pool;
    this.opts = opts;
  }

  get leading(): boolean {
    return this.leaderClient !== null;
  }

  /** One round: become leader if no one is, then look for gaps and ask for the due ones. */
  async tick(): Promise<GapCheckResult> {
    if (this.leaderClient === null) {
      const client = await this.pool.connect();
      const got = await client
        .query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [GAP_LOCK])
        .then((r) => r.rows[0]?.ok === true)
        .catch(() => false);
      if (!got) {
        client.release();
        return { leader: false, open: 0, asked: [] };
      }
      // A lost connection loses the lock: drop the client, try again next tick.
      client.on('error', () => {
        if (this.leaderClient === client) this.leaderClient = null;
      });
      this.leaderClient = client;
    }
    const client = this.leaderClient;
    try {
      const open = await this.findGaps(client);
      const asked = await this.askDue(client);
      return { leader: true, open, asked };
    } catch (err) {
      this.leaderClient = null;
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  /** Gives the lock back (a clean stop), so another receiver leads at once. */
  async stop(): Promise<void> {
    const client = this.leaderClient;
    this.leaderClient = null;
    if (client === null) return;
    await client.query('SELECT pg_advisory_unlock($1)', [GAP_LOCK]).catch(() => undefined);
    client.release();
  }

  /**
   * Records the gaps seen now (new bounds get first_seen = now), closes the ones gone, and moves each
   * stream's watermark up to its first gap, so the next scan starts there. Returns the open gaps.
   */
  private async findGaps(client: pg.PoolClient): Promise<number> {
    await client.query('BEGIN');
    try {
      await client.query(`
        CREATE TEMP TABLE IF NOT EXISTS gaps_now (station text, db text, from_seq bigint, to_seq bigint,
          after_ts timestamptz, before_ts timestamptz) ON COMMIT DELETE ROWS`);
      await client.query(`
        WITH w AS (
          SELECT r.station, r.db, r.seq, r.ts,
                 lead(r.seq) OVER s AS next_seq, lead(r.ts) OVER s AS next_ts
            FROM readings r JOIN streams st ON st.station = r.station AND st.db = r.db
           WHERE r.seq >= st.contiguous_to
          WINDOW s AS (PARTITION BY r.station, r.db ORDER BY r.seq)
        ), found AS (
          INSERT INTO gaps_now SELECT station, db, seq + 1, next_seq - 1, ts, next_ts
            FROM w WHERE next_seq > seq + 1
          RETURNING station, db, from_seq
        )
        UPDATE streams st SET contiguous_to = x.upto
          FROM (SELECT station, db, max(seq) AS upto FROM w GROUP BY station, db) x
         WHERE st.station = x.station AND st.db = x.db
           AND NOT EXISTS (SELECT 1 FROM found f WHERE f.station = x.station AND f.db = x.db)`);
      await client.query(`
        INSERT INTO gaps (station, db, from_seq, to_seq, after_ts, before_ts)
        SELECT station, db, from_seq, to_seq, after_ts, before_ts FROM gaps_now
        ON CONFLICT (station, db, from_seq, to_seq) DO UPDATE SET closed_at = NULL`);
      // A gap inside the seqs a station says it lost (or skipped) is explained: never asked for.
      await client.query(`
        UPDATE gaps g SET explained_by = e.id
          FROM events e
         WHERE g.closed_at IS NULL AND g.explained_by IS NULL
           AND e.station = g.station AND e.db = g.db
           AND ((e.kind = 'data-loss' AND e.body->>'table' = 'readings'
                 AND (e.body->>'seqFrom')::bigint <= g.from_seq AND (e.body->>'seqTo')::bigint >= g.to_seq)
             OR (e.kind = 'store-seqs-skipped'
                 AND (e.body->'readings'->>'from')::bigint <= g.from_seq
                 AND (e.body->'readings'->>'to')::bigint >= g.to_seq))`);
      // The watermark may pass explained gaps: they stay in the table, open, and are not rescanned.
      await client.query(
        `
        UPDATE streams st SET contiguous_to = x.upto
          FROM (SELECT n.station, n.db,
                       coalesce(min(n.from_seq) FILTER (WHERE g.explained_by IS NULL AND g.asks < $1) - 1,
                                max(n.to_seq) + 1) AS upto
                  FROM gaps_now n JOIN gaps g USING (station, db, from_seq, to_seq)
                 GROUP BY n.station, n.db) x
         WHERE st.station = x.station AND st.db = x.db AND st.contiguous_to < x.upto`,
        [this.opts.maxAsks],
      );
      await client.query(
        `
        UPDATE gaps g SET closed_at = now()
         WHERE closed_at IS NULL AND explained_by IS NULL AND asks < $1
           AND NOT EXISTS (SELECT 1 FROM gaps_now n WHERE n.station = g.station AND n.db = g.db
                             AND n.from_seq = g.from_seq AND n.to_seq = g.to_seq)`,
        [this.opts.maxAsks],
      );
      const open = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM gaps WHERE closed_at IS NULL AND explained_by IS NULL AND asks < $1',
        [this.opts.maxAsks],
      );
      await client.query('COMMIT');
      return Number(open.rows[0]?.n ?? 0);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Gaps open past the grace and not asked within the retry time: record each request, then publish. */
  private async askDue(client: pg.PoolClient): Promise<ResendRequest[]> {
    const due = await client.query<{
      station: string;
      db: string;
      from_seq: string;
      to_seq: string;
      after_ts: Date;
      before_ts: Date;
    }>(
      `SELECT station, db, from_seq, to_seq, after_ts, before_ts FROM gaps
        WHERE closed_at IS NULL AND explained_by IS NULL AND asks < $3
          AND first_seen < now() - make_interval(secs => $1::float8 / 1000)
          AND (last_asked IS NULL OR last_asked < now() - make_interval(secs => $2::float8 / 1000))
        ORDER BY station, db, from_seq`,
      [this.opts.graceMs, this.opts.retryMs, this.opts.maxAsks],
    );
    const asked: ResendRequest[] = [];
    for (const g of due.rows) {
      const request: ResendRequest = {
        id: randomUUID(),
        station: g.station,
        db: g.db,
        fromSeq: Number(g.from_seq),
        toSeq: Number(g.to_seq),
        from: g.after_ts.toISOString(),
        to: g.before_ts.toISOString(),
      };
      await client.query(
        `WITH r AS (
           INSERT INTO resend_requests (id, station, db, from_seq, to_seq, from_ts, to_ts, asked_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8))
         UPDATE gaps SET last_asked = now(), asks = asks + 1
          WHERE station = $2 AND db = $3 AND from_seq = $4 AND to_seq = $5`,
        [
          request.id,
          request.station,
          request.db,
          request.fromSeq,
          request.toSeq,
          request.from,
          request.to,
          this.opts.receiverId,
        ],
      );
      await this.opts.publish(request);
      asked.push(request);
    }
    return asked;
  }
}

/** Records a station's reply to a resend request (matched by the request id it echoes). */
export async function recordResendReply(pool: pg.Pool, reply: unknown): Promise<boolean> {
  if (typeof reply !== 'object' || reply === null) return false;
  const r = reply as { id?: unknown; status?: unknown };
  if (typeof r.id !== 'string' || !/^[0-9a-f-]{36}$/i.test(r.id)) return false;
  const res = await pool.query(
    'UPDATE resend_requests SET reply_status = $2, reply = $3, replied_at = now() WHERE id = $1',
    [r.id, typeof r.status === 'number' ? r.status : null, JSON.stringify(reply)],
  );
  return (res.rowCount ?? 0) > 0;
}
