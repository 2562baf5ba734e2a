import type pg from 'pg';

/**
 * The receiver's PostgreSQL schema, as numbered migrations applied once each and recorded in
 * `schema_migrations`. Several receivers may start at once: the runner holds an advisory lock while
 * it migrates, so one applies and the others find the work done.
 *
 * Keys are the contract's identities (docs/mqtt-contract.md):
 * - readings: (station, db, seq). The table is partitioned by `ts`, and PostgreSQL wants the partition
 *   key in every unique key, so the primary key is (station, db, seq, ts). That is still unique on
 *   (station, db, seq): a reading's ts is fixed when the station commits it, so every copy of it
 *   (a redelivery, a resend) carries the same ts and lands in the same partition on the same key.
 * - aggregates: (station, device, channel, period, start), upserted.
 * - events: (station, db, id).
 */
export interface Migration {
  version: number;
  name: string;
  /** `timescale`: the timescaledb extension is installed in this database. */
  sql(env: { timescale: boolean }): string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'readings, aggregates, events',
    sql: ({ timescale }) => `
      CREATE TABLE readings (
        station text NOT NULL,
        db text NOT NULL,
        seq bigint NOT NULL,
        ts timestamptz NOT NULL,
        device text NOT NULL,
        channel text NOT NULL,
        code text,
        value double precision,
        unit text,
        flag text NOT NULL,
        qc jsonb,
        state double precision,
        -- Reading fields this receiver does not know yet (the contract only adds fields within v1).
        extra jsonb,
        cfg text,
        historical boolean NOT NULL DEFAULT false,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (station, db, seq, ts)
      )${timescale ? '' : ' PARTITION BY RANGE (ts)'};
      ${timescale ? "SELECT create_hypertable('readings', 'ts', chunk_time_interval => interval '7 days');" : ''}
      CREATE INDEX readings_channel_ts ON readings (station, device, channel, ts DESC);

      CREATE TABLE aggregates (
        station text NOT NULL,
        device text NOT NULL,
        channel text NOT NULL,
        period text NOT NULL,
        start timestamptz NOT NULL,
        "end" timestamptz NOT NULL,
        code text,
        min double precision,
        avg double precision,
        max double precision,
        cou double precision,
        count integer NOT NULL,
        valid integer NOT NULL,
        expected integer NOT NULL,
        flag text NOT NULL,
        db text,
        cfg text,
        -- The station's record order when the payload carries one (aseq); see pgRows.ts.
        rev bigint,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (station, device, channel, period, start)
      );

      CREATE TABLE events (
        station text NOT NULL,
        db text NOT NULL,
        id bigint NOT NULL,
        ts timestamptz,
        kind text NOT NULL,
        body jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (station, db, id)
      );
    `,
  },
  {
    version: 2,
    name: 'streams, gaps, resend requests',
    sql: () => `
      -- One row per (station, db) seen: the gap check scans readings above contiguous_to only.
      CREATE TABLE streams (
        station text NOT NULL,
        db text NOT NULL,
        contiguous_to bigint NOT NULL DEFAULT 0,
        first_seen timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (station, db)
      );
      -- A gap is keyed by its bounds: while a backlog drains, its lower end moves and it is a new gap.
      CREATE TABLE gaps (
        station text NOT NULL,
        db text NOT NULL,
        from_seq bigint NOT NULL,
        to_seq bigint NOT NULL,
        after_ts timestamptz NOT NULL,
        before_ts timestamptz NOT NULL,
        first_seen timestamptz NOT NULL DEFAULT now(),
        last_asked timestamptz,
        asks integer NOT NULL DEFAULT 0,
        closed_at timestamptz,
        PRIMARY KEY (station, db, from_seq, to_seq)
      );
      CREATE INDEX gaps_open ON gaps (station, db) WHERE closed_at IS NULL;
      CREATE TABLE resend_requests (
        id uuid PRIMARY KEY,
        station text NOT NULL,
        db text NOT NULL,
        from_seq bigint NOT NULL,
        to_seq bigint NOT NULL,
        from_ts timestamptz NOT NULL,
        to_ts timestamptz NOT NULL,
        asked_at timestamptz NOT NULL DEFAULT now(),
        asked_by text NOT NULL,
        reply_status integer,
        reply jsonb,
        replied_at timestamptz
      );
    `,
  },
  {
    version: 3,
    name: 'gaps explained by station events',
    sql: () => `
      -- A gap the station itself reported (data-loss, store-seqs-skipped) will never be filled: the
      -- event's id, and no resend is asked for it.
      ALTER TABLE gaps ADD COLUMN explained_by bigint;
    `,
  },
];

/** An arbitrary constant: the advisory lock key of migrations. */
const MIGRATION_LOCK = 0x5eed_0001;

/** Applies the migrations not yet recorded; returns the versions applied now. */
export async function migrate(client: pg.ClientBase): Promise<{ applied: number[]; timescale: boolean }> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const timescale = await hasTimescale(client);
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql({ timescale }));
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
      }
      applied.push(m.version);
    }
    return { applied, timescale: await readingsIsHypertable(client, timescale) };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}

/** TimescaleDB counts only when the extension is created in this database (CREATE EXTENSION is the DBA's). */
async function hasTimescale(client: pg.ClientBase): Promise<boolean> {
  const r = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  return r.rowCount !== null && r.rowCount > 0;
}

/** Whether readings is a hypertable (made so by migration 1 on a TimescaleDB database) or partitioned. */
async function readingsIsHypertable(client: pg.ClientBase, timescale: boolean): Promise<boolean> {
  if (!timescale) return false;
  const r = await client.query(
    "SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'readings'",
  );
  return r.rowCount !== null && r.rowCount > 0;
}
