/**
 * Contract payloads (docs/mqtt-contract.md) turned into table rows for the PostgreSQL sink. Pure: no
 * I/O, so every acceptance rule is testable without a database.
 */

export interface ReadingRow {
  station: string;
  /** '' for agents older than the store identity (no `db` in their payloads). */
  db: string;
  seq: number;
  ts: string;
  device: string;
  channel: string;
  code: string | null;
  value: number | null;
  unit: string | null;
  flag: string;
  qc: string | null;
  state: number | null;
  extra: string | null;
  cfg: string | null;
  historical: boolean;
}

export interface AggregateRow {
  station: string;
  device: string;
  channel: string;
  period: string;
  start: string;
  end: string;
  code: string | null;
  min: number | null;
  avg: number | null;
  max: number | null;
  cou: number | null;
  count: number;
  valid: number;
  expected: number;
  flag: string;
  db: string | null;
  cfg: string | null;
  /**
   * The station's record order (`aseq`) when the payload carries one. Today's payload does not (v1
   * has no revision field), so "newest" falls back to the content: see `isNewer`.
   */
  rev: number | null;
}

export interface EventRow {
  station: string;
  db: string;
  id: number;
  ts: string | null;
  kind: string;
  body: string;
}

const READING_FIELDS = new Set([
  'seq',
  'ts',
  'device',
  'channel',
  'code',
  'value',
  'unit',
  'flag',
  'qc',
  'state',
]);

/** Rows of a decoded readings batch; throws (a malformed batch) when a required field is missing. */
export function readingRows(batch: Record<string, unknown>): ReadingRow[] {
  const station = requireString(batch.station, 'station');
  const db = typeof batch.db === 'string' ? batch.db : '';
  const cfg = typeof batch.cfg === 'string' ? batch.cfg : null;
  const historical = batch.historical === true;
  if (!Array.isArray(batch.readings)) throw new Error('readings batch without a readings array');
  return batch.readings.map((raw: unknown) => {
    const r = raw as Record<string, unknown>;
    if (!Number.isInteger(r.seq) || (r.seq as number) < 1)
      throw new Error(`reading with seq ${String(r.seq)}`);
    const ts = requireString(r.ts, 'ts');
    if (Number.isNaN(Date.parse(ts))) throw new Error(`reading ${String(r.seq)} with ts ${ts}`);
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (!READING_FIELDS.has(k)) extra[k] = v;
    return {
      station,
      db,
      seq: r.seq as number,
      ts,
      device: requireString(r.device, 'device'),
      channel: requireString(r.channel, 'channel'),
      code: typeof r.code === 'string' ? r.code : null,
      value: typeof r.value === 'number' ? r.value : null,
      unit: typeof r.unit === 'string' ? r.unit : null,
      flag: requireString(r.flag, 'flag'),
      qc: r.qc === undefined || r.qc === null ? null : JSON.stringify(r.qc),
      state: typeof r.state === 'number' ? r.state : null,
      extra: Object.keys(extra).length > 0 ? JSON.stringify(extra) : null,
      cfg,
      historical,
    };
  });
}

export function aggregateRows(batch: Record<string, unknown>): AggregateRow[] {
  const station = requireString(batch.station, 'station');
  const db = typeof batch.db === 'string' ? batch.db : null;
  const cfg = typeof batch.cfg === 'string' ? batch.cfg : null;
  if (!Array.isArray(batch.aggregates)) throw new Error('aggregates batch without an aggregates array');
  return batch.aggregates.map((raw: unknown) => {
    const a = raw as Record<string, unknown>;
    return {
      station,
      device: requireString(a.device, 'device'),
      channel: requireString(a.channel, 'channel'),
      period: requireString(a.period, 'period'),
      start: requireTime(a.start, 'start'),
      end: requireTime(a.end, 'end'),
      code: typeof a.code === 'string' ? a.code : null,
      min: num(a.min),
      avg: num(a.avg),
      max: num(a.max),
      cou: num(a.cou),
      count: int(a.count),
      valid: int(a.valid),
      expected: int(a.expected),
      flag: requireString(a.flag, 'flag'),
      db,
      cfg,
      rev: Number.isInteger(a.aseq) ? (a.aseq as number) : Number.isInteger(a.rev) ? (a.rev as number) : null,
    };
  });
}

export function eventRows(batch: Record<string, unknown>): EventRow[] {
  const station = requireString(batch.station, 'station');
  const db = requireString(batch.db, 'db');
  if (!Array.isArray(batch.events)) throw new Error('events batch without an events array');
  return batch.events.map((raw: unknown) => {
    const e = raw as Record<string, unknown>;
    if (!Number.isInteger(e.id)) throw new Error(`event with id ${String(e.id)}`);
    return {
      station,
      db,
      id: e.id as number,
      ts: typeof e.ts === 'string' && !Number.isNaN(Date.parse(e.ts)) ? e.ts : null,
      kind: requireString(e.kind, 'kind'),
      body: JSON.stringify(e),
    };
  });
}

/**
 * Which of two versions of one aggregate record is the newer. With a station record order (`rev`)
 * on both, the higher one. Without (today's v1 payload), the one over more samples (`count`, then
 * `valid`): a station recomputes a period when late data for it arrives, which only adds samples.
 * On a tie the later-received one wins, so an identical duplicate is a no-op and a same-size
 * correction replaces. The SQL upsert (pgSink.ts) applies the same rule.
 */
export function isNewer(candidate: AggregateRow, current: AggregateRow): boolean {
  if (candidate.rev !== null && current.rev !== null) return candidate.rev >= current.rev;
  if (candidate.count !== current.count) return candidate.count > current.count;
  return candidate.valid >= current.valid;
}

/** One row per identity, the newest of the batch (an upsert may touch a row once per statement). */
export function newestPerIdentity(rows: readonly AggregateRow[]): AggregateRow[] {
  const byKey = new Map<string, AggregateRow>();
  for (const r of rows) {
    const key = [r.station, r.device, r.channel, r.period, r.start].join('\u0000');
    const seen = byKey.get(key);
    if (seen === undefined || isNewer(r, seen)) byKey.set(key, r);
  }
  return [...byKey.values()];
}

function requireString(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new Error(`missing ${what}`);
  return v;
}

function requireTime(v: unknown, what: string): string {
  const s = requireString(v, what);
  if (Number.isNaN(Date.parse(s))) throw new Error(`${what} is not a time: ${s}`);
  return s;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function int(v: unknown): number {
  return Number.isInteger(v) ? (v as number) : 0;
}
