import type Database from 'better-sqlite3';
import type { PeriodKind } from '../aggregation/periods.js';
import { DATA_FLAGS } from '../core/reading.js';
import { type ExportRange, exportAggregateRows, exportReadingRows } from '../store/exportQueries.js';
import { csvLine, stationTimeText, type ZonedTime } from './csv.js';

/**
 * The CSV of `station-agent export`: the rows come from the store's export queries
 * (store/exportQueries.ts), streamed, so a year of readings passes through a few kilobytes of memory.
 */

export {
  countAggregates,
  countReadings,
  type ExportRange,
  resolveChannels,
  UnknownChannelError,
} from '../store/exportQueries.js';

/**
 * Column names an Excel user reads without a manual: the UTC time as ISO 8601 (exact, for programs)
 * beside the station's wall time in the form Excel takes for a date, its zone in the header.
 */
export function readingHeader(zone: ZonedTime): string[] {
  return [
    'seq',
    'utc_time',
    `station_time (${zone.timeZone})`,
    'device',
    'channel',
    'code',
    'value',
    'unit',
    'flag',
  ];
}

export function aggregateHeader(zone: ZonedTime): string[] {
  return [
    'aseq',
    'period',
    'utc_start',
    `station_start (${zone.timeZone})`,
    'utc_end',
    'device',
    'channel',
    'code',
    'min',
    'avg',
    'max',
    'cou',
    'unit',
    'count',
    'valid',
    'expected',
    'flag',
    'ok',
  ];
}

/**
 * CSV lines (header first) of the readings stamped in [from, to), in time order.
 * `onRow(n)` is called after each n-th row for progress.
 */
export function* readingCsvLines(
  db: Database.Database,
  range: ExportRange,
  zone: ZonedTime,
  onRow?: (rows: number) => void,
): Generator<string> {
  yield csvLine(readingHeader(zone));
  const rows = exportReadingRows(db, range);
  let n = 0;
  for (const r of rows) {
    yield csvLine([
      r.seq,
      new Date(r.ts).toISOString(),
      stationTimeText(zone, r.ts),
      r.device,
      r.channel,
      r.code,
      r.value,
      r.unit,
      // An unknown code only comes from a newer agent: shown as stored rather than guessed.
      DATA_FLAGS[r.flag] ?? String(r.flag),
    ]);
    onRow?.(++n);
  }
}

/**
 * CSV lines (header first) of the `kind` records starting in [from, to), by start then channel.
 */
export function* aggregateCsvLines(
  db: Database.Database,
  kind: PeriodKind,
  range: ExportRange,
  zone: ZonedTime,
  onRow?: (rows: number) => void,
): Generator<string> {
  yield csvLine(aggregateHeader(zone));
  const rows = exportAggregateRows(db, kind, range);
  let n = 0;
  for (const a of rows) {
    yield csvLine([
      a.aseq,
      a.period,
      new Date(a.start_ts).toISOString(),
      stationTimeText(zone, a.start_ts),
      new Date(a.end_ts).toISOString(),
      a.device,
      a.channel,
      a.code,
      a.min,
      a.avg,
      a.max,
      a.cou,
      a.unit,
      a.count,
      a.valid,
      a.expected,
      a.flag,
      a.ok,
    ]);
    onRow?.(++n);
  }
}
