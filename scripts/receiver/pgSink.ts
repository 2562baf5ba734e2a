import type pg from 'pg';
import { type AggregateRow, type EventRow, newestPerIdentity, type ReadingRow } from './pgRows.js';

/**
 * Writes contract rows to PostgreSQL in group commits: every message handed in while a transaction
 * runs waits for the next one, so N messages in flight (N MQTT connections, see dbReceiver.ts) cost
 * one commit, not N. `write` resolves only once the message's rows are committed: the caller
 * acknowledges the MQTT message then, never before (at-least-once into the database; the keys make
 * it exactly-once in it).
 */
export interface SinkWork {
  readings: ReadingRow[];
  aggregates: AggregateRow[];
  events: EventRow[];
}

export interface WriteResult {
  /** Rows new to the database. */
  readings: number;
  aggregates: number;
  events: number;
  /** Rows already there (readings, events) or not newer than what is there (aggregates). */
  duplicates: number;
}

export interface CommitStats {
  messages: number;
  seconds: number;
  result: WriteResult;
}

interface Pending {
  work: SinkWork;
  resolve(r: WriteResult): void;
  reject(err: Error): void;
}

/** Deadlock and serialization failures: two receivers writing the same keys; the retry succeeds. */
const RETRYABLE = new Set(['40P01', '40001']);

export class PgSink {
  private readonly pool: pg.Pool;
  private readonly partitioned: boolean;
  private readonly onCommit: ((s: CommitStats) => void) | undefined;
  private queue: Pending[] = [];
  private running = false;
  /** Month partitions known to exist (readings_pYYYYMM). */
  private readonly partitions = new Set<string>();
  /** (station, db) pairs known to be in `streams`. */
  private readonly streams = new Set<string>();

  /** `partitioned`: readings is natively partitioned (not a hypertable): create month partitions. */
  constructor(pool: pg.Pool, opts: { partitioned: boolean; onCommit?: (s: CommitStats) => void }) {
    this.pool = pool;
    this.partitioned = opts.partitioned;
    this.onCommit = opts.onCommit;
  }

