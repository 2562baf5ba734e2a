import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { AgentError } from '../core/errors.js';

/**
 * How a readings batch goes on the wire (docs/mqtt-contract.md, "Payload encodings"). `json` is the
 * readings payload as it always was. `columnar-deflate` is the same batch turned into columns
 * (channel dictionary, delta-coded seq and ts, a values array, run-length flag/qc/state) and
 * DEFLATE-compressed: a backlog batch costs a few bytes per reading instead of ~150. The decoder gives
 * back exactly the JSON batch, so consumers handle one shape whatever the station sends.
 */
export const PAYLOAD_ENCODINGS = ['json', 'columnar-deflate'] as const;
export type PayloadEncoding = (typeof PAYLOAD_ENCODINGS)[number];

/** The readings batch as readingsPayload.ts builds it: header fields and the readings array. */
export type ReadingsBatch = { readings: Record<string, unknown>[] } & Record<string, unknown>;

/** MQTT 5 properties naming the encoding, beside the payload's own magic bytes. */
export interface PayloadProperties {
  contentType: string;
  /** true: the payload is UTF-8 text (MQTT 5 payload format indicator 1). */
  payloadFormatIndicator: boolean;
}

export interface WirePayload {
  body: string | Buffer;
  properties: PayloadProperties;
}

export const JSON_CONTENT_TYPE = 'application/json';
export const COLUMNAR_CONTENT_TYPE = 'application/vnd.station-agent.readings-columnar+deflate; v=1';
/**
 * First bytes of a columnar payload: "SAC" (station-agent columnar) and the format version. A JSON
 * payload starts with "{", so a consumer that never sees the MQTT properties (an MQTT 3 bridge) still
 * tells them apart.
 */
export const COLUMNAR_MAGIC = Buffer.from([0x53, 0x41, 0x43, 0x01]);
const COLUMNAR_VERSION = 1;

/** A decoded document larger than this is refused: a small hostile payload must not inflate to gigabytes. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/** Reading fields that become dedicated columns; every other field is carried in a run-length column. */
const FIXED = new Set(['seq', 'ts', 'device', 'channel', 'code', 'unit', 'value']);

/** A run of equal values: [count] when the field is absent from those readings, [count, value] otherwise. */
type Run = [number] | [number, unknown];

/** The inflated columnar document (docs/schemas/readings-columnar.schema.json). */
interface ColumnarDoc {
  enc: 'columnar';
  ev: number;
  header: Record<string, unknown>;
  n: number;
  channels: [string, string, string | null, string | null][];
  ch: number[];
  seq: number[];
  ts: number[];
  value: (number | null)[];
  runs: Record<string, Run[]>;
}

export function encodeReadingsBatch(encoding: PayloadEncoding, batch: ReadingsBatch): WirePayload {
  switch (encoding) {
    case 'json':
      return {
        body: JSON.stringify(batch),
        properties: { contentType: JSON_CONTENT_TYPE, payloadFormatIndicator: true },
      };
    case 'columnar-deflate':
      return {
        body: Buffer.concat([COLUMNAR_MAGIC, deflateRawSync(JSON.stringify(toColumnar(batch)))]),
        properties: { contentType: COLUMNAR_CONTENT_TYPE, payloadFormatIndicator: false },
      };
  }
}

/**
 * The JSON batch back from any encoding, told apart by the first bytes. Throws AgentError
 * PAYLOAD_INVALID for anything else: unknown magic, a newer columnar version, corrupt DEFLATE data,
 * or a document whose columns do not fit together.
 */
