import type Database from 'better-sqlite3';
import { AgentError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/log.js';
import type { DataFlag, NewReading, StoredReading } from '../core/reading.js';
import { FirstSeqLookup } from './firstSeqSince.js';
import { QC_CHANGES_JOIN, QcChangeLog } from './qcChanges.js';
import { isQcResults, packQc, unpackQc } from './qcPacking.js';
import { ReadingRangeReader, type ResolvedRow } from './readingRange.js';
import { readingSeqSkips } from './seqCeiling.js';
import { storeWriteError } from './storeErrors.js';

/**
 * Flags are stored as small integers: SQLite stores 0 and 1 in zero bytes and the rest in one, against two
 * for a one-letter TEXT. The numbers are an on-disk format: never renumber, only add.
 */
const FLAG_TO_CODE: Record<DataFlag, number> = { N: 0, F: 1, M: 2, S: 3, D: 4, C: 5, T: 6, B: 7 };
const CODE_TO_FLAG = new Map<number, DataFlag>(
  Object.entries(FLAG_TO_CODE).map(([flag, code]) => [code, flag as DataFlag]),
);

/** The flag of a stored code; an unknown code can only come from a newer agent's rows: D (fault) is the safe reading. */
export function flagOfCode(code: number): DataFlag {
  return CODE_TO_FLAG.get(code) ?? 'D';
}

/** Called after a commit with the readings it made durable, in seq order. */
export type CommitListener = (readings: readonly StoredReading[]) => void;

/** A reading row with its channel and qc/state resolved (readingRange.ts defines it for both readers). */
type ReadingRow = ResolvedRow;

/** A reading with its channel and the check results/state in effect for it (qcChanges.ts). */
const READINGS_FROM = `SELECT r.seq, r.ts, c.device, c.channel, c.code, c.unit, r.value, r.flag, m.qc, m.state
  FROM readings r JOIN channels c ON c.id = r.channel_id ${QC_CHANGES_JOIN}`;

/** How far back (in rows) lastValueBefore looks: bounds the scan for a channel that has no value. */
const LAST_VALUE_LOOKBACK_ROWS = 200_000;

const MINUTE_MS = 60_000;

/** One channel's mean value over one minute (ReadingStore.minuteMeans). */
export interface MinuteMean {
  device: string;
  channel: string;
  /** Start of the minute, ms since the epoch. */
  minute: number;
  mean: number | null;
}

interface PendingChannel {
  key: string;
  id: number;
}

/**
 * The durable reading log. Every reading is committed here before anything else sees it; uplinks read
 * forward from their own cursor. Statements are prepared once: append runs on every poll cycle.
 */
export class ReadingStore {
  private readonly log: Logger;
  private readonly listeners = new Set<CommitListener>();
  /** channel key -> channels.id; only holds ids whose row is committed (see append). */
  private readonly channelIds = new Map<string, number>();
  private readonly qcChanges: QcChangeLog;
  private readonly insertReading: Database.Statement;
  private readonly findChannel: Database.Statement;
  private readonly insertChannel: Database.Statement;
  private readonly selectLastSeq: Database.Statement;
  private readonly range: ReadingRangeReader;
  private readonly readRange: Database.Transaction<(seq: number, limit: number) => ReadingRow[]>;
  private readonly selectFirstSeqAfter: Database.Statement;
  private readonly selectMaxSeq: Database.Statement;
  private readonly selectOldestTsAfter: Database.Statement;
  private readonly firstSeq: FirstSeqLookup;
  private readonly selectFrom: Database.Statement;
  private readonly selectLastValueBefore: Database.Statement;
  private readonly selectMinuteMeans: Database.Statement;
  /** Seq ranges never given (seqCeiling.ts): they change only when the store is opened. */
  private readonly seqSkips: readonly [number, number][];
  private readonly appendTx: Database.Transaction<
    (readings: readonly NewReading[]) => {
      stored: StoredReading[];
      created: PendingChannel[];
      qcPending: Map<number, string>;
    }
  >;

  constructor(deps: { db: Database.Database; log?: Logger }) {
    const { db } = deps;
    this.log = deps.log ?? silentLogger();
    this.seqSkips = readingSeqSkips(db);
    this.insertReading = db.prepare('INSERT INTO readings (ts, channel_id, value, flag) VALUES (?, ?, ?, ?)');
    this.qcChanges = new QcChangeLog(db);
    this.findChannel = db
      .prepare('SELECT id FROM channels WHERE device = ? AND channel = ? AND code IS ? AND unit IS ?')
      .pluck();
    this.insertChannel = db.prepare('INSERT INTO channels (device, channel, code, unit) VALUES (?, ?, ?, ?)');
    this.selectLastSeq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'readings'").pluck();
    this.range = new ReadingRangeReader(db);
    // One read transaction: the scan and the change points it resolves see the same snapshot.
    this.readRange = db.transaction((seq: number, limit: number) => this.range.rows(seq, limit));
    this.firstSeq = new FirstSeqLookup(db);
    this.selectFrom = db.prepare(`${READINGS_FROM} WHERE r.seq >= ? ORDER BY r.seq`);
    this.selectLastValueBefore = db
      .prepare(
        `SELECT r.value FROM readings r JOIN channels c ON c.id = r.channel_id
          WHERE r.seq < ? AND r.seq >= ? AND c.device = ? AND c.channel = ? AND r.value IS NOT NULL
          ORDER BY r.seq DESC LIMIT 1`,
      )
      .pluck();
    // ts is an INTEGER column: ts / 60000 is integer division, i.e. the minute. avg() skips NULL values
    // and is NULL for a minute with none. One range scan of the ts index.
    this.selectMinuteMeans = db.prepare(
      `SELECT c.device, c.channel, r.ts / ${MINUTE_MS} AS minute, avg(r.value) AS mean
         FROM readings r JOIN channels c ON c.id = r.channel_id
        WHERE r.ts >= ?
        GROUP BY c.device, c.channel, minute
        ORDER BY c.device, c.channel, minute`,
    );
    // Two index lookups instead of count(*), which walks every row: see countAfter.
    this.selectFirstSeqAfter = db
      .prepare('SELECT seq FROM readings WHERE seq > ? ORDER BY seq LIMIT 1')
      .pluck();
    this.selectMaxSeq = db.prepare('SELECT max(seq) FROM readings').pluck();
    this.selectOldestTsAfter = db
      .prepare('SELECT ts FROM readings WHERE seq > ? ORDER BY seq LIMIT 1')
      .pluck();
    this.appendTx = db.transaction((readings: readonly NewReading[]) => {
      const created: PendingChannel[] = [];
      const qcPending = new Map<number, string>();
      const stored = readings.map((r) => {
        const channelId = this.channelId(r, created);
        const value = r.value !== null && Number.isFinite(r.value) ? r.value : null;
        const seq = Number(
          this.insertReading.run(r.ts, channelId, value, FLAG_TO_CODE[r.flag]).lastInsertRowid,
        );
        this.qcChanges.note(channelId, seq, r.qc ? packQc(r.qc) : null, r.state ?? null, qcPending);
        // Built field by field, not spread: a spread of the caller's object cost ~30 % of append's CPU
        // time (workload 3 in docs/performance.md), and only the reading's own fields belong here.
        const out: StoredReading = {
          seq,
          ts: r.ts,
          device: r.device,
          channel: r.channel,
          code: r.code,
          value,
          unit: r.unit,
          flag: r.flag,
        };
        if (r.qc !== undefined) out.qc = r.qc;
        if (r.state !== undefined) out.state = r.state;
        return out;
      });
      return { stored, created, qcPending };
    });
  }

  /**
   * Commits the readings in one transaction (one fsync) and returns them with their seq. Throws AgentError
   * STORE_FULL when the disk or database is full, STORE_FAILED on other failures; nothing of the batch
   * is then stored.
   */
  append(readings: readonly NewReading[]): StoredReading[] {
    if (readings.length === 0) return [];
    for (const r of readings) {
      // Checked before the transaction: a bad reading is the caller's bug and must not half-apply a batch.
      const badQc = r.qc !== undefined && !isQcResults(r.qc);
      const badState = r.state !== undefined && r.state !== null && !Number.isFinite(r.state);
      if (!Number.isSafeInteger(r.ts) || FLAG_TO_CODE[r.flag] === undefined || badQc || badState) {
        throw new AgentError(
          'STORE_FAILED',
          `invalid reading ${r.device}/${r.channel}: ts ${r.ts}, flag ${String(r.flag)}, state ${String(r.state)}`,
          { device: r.device, channel: r.channel },
        );
      }
    }
    let result: { stored: StoredReading[]; created: PendingChannel[]; qcPending: Map<number, string> };
    try {
      // IMMEDIATE takes the write lock up front: a deferred transaction could fail half-way with SQLITE_BUSY.
      result = this.appendTx.immediate(readings);
    } catch (err) {
      throw storeWriteError(err, `could not commit ${readings.length} reading(s): ${String(err)}`, {
        count: readings.length,
      });
    }
    // Only now are the new channel rows real: caching them inside the transaction would leave ids of
    // rolled-back rows in the cache after a failed commit.
    for (const c of result.created) this.channelIds.set(c.key, c.id);
    this.qcChanges.commit(result.qcPending);
    for (const fn of this.listeners) {
      try {
        fn(result.stored);
      } catch (err) {
        // The readings are committed; a listener's bug must not turn that into an error for the caller.
        this.log.error({ err }, 'reading store commit listener failed');
      }
    }
    return result.stored;
  }

  /** Registers a listener for committed readings; returns a function that removes it. */
  onCommitted(fn: CommitListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Highest seq ever committed (0 for an empty store), even if that row was deleted since. */
  lastSeq(): number {
    const seq = this.selectLastSeq.get() as number | undefined;
    return seq ?? 0;
  }

  /** Up to `limit` readings with seq > `seq`, in seq order. Memory is bounded by `limit`, not the backlog. */
  readAfter(seq: number, limit: number): StoredReading[] {
    const rows = this.readRange(seq, Math.max(0, Math.trunc(limit)));
    return rows.map(toReading);
  }

  /** Lowest seq of a reading stamped at or after `ts`, or null (firstSeqSince.ts: the cheaper plan). */
  firstSeqSince(ts: number): number | null {
    return this.firstSeq.get(ts);
  }

  /** Every reading with seq >= `seq`, in seq order, read lazily (restoring state after a restart). */
  *iterateFrom(seq: number): Generator<StoredReading> {
    for (const row of this.selectFrom.iterate(seq) as IterableIterator<ReadingRow>) yield toReading(row);
  }

  /**
   * The last non-null value of a channel stored before `seq` (a counter's previous value after a
   * restart); null when there is none within the last LAST_VALUE_LOOKBACK_ROWS readings.
   */
  lastValueBefore(device: string, channel: string, seq: number): number | null {
    const value = this.selectLastValueBefore.get(seq, seq - LAST_VALUE_LOOKBACK_ROWS, device, channel) as
      | number
      | undefined;
    return value ?? null;
  }

  /**
   * The mean value of each channel per UTC minute, for readings stamped at or after `since` (the status
   * page's sparklines). `minute` is the minute's start (ms); `mean` is null when the minute holds only
   * readings without a value. Minutes without any reading are absent. Ordered by device, channel, minute.
   */
  minuteMeans(since: number): MinuteMean[] {
    const rows = this.selectMinuteMeans.all(since) as MinuteMean[];
    return rows.map((r) => ({
      device: r.device,
      channel: r.channel,
      minute: r.minute * MINUTE_MS,
      mean: r.mean,
    }));
  }

  /**
   * Number of stored readings with seq > `seq`. Status and metrics ask for it every second, and
   * count(*) over a week-long backlog walks millions of rows each time. Seqs are given without gaps
   * (AUTOINCREMENT, rolled back with a failed commit) but for the ranges skipped after an unclean
   * stop (seqCeiling.ts), which hold no row, and readings are only ever deleted oldest first, so the
   * count follows from the first and last, less the skipped ranges between them.
   */
  countAfter(seq: number): number {
    const first = this.selectFirstSeqAfter.get(seq) as number | undefined;
    if (first === undefined) return 0;
    const last = this.selectMaxSeq.get() as number;
    let count = last - first + 1;
    for (const [from, to] of this.seqSkips) if (from > first && to < last) count -= to - from + 1;
    return count;
  }

  /** ts of the first reading (in seq order) after `seq`, or null when there is none. */
  oldestTsAfter(seq: number): number | null {
    const ts = this.selectOldestTsAfter.get(seq) as number | undefined;
    return ts ?? null;
  }

  private channelId(r: NewReading, created: PendingChannel[]): number {
    const key = JSON.stringify([r.device, r.channel, r.code, r.unit]);
    const cached = this.channelIds.get(key) ?? created.find((c) => c.key === key)?.id;
    if (cached !== undefined) return cached;
    const found = this.findChannel.get(r.device, r.channel, r.code, r.unit) as number | undefined;
    if (found !== undefined) {
      created.push({ key, id: found });
      return found;
    }
    const id = Number(this.insertChannel.run(r.device, r.channel, r.code, r.unit).lastInsertRowid);
    created.push({ key, id });
    return id;
  }
}

function toReading(row: ReadingRow): StoredReading {
  const reading: StoredReading = {
    seq: row.seq,
    ts: row.ts,
    device: row.device,
    channel: row.channel,
    code: row.code,
    value: row.value,
    unit: row.unit,
    flag: flagOfCode(row.flag),
  };
  // Absent rather than null when not stored, so readings of producers without QC read back as written.
  if (row.qc !== null) reading.qc = unpackQc(row.qc, row.value === null);
  if (row.state !== null) reading.state = row.state;
  return reading;
}
