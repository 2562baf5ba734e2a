import type Database from 'better-sqlite3';
import type { PeriodKind } from '../core/aggregateRecord.js';

/**
 * The rows `station-agent export` reads from the station database, with `iterate()` so a year of
 * readings streams through a few kilobytes of memory. The store's front door for the export: the
 * CLI turns these rows into CSV (cli/storeExport.ts) and holds no SQL of its own.
 */

export interface ExportRange {
  /** Inclusive, ms. */
  from: number;
  /** Exclusive, ms: consecutive ranges (day after day) never repeat a row. */
  to: number;
  /** channels.id values to keep; undefined keeps every channel. */
  channelIds?: readonly number[];
}

/** A --channel the store does not hold: `spec` as typed, `stored` the device/channel pairs it has. */
export class UnknownChannelError extends Error {
  constructor(
    message: string,
    readonly spec: string,
    readonly stored: readonly string[],
  ) {
    super(message);
  }
}

/**
 * channels.id of each `device/channel` given; a channel stored with several code/unit pairs (its
 * config changed) has several ids and all are kept. Throws UnknownChannelError naming the
 * channels that exist, so a typo is answered with the right spelling.
 */
export function resolveChannels(db: Database.Database, specs: readonly string[]): number[] {
  const find = db.prepare('SELECT id FROM channels WHERE device = ? AND channel = ?').pluck();
  const ids: number[] = [];
  for (const spec of specs) {
    const slash = spec.indexOf('/');
    const found =
      slash > 0 ? (find.all(spec.slice(0, slash), spec.slice(slash + 1)) as number[]) : ([] as number[]);
    if (found.length === 0) {
      const known = db
        .prepare('SELECT DISTINCT device, channel FROM channels ORDER BY device, channel')
        .all() as { device: string; channel: string }[];
      const stored = known.map((k) => `${k.device}/${k.channel}`);
      const list = stored.join(', ');
      throw new UnknownChannelError(
        slash > 0
          ? `no channel ${spec} in the store (stored: ${list || 'none'})`
          : `--channel expects device/channel, got "${spec}" (stored: ${list || 'none'})`,
        spec,
        stored,
      );
    }
    ids.push(...found);
  }
  return [...new Set(ids)];
}

function channelFilter(range: ExportRange, column: string): { sql: string; args: number[] } {
  if (!range.channelIds) return { sql: '', args: [] };
  // Bound parameters, one per id: a handful of channels, far below SQLite's parameter limit.
  return {
    sql: ` AND ${column} IN (${range.channelIds.map(() => '?').join(',')})`,
    args: [...range.channelIds],
  };
}

/** How many readings the range holds (a count on the ts index): the progress bar's total. */
export function countReadings(db: Database.Database, range: ExportRange): number {
  const f = channelFilter(range, 'channel_id');
  return db
    .prepare(`SELECT count(*) FROM readings WHERE ts >= ? AND ts < ?${f.sql}`)
    .pluck()
    .get(range.from, range.to, ...f.args) as number;
}

export interface ExportReadingRow {
  seq: number;
  ts: number;
  device: string;
  channel: string;
  code: string | null;
  unit: string | null;
  value: number | null;
  flag: number;
}

/**
 * The readings stamped in [from, to), in time order. ORDER BY ts, seq follows the readings_ts
 * index (an index entry is (ts, seq)), so SQLite sorts nothing.
 */
export function exportReadingRows(
  db: Database.Database,
  range: ExportRange,
): IterableIterator<ExportReadingRow> {
  const f = channelFilter(range, 'r.channel_id');
  const stmt = db.prepare(
    `SELECT r.seq, r.ts, c.device, c.channel, c.code, c.unit, r.value, r.flag
       FROM readings r JOIN channels c ON c.id = r.channel_id
      WHERE r.ts >= ? AND r.ts < ?${f.sql}
      ORDER BY r.ts, r.seq`,
  );
  return stmt.iterate(range.from, range.to, ...f.args) as IterableIterator<ExportReadingRow>;
}

/** How many minute/hour/day records start in the range. */
export function countAggregates(db: Database.Database, kind: PeriodKind, range: ExportRange): number {
  const f = channelFilter(range, 'channel_id');
  return db
    .prepare(`SELECT count(*) FROM aggregates WHERE period = ? AND start_ts >= ? AND start_ts < ?${f.sql}`)
    .pluck()
    .get(kind, range.from, range.to, ...f.args) as number;
}

export interface ExportAggregateRow {
  aseq: number;
  period: string;
  start_ts: number;
  end_ts: number;
  device: string;
  channel: string;
  code: string | null;
  unit: string | null;
  min: number | null;
  avg: number | null;
  max: number | null;
  cou: number | null;
  count: number;
  valid: number;
  expected: number;
  flag: string;
  ok: number;
}

/**
 * The `kind` records starting in [from, to), by start then channel. No index has start_ts first,
 * so SQLite sorts: its sorter spills to a temporary file, memory stays bounded. Aggregates are few
 * next to readings (one per channel per minute at most).
 */
export function exportAggregateRows(
  db: Database.Database,
  kind: PeriodKind,
  range: ExportRange,
): IterableIterator<ExportAggregateRow> {
  const f = channelFilter(range, 'a.channel_id');
  const stmt = db.prepare(
    `SELECT a.aseq, a.period, a.start_ts, a.end_ts, c.device, c.channel, c.code, c.unit,
            a.min, a.avg, a.max, a.cou, a.count, a.valid, a.expected, a.flag, a.ok
       FROM aggregates a JOIN channels c ON c.id = a.channel_id
      WHERE a.period = ? AND a.start_ts >= ? AND a.start_ts < ?${f.sql}
      ORDER BY a.start_ts, c.device, c.channel, a.aseq`,
  );
  return stmt.iterate(kind, range.from, range.to, ...f.args) as IterableIterator<ExportAggregateRow>;
}
