import type Database from 'better-sqlite3';

/** A reading row with its channel and qc/state resolved, as ReadingStore turns it into a StoredReading. */
export interface ResolvedRow {
  seq: number;
  ts: number;
  device: string;
  channel: string;
  code: string | null;
  unit: string | null;
  value: number | null;
  flag: number;
  qc: number | null;
  state: number | null;
}

type Channel = [device: string, channel: string, code: string | null, unit: string | null];
/** [seq, qc, state] of one qc_changes row. */
type Change = [number, number | null, number | null];

/**
 * Reads the readings after a seq for the uplinks (ReadingStore.readAfter), the hot path of a backlog
 * drain. The one-statement form — a JOIN on channels and a correlated max(seq) subquery into qc_changes
 * for every row — cost ~10 µs per reading, four times the plain range scan (workload 4 in
 * docs/performance.md). Here: one range scan of readings, channel rows from a cache (they never change
 * once written), and the qc/state change points of each channel in the batch fetched once per batch
 * (two index seeks per channel) and applied in seq order.
 */
export class ReadingRangeReader {
  private readonly selectRows: Database.Statement;
  private readonly selectChannel: Database.Statement;
  private readonly selectChangeAt: Database.Statement;
  private readonly selectChangesIn: Database.Statement;
  private readonly channels = new Map<number, Channel>();

  constructor(db: Database.Database) {
    this.selectRows = db
      .prepare('SELECT seq, ts, channel_id, value, flag FROM readings WHERE seq > ? ORDER BY seq LIMIT ?')
      .raw();
    this.selectChannel = db.prepare('SELECT device, channel, code, unit FROM channels WHERE id = ?').raw();
    this.selectChangeAt = db
      .prepare(
        'SELECT seq, qc, state FROM qc_changes WHERE channel_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1',
      )
      .raw();
    this.selectChangesIn = db
      .prepare(
        'SELECT seq, qc, state FROM qc_changes WHERE channel_id = ? AND seq > ? AND seq <= ? ORDER BY seq',
      )
      .raw();
  }

  /** Up to `limit` readings with seq > `after`, in seq order. Call inside one read transaction. */
  rows(after: number, limit: number): ResolvedRow[] {
    const raw = this.selectRows.all(after, limit) as [number, number, number, number | null, number][];
    if (raw.length === 0) return [];
    const first = raw[0]![0];
    const last = raw.at(-1)![0];
    const cursors = new Map<number, { changes: Change[]; at: number }>();
    const out: ResolvedRow[] = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const [seq, ts, channelId, value, flag] = raw[i]!;
      const ch = this.channel(channelId);
      let cursor = cursors.get(channelId);
      if (cursor === undefined) {
        cursor = { changes: this.changes(channelId, first, last), at: 0 };
        cursors.set(channelId, cursor);
      }
      // The change in effect is the channel's latest at or before this seq (qcChanges.ts).
      const { changes } = cursor;
      while (cursor.at + 1 < changes.length && changes[cursor.at + 1]![0] <= seq) cursor.at++;
      const change = changes[cursor.at];
      const inEffect = change !== undefined && change[0] <= seq ? change : undefined;
      out[i] = {
        seq,
        ts,
        device: ch[0],
        channel: ch[1],
        code: ch[2],
        unit: ch[3],
        value,
        flag,
        qc: inEffect?.[1] ?? null,
        state: inEffect?.[2] ?? null,
      };
    }
    return out;
  }

  private channel(id: number): Channel {
    let ch = this.channels.get(id);
    if (ch === undefined) {
      ch = this.selectChannel.get(id) as Channel | undefined;
      if (ch === undefined)
        throw new Error(`reading refers to channel ${id}, which is not in the channels table`);
      this.channels.set(id, ch);
    }
    return ch;
  }

  /** The channel's change in effect at `first` (if any), then its changes up to `last`, ascending. */
  private changes(channelId: number, first: number, last: number): Change[] {
    const at = this.selectChangeAt.get(channelId, first) as Change | undefined;
    const within = this.selectChangesIn.all(channelId, first, last) as Change[];
    return at === undefined ? within : [at, ...within];
  }
}
