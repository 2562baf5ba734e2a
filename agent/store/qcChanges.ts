import type Database from 'better-sqlite3';

/**
 * Writes the qc_changes table (see the v2 migration): the check results and instrument state of a
 * channel's readings, one row per change. ReadingStore calls note() for every reading it inserts,
 * and commit() once the transaction is durable, so a rolled-back batch leaves the cache untouched.
 */
export class QcChangeLog {
  /** channel id -> key of the (qc, state) pair of its last committed reading. */
  private readonly last = new Map<number, string>();
  private readonly insert: Database.Statement;
  private readonly selectLast: Database.Statement;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO qc_changes (channel_id, seq, qc, state) VALUES (?, ?, ?, ?)');
    this.selectLast = db.prepare(
      'SELECT qc, state FROM qc_changes WHERE channel_id = ? ORDER BY seq DESC LIMIT 1',
    );
  }

  /** Inside the append transaction: stores the pair if it differs from the channel's previous reading's. */
  note(
    channelId: number,
    seq: number,
    qc: number | null,
    state: number | null,
    pending: Map<number, string>,
  ): void {
    const key = pairKey(qc, state);
    if ((pending.get(channelId) ?? this.lastKey(channelId)) === key) return;
    this.insert.run(channelId, seq, qc, state);
    pending.set(channelId, key);
  }

  /** After the commit: the pending pairs are now the channels' last ones. */
  commit(pending: ReadonlyMap<number, string>): void {
    for (const [channelId, key] of pending) this.last.set(channelId, key);
  }

  private lastKey(channelId: number): string {
    let key = this.last.get(channelId);
    if (key === undefined) {
      const row = this.selectLast.get(channelId) as { qc: number | null; state: number | null } | undefined;
      // No row yet: the channel's readings so far carry neither (stored before QC existed).
      key = row ? pairKey(row.qc, row.state) : pairKey(null, null);
      this.last.set(channelId, key);
    }
    return key;
  }
}

function pairKey(qc: number | null, state: number | null): string {
  return `${qc ?? ''}|${state ?? ''}`;
}

/**
 * Joins each reading `r` with the qc_changes row in effect for it: the channel's latest row at or
 * before its seq (an index seek on the (channel_id, seq) key).
 */
export const QC_CHANGES_JOIN = `LEFT JOIN qc_changes m ON m.channel_id = r.channel_id AND m.seq =
  (SELECT max(q.seq) FROM qc_changes q WHERE q.channel_id = r.channel_id AND q.seq <= r.seq)`;
