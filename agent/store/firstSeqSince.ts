import type Database from 'better-sqlite3';

/**
 * The lowest seq of a reading stamped at or after a time, without reading the whole table.
 *
 * Left to itself, SQLite answers `min(seq) … WHERE ts >= ?` by walking the table in seq order until a
 * ts matches: cheap for an old time, but for a recent one (a restart's quality look-back, the
 * aggregator's catch-up) it reads every row before it: 350 ms and a full 16 MB page cache on a
 * 12 M-reading store (docs/performance.md, workload 4). Through the ts index the cost is the rows
 * after the time instead. Both plans give the same exact answer (stamps need not rise with seq after
 * a clock step), so the lookup picks the one with fewer rows to visit, judged from where the time
 * falls between the oldest and the newest reading's stamps.
 */
export class FirstSeqLookup {
  private readonly bySeq: Database.Statement;
  private readonly byTsIndex: Database.Statement;
  private readonly ends: Database.Statement;

  constructor(db: Database.Database) {
    this.bySeq = db.prepare('SELECT min(seq) FROM readings NOT INDEXED WHERE ts >= ?').pluck();
    this.byTsIndex = db.prepare('SELECT min(seq) FROM readings INDEXED BY readings_ts WHERE ts >= ?').pluck();
    this.ends = db.prepare(
      `SELECT (SELECT ts FROM readings ORDER BY seq LIMIT 1) AS oldest,
              (SELECT ts FROM readings ORDER BY seq DESC LIMIT 1) AS newest`,
    );
  }

  get(ts: number): number | null {
    const { oldest, newest } = this.ends.get() as { oldest: number | null; newest: number | null };
    if (oldest === null || newest === null) return null;
    const recent = ts - oldest > newest - ts;
    const seq = (recent ? this.byTsIndex : this.bySeq).get(ts) as number | null | undefined;
    return seq ?? null;
  }
}