export function decodeReadingsPayload(payload: Buffer | string): ReadingsBatch {
  const buf = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (buf.length >= 3 && buf[0] === 0x53 && buf[1] === 0x41 && buf[2] === 0x43) {
    const version = buf[3];
    if (version !== COLUMNAR_VERSION) {
      throw invalid(`columnar payload version ${String(version)} is not supported (this decoder reads 1)`);
    }
    let text: string;
    try {
      text = inflateRawSync(buf.subarray(4), { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
    } catch (err) {
      throw invalid(`columnar payload does not inflate: ${String(err)}`, err);
    }
    return fromColumnar(parse(text));
  }
  const batch = parse(buf.toString('utf8'));
  if (!isRecord(batch) || !Array.isArray(batch.readings)) {
    throw invalid('JSON payload is not a readings batch (no readings array)');
  }
  return batch as ReadingsBatch;
}

function toColumnar(batch: ReadingsBatch): ColumnarDoc {
  const { readings, ...header } = batch;
  const channels: ColumnarDoc['channels'] = [];
  const channelIndex = new Map<string, number>();
  const ch: number[] = [];
  const seq: number[] = [];
  const ts: number[] = [];
  const value: (number | null)[] = [];
  const runs = new Map<string, RunBuilder>();
  let prevSeq = 0;
  let prevTs = 0;
  let prevTsText: unknown;
  readings.forEach((r, i) => {
    const key = `${String(r.device)}\u0000${String(r.channel)}\u0000${String(r.code)}\u0000${String(r.unit)}`;
    let index = channelIndex.get(key);
    if (index === undefined) {
      index = channels.length;
      channels.push([
        r.device as string,
        r.channel as string,
        (r.code ?? null) as string | null,
        (r.unit ?? null) as string | null,
      ]);
      channelIndex.set(key, index);
    }
    ch.push(index);
    // Deltas: consecutive seqs become runs of 1 and a poll's readings share a ts, which DEFLATE
    // squeezes to almost nothing; the first entry is absolute.
    const s = r.seq as number;
    // A poll's readings share their ts string: parse it once.
    const t = r.ts === prevTsText ? prevTs : Date.parse(r.ts as string);
    prevTsText = r.ts;
    seq.push(i === 0 ? s : s - prevSeq);
    ts.push(i === 0 ? t : t - prevTs);
    prevSeq = s;
    prevTs = t;
    const v = r.value as number | null;
    value.push(typeof v === 'number' && Number.isFinite(v) ? v : null);
    for (const field of Object.keys(r)) {
      if (!FIXED.has(field) && !runs.has(field)) runs.set(field, new RunBuilder(i));
    }
    for (const [field, builder] of runs) builder.push(field in r, r[field]);
  });
  return {
    enc: 'columnar',
    ev: COLUMNAR_VERSION,
    header,
    n: readings.length,
    channels,
    ch,
    seq,
    ts,
    value,
    runs: Object.fromEntries([...runs].map(([field, b]) => [field, b.finish()])),
  };
}

/** Run-length encodes one optional field; readings before the field first appeared are runs of "absent". */
class RunBuilder {
  private readonly runs: Run[];
  private current: { present: boolean; key: unknown; value: unknown; count: number } | null = null;

  constructor(absentBefore: number) {
    this.runs = absentBefore > 0 ? [[absentBefore]] : [];
  }

  push(present: boolean, value: unknown): void {
    // Objects (qc) compare by their JSON, which is what goes on the wire; others by value.
    const v = value ?? null;
    const key = typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
    const cur = this.current;
    if (cur !== null && cur.present === present && cur.key === key) {
      cur.count++;
      return;
    }
    this.flush();
    this.current = { present, key, value: v, count: 1 };
  }

  finish(): Run[] {
    this.flush();
    return this.runs;
  }

  private flush(): void {
    const cur = this.current;
    if (cur === null) return;
    this.runs.push(cur.present ? [cur.count, cur.value] : [cur.count]);
    this.current = null;
  }
}

function fromColumnar(doc: unknown): ReadingsBatch {
  if (!isRecord(doc) || doc.enc !== 'columnar' || doc.ev !== COLUMNAR_VERSION || !isRecord(doc.header)) {
    throw invalid('columnar document lacks enc/ev/header');
  }
  const n = doc.n;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalid('columnar n is not a count');
  const { channels, ch, seq, ts, value, runs } = doc;
  for (const [name, column] of Object.entries({ ch, seq, ts, value })) {
    if (!Array.isArray(column) || column.length !== n)
      throw invalid(`column ${name} does not hold n entries`);
  }
  if (!Array.isArray(channels) || !channels.every(isChannelEntry)) throw invalid('channels is malformed');
  if (!isRecord(runs)) throw invalid('runs is not an object');
  const expanded = Object.entries(runs).map(([field, list]) => [field, expandRuns(field, list, n)] as const);
  const readings: Record<string, unknown>[] = new Array(n);
  let s = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    const c = channels[(ch as unknown[])[i] as number];
    const ds = (seq as unknown[])[i];
    const dt = (ts as unknown[])[i];
    const v = (value as unknown[])[i];
    if (c === undefined || !Number.isSafeInteger(ds) || !Number.isSafeInteger(dt)) {
      throw invalid(`reading ${i}: bad channel index, seq or ts`);
    }
    if (v !== null && typeof v !== 'number') throw invalid(`reading ${i}: value is not a number or null`);
    s = i === 0 ? (ds as number) : s + (ds as number);
    t = i === 0 ? (dt as number) : t + (dt as number);
    const iso = new Date(t);
    if (Number.isNaN(iso.getTime())) throw invalid(`reading ${i}: ts out of range`);
    const r: Record<string, unknown> = {
      seq: s,
      ts: iso.toISOString(),
      device: c[0],
      channel: c[1],
      code: c[2],
      value: v,
      unit: c[3],
    };
    for (const [field, values] of expanded) {
      const entry = values[i];
      if (entry !== ABSENT) r[field] = entry;
    }
    readings[i] = r;
  }
  return { ...doc.header, readings };
}

const ABSENT = Symbol('absent');

function expandRuns(field: string, list: unknown, n: number): unknown[] {
  // __proto__ would set the reading's prototype instead of a field.
  if (FIXED.has(field) || field === '__proto__' || !Array.isArray(list)) {
    throw invalid(`runs.${field} is malformed`);
  }
  const out: unknown[] = [];
  for (const run of list) {
    const count = Array.isArray(run) ? run[0] : undefined;
    if (!Array.isArray(run) || run.length < 1 || run.length > 2 || !Number.isSafeInteger(count)) {
      throw invalid(`runs.${field} holds a malformed run`);
    }
    if (out.length + (count as number) > n || (count as number) < 1) {
      throw invalid(`runs.${field} covers more than n readings`);
    }
    const entry = run.length === 2 ? run[1] : ABSENT;
    for (let k = 0; k < (count as number); k++) out.push(entry);
  }
  if (out.length !== n) throw invalid(`runs.${field} covers ${out.length} of ${n} readings`);
  return out;
}

function isChannelEntry(c: unknown): boolean {
  return (
    Array.isArray(c) &&
    c.length === 4 &&
    typeof c[0] === 'string' &&
    typeof c[1] === 'string' &&
    (c[2] === null || typeof c[2] === 'string') &&
    (c[3] === null || typeof c[3] === 'string')
  );
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(`payload is not valid JSON: ${String(err)}`, err);
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function invalid(message: string, cause?: unknown): AgentError {
  return new AgentError('PAYLOAD_INVALID', message, {}, cause === undefined ? undefined : { cause });
}
