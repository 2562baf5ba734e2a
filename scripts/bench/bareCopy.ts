import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PG_BIN } from '../support/postgres.js';
import { query } from './pgProbe.js';

/**
 * Workload 7's baseline: the rows the receivers wrote, loaded again with a bare COPY (psql's \copy over
 * TCP on 127.0.0.1, the path the receivers use, one transaction) into a table of the same shape in the
 * same server: same columns and defaults, same primary key and index, same month partitions. The rows
 * the receivers wrote before the timed part are put in first (untimed), so both tables hold the same
 * rows when the timed rows arrive and end up byte-comparable.
 */

const COLUMNS =
  'station, db, seq, ts, device, channel, code, value, unit, flag, qc, state, extra, cfg, historical';

export async function createBareTable(url: string): Promise<void> {
  await query(url, 'DROP TABLE IF EXISTS readings_bare');
  await query(url, 'CREATE TABLE readings_bare (LIKE readings INCLUDING DEFAULTS) PARTITION BY RANGE (ts)');
  await query(url, 'ALTER TABLE readings_bare ADD PRIMARY KEY (station, db, seq, ts)');
  await query(
    url,
    'CREATE INDEX readings_bare_channel_ts ON readings_bare (station, device, channel, ts DESC)',
  );
  const parts = await query<{ name: string; bound: string }>(
    url,
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'readings'::regclass`,
  );
  for (const p of parts) {
    await query(
      url,
      `CREATE TABLE ${p.name.replace(/^readings_/, 'readings_bare_')} PARTITION OF readings_bare ${p.bound}`,
    );
  }
}

/** Copies the rows matching `where` from readings into readings_bare, untimed. */
export async function prefillBare(url: string, where: string): Promise<void> {
  await query(url, `INSERT INTO readings_bare (${COLUMNS}) SELECT ${COLUMNS} FROM readings WHERE ${where}`);
}

/**
 * Exports the rows matching `where` (server-side COPY TO into the data directory), then times psql's
 * \copy of that file into readings_bare. Returns the rows and the seconds the COPY took.
 */
export async function timeBareCopy(
  url: string,
  dataDir: string,
  where: string,
): Promise<{ rows: number; seconds: number }> {
  const file = join(dataDir, 'bench-bare-copy.csv');
  await query(url, `COPY (SELECT ${COLUMNS} FROM readings WHERE ${where}) TO '${file}' (FORMAT csv)`);
  try {
    const started = performance.now();
    const out = execFileSync(
      join(PG_BIN, 'psql'),
      [
        '-X',
        '-v',
        'ON_ERROR_STOP=1',
        url,
        '-c',
        `\\copy readings_bare (${COLUMNS}) FROM '${file}' (FORMAT csv)`,
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const rows = Number(/COPY (\d+)/.exec(out)?.[1] ?? Number.NaN);
    return { rows, seconds };
  } finally {
    rmSync(file, { force: true });
  }
}