  write(work: SinkWork): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        const started = process.hrtime.bigint();
        try {
          const results = await this.commitGroup(group.map((p) => p.work));
          for (const [i, p] of group.entries()) p.resolve(results[i]!);
          const total = results.reduce(
            (a, r) => ({
              readings: a.readings + r.readings,
              aggregates: a.aggregates + r.aggregates,
              events: a.events + r.events,
              duplicates: a.duplicates + r.duplicates,
            }),
            { readings: 0, aggregates: 0, events: 0, duplicates: 0 },
          );
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          this.onCommit?.({ messages: group.length, seconds, result: total });
        } catch (err) {
          for (const p of group) p.reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** One transaction for the group; per-message results by counting each message's own keys. */
  private async commitGroup(works: SinkWork[]): Promise<WriteResult[]> {
    const readings = works.flatMap((w) => w.readings);
    if (this.partitioned) await this.ensurePartitions(readings);
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        await this.ensureStreams(client, readings);
        const newReadings = await insertReadings(client, readings);
        const newEvents = await insertEvents(
          client,
          works.flatMap((w) => w.events),
        );
        const newAggregates = await upsertAggregates(
          client,
          works.flatMap((w) => w.aggregates),
        );
        await client.query('COMMIT');
        client.release();
        return works.map((w) => {
          const r = w.readings.filter((x) => newReadings.delete(readingKey(x))).length;
          const e = w.events.filter((x) => newEvents.delete(eventKey(x))).length;
          const a = w.aggregates.filter((x) => newAggregates.delete(aggregateKey(x))).length;
          const sent = w.readings.length + w.events.length + w.aggregates.length;
          return { readings: r, events: e, aggregates: a, duplicates: sent - r - e - a };
        });
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release();
        const code = (err as { code?: string }).code;
        if (code !== undefined && RETRYABLE.has(code) && attempt < 5) continue;
        throw err;
      }
    }
  }

  /** Month partitions for the batch's readings, made once (IF NOT EXISTS under a lock: receivers race). */
  private async ensurePartitions(rows: readonly ReadingRow[]): Promise<void> {
    const months = new Set<string>();
    for (const r of rows) {
      const d = new Date(r.ts);
      months.add(`${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
    }
    for (const m of months) {
      if (this.partitions.has(m)) continue;
      const y = Number(m.slice(0, 4));
      const mo = Number(m.slice(4));
      const from = new Date(Date.UTC(y, mo - 1, 1)).toISOString();
      const to = new Date(Date.UTC(y, mo, 1)).toISOString();
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
        await client.query(
          `CREATE TABLE IF NOT EXISTS readings_p${m} PARTITION OF readings FOR VALUES FROM ('${from}') TO ('${to}')`,
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      this.partitions.add(m);
    }
  }

  private async ensureStreams(client: pg.PoolClient, rows: readonly ReadingRow[]): Promise<void> {
    const fresh = new Map<string, [string, string]>();
    for (const r of rows) {
      const key = `${r.station}\u0000${r.db}`;
      if (!this.streams.has(key)) fresh.set(key, [r.station, r.db]);
    }
    if (fresh.size === 0) return;
    const pairs = [...fresh.values()].sort();
    await client.query(
      `INSERT INTO streams (station, db) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT DO NOTHING`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
    // Remembered only after commit would be exact; a rollback merely repeats this cheap insert.
    for (const key of fresh.keys()) this.streams.add(key);
  }
}

const PARTITION_LOCK = 0x5eed_0002;

function readingKey(r: ReadingRow): string {
  return `${r.station}\u0000${r.db}\u0000${r.seq}`;
}
function eventKey(e: EventRow): string {
  return `${e.station}\u0000${e.db}\u0000${e.id}`;
}
function aggregateKey(a: AggregateRow): string {
  return [a.station, a.device, a.channel, a.period, new Date(a.start).toISOString()].join('\u0000');
}

/**
 * One multi-row INSERT (unnest of column arrays: one round trip, any batch size), sorted by key so
 * two receivers inserting overlapping keys lock them in the same order. Returns the keys inserted.
 */
async function insertReadings(client: pg.PoolClient, rows: ReadingRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const sorted = [...rows].sort((a, b) => cmp(a.station, b.station) || cmp(a.db, b.db) || a.seq - b.seq);
  const col = <K extends keyof ReadingRow>(k: K) => sorted.map((r) => r[k]);
  const res = await client.query<{ station: string; db: string; seq: string }>(
    `INSERT INTO readings (station, db, seq, ts, device, channel, code, value, unit, flag, qc, state, extra, cfg, historical)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::text[],
       $7::text[], $8::float8[], $9::text[], $10::text[], $11::jsonb[], $12::float8[], $13::jsonb[],
       $14::text[], $15::boolean[])
     ON CONFLICT DO NOTHING
     RETURNING station, db, seq`,
    [
      col('station'),
      col('db'),
      col('seq'),
      col('ts'),
      col('device'),
      col('channel'),
      col('code'),
      col('value'),
      col('unit'),
      col('flag'),
      col('qc'),
      col('state'),
      col('extra'),
      col('cfg'),
      col('historical'),
    ],
  );
  return new Set(res.rows.map((r) => `${r.station}\u0000${r.db}\u0000${r.seq}`));
}

async function insertEvents(client: pg.PoolClient, rows: EventRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const sorted = [...rows].sort((a, b) => cmp(a.station, b.station) || cmp(a.db, b.db) || a.id - b.id);
  const col = <K extends keyof EventRow>(k: K) => sorted.map((r) => r[k]);
  const res = await client.query<{ station: string; db: string; id: string }>(
    `INSERT INTO events (station, db, id, ts, kind, body)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::jsonb[])
     ON CONFLICT DO NOTHING
     RETURNING station, db, id`,
    [col('station'), col('db'), col('id'), col('ts'), col('kind'), col('body')],
  );
  return new Set(res.rows.map((r) => `${r.station}\u0000${r.db}\u0000${r.id}`));
}

/**
 * Upsert on (station, device, channel, period, start); the WHERE keeps the stored version when it is
 * newer than the incoming one (pgRows.ts `isNewer`, the same rule), so a late redelivery of an old
 * version cannot overwrite a correction.
 */
async function upsertAggregates(client: pg.PoolClient, all: AggregateRow[]): Promise<Set<string>> {
  if (all.length === 0) return new Set();
  const rows = newestPerIdentity(all).sort(
    (a, b) =>
      cmp(a.station, b.station) ||
      cmp(a.device, b.device) ||
      cmp(a.channel, b.channel) ||
      cmp(a.period, b.period) ||
      cmp(a.start, b.start),
  );
  const col = <K extends keyof AggregateRow>(k: K) => rows.map((r) => r[k]);
  const res = await client.query<{
    station: string;
    device: string;
    channel: string;
    period: string;
    start: Date;
  }>(
    `INSERT INTO aggregates AS a (station, device, channel, period, start, "end", code, min, avg, max, cou,
       count, valid, expected, flag, db, cfg, rev)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
       $7::text[], $8::float8[], $9::float8[], $10::float8[], $11::float8[], $12::int[], $13::int[], $14::int[],
       $15::text[], $16::text[], $17::text[], $18::bigint[])
     ON CONFLICT (station, device, channel, period, start) DO UPDATE SET
       "end" = EXCLUDED."end", code = EXCLUDED.code, min = EXCLUDED.min, avg = EXCLUDED.avg,
       max = EXCLUDED.max, cou = EXCLUDED.cou, count = EXCLUDED.count, valid = EXCLUDED.valid,
       expected = EXCLUDED.expected, flag = EXCLUDED.flag, db = EXCLUDED.db, cfg = EXCLUDED.cfg,
       rev = EXCLUDED.rev, received_at = now()
     WHERE CASE WHEN EXCLUDED.rev IS NOT NULL AND a.rev IS NOT NULL THEN EXCLUDED.rev >= a.rev
                ELSE (EXCLUDED.count, EXCLUDED.valid) >= (a.count, a.valid) END
     RETURNING station, device, channel, period, start`,
    [
      col('station'),
      col('device'),
      col('channel'),
      col('period'),
      col('start'),
      col('end'),
      col('code'),
      col('min'),
      col('avg'),
      col('max'),
      col('cou'),
      col('count'),
      col('valid'),
      col('expected'),
      col('flag'),
      col('db'),
      col('cfg'),
      col('rev'),
    ],
  );
  return new Set(
    res.rows.map((r) => [r.station, r.device, r.channel, r.period, r.start.toISOString()].join('\u0000')),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
