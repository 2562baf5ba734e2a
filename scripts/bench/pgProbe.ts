import pg from 'pg';

/**
 * What workload 7 asks the receivers' PostgreSQL while they write: when readings become visible
 * (committed), how many there are, and how many bytes they take.
 */

/** A stream to watch: its station and store id. */
export type Stream = [station: string, db: string];

export interface CommitProbe {
  /** Stops polling; per station, [highest committed seq, Date.now() when first seen] in order. */
  stop(): Promise<Map<string, [number, number][]>>;
}

/**
 * Polls the highest committed seq of a few streams every `everyMs` (one index probe per stream), so a
 * batch's latency is publish → first poll that sees it: committed and visible, within `everyMs`.
 */
export async function startCommitProbe(
  url: string,
  streams: Stream[],
  everyMs: number,
): Promise<CommitProbe> {
  const client = new pg.Client({ connectionString: url });
  // A server stopped under it (a failed run's cleanup) must not crash the bench with an unhandled 'error'.
  client.on('error', () => undefined);
  await client.connect();
  const seen = new Map<string, [number, number][]>(streams.map(([s]) => [s, []]));
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        await pollOnce();
      } catch {
        return; // the server went away: the run is failing for a reason reported elsewhere
      }
    }
  })();
  async function pollOnce(): Promise<void> {
    const started = Date.now();
    const { rows } = await client.query<{ station: string; hi: string | null }>(
      `SELECT p.station, (SELECT max(r.seq) FROM readings r WHERE r.station = p.station AND r.db = p.db) AS hi
           FROM unnest($1::text[], $2::text[]) AS p(station, db)`,
      [streams.map((s) => s[0]), streams.map((s) => s[1])],
    );
    const at = Date.now();
    for (const r of rows) {
      const list = seen.get(r.station)!;
      const hi = Number(r.hi ?? 0);
      if (hi > (list.at(-1)?.[0] ?? 0)) list.push([hi, at]);
    }
    const rest = everyMs - (Date.now() - started);
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  }
  return {
    async stop() {
      stopped = true;
      await loop;
      await client.end().catch(() => undefined);
      return seen;
    },
  };
}

/** Latency (ms) of each published batch: publish → the first poll that saw its last seq. */
export function batchLatencies(
  published: Map<string, [number, number][]>,
  seen: Map<string, [number, number][]>,
): number[] {
  const out: number[] = [];
  for (const [station, batches] of published) {
    const obs = seen.get(station) ?? [];
    let j = 0;
    for (const [seqTo, at] of batches) {
      while (j < obs.length && obs[j]![0] < seqTo) j++;
      if (j < obs.length) out.push(Math.max(0, obs[j]![1] - at));
    }
  }
  return out;
}

/** The p-th percentile (0..100) by nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

export async function countRows(url: string, table: string, where = 'true'): Promise<number> {
  return Number((await query<{ n: string }>(url, `SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0]!.n);
}

/** Bytes of a partitioned table: every partition's heap, indexes and TOAST. */
export async function partitionedBytes(url: string, table: string): Promise<number> {
  const rows = await query<{ b: string }>(
    url,
    `SELECT sum(pg_total_relation_size(relid)) AS b FROM pg_partition_tree('${table}')`,
  );
  return Number(rows[0]!.b);
}
