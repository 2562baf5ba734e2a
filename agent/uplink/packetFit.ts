import type { Logger } from '../core/log.js';
import type { WirePayload } from './payloadEncoding.js';

/**
 * Keeps each MQTT batch within the largest packet the broker takes (`batch.maxBytes`, or less when an
 * MQTT 5 broker announces less in its CONNACK). A broker drops the connection on a packet over its
 * limit, and since the store resends everything after the cursor, the same oversized batch would be
 * retried for ever and nothing after it would ever arrive. So a batch that would be too large carries
 * fewer rows: the longest prefix that fits (at least one row), and the rest goes in the next batch.
 *
 * The payload encoded to measure the batch is the one sent: `payload()` hands it back when asked for
 * the same rows, so a batch is encoded once in the usual case and a few more times only when trimmed.
 */

/**
 * Bytes of a PUBLISH packet beyond its payload, counted high: fixed header (up to 5), topic (2 + its
 * bytes), packet id (2), MQTT 5 properties (length up to 4, format indicator 2, content type 3 + its bytes).
 */
export function publishOverhead(topic: string, contentType = ''): number {
  return 5 + 2 + Buffer.byteLength(topic) + 2 + 4 + 2 + 3 + Buffer.byteLength(contentType);
}

function payloadBytes(payload: string | WirePayload): number {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  const { body, properties } = payload;
  const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  return bodyBytes + Buffer.byteLength(properties.contentType);
}

export interface PacketFitOptions<Row> {
  /** Names the stream in the log line, e.g. 'readings'. */
  stream: string;
  topic: string;
  encode: (rows: Row[]) => string | WirePayload;
  /** The largest packet allowed now, in bytes (it changes with the broker's CONNACK). */
  maxPacketBytes: () => number;
  log: Logger;
}

export class PacketFit<Row> {
  private memo: { first: Row; count: number; payload: string | WirePayload } | null = null;
  private trimmedOnce = false;

  constructor(private readonly opts: PacketFitOptions<Row>) {}

  /** How many rows from the front of `rows` go in one packet within the limit: at least 1. */
  fit(rows: Row[]): number {
    const limit = this.opts.maxPacketBytes() - publishOverhead(this.opts.topic);
    const size = (n: number) => {
      const payload = this.opts.encode(n === rows.length ? rows : rows.slice(0, n));
      return { payload, bytes: payloadBytes(payload) };
    };
    const all = size(rows.length);
    if (all.bytes <= limit || rows.length === 1) return this.remember(rows, rows.length, all.payload);
    // The longest prefix that fits: sizes grow with the rows (near enough for compressed payloads,
    // and the prefix chosen is measured, so it always fits unless a single row does not).
    let fits = 1;
    let over = rows.length;
    let fitting: string | WirePayload | null = null;
    while (over - fits > 1) {
      const mid = Math.floor((fits + over) / 2);
      const probe = size(mid);
      if (probe.bytes <= limit) {
        fits = mid;
        fitting = probe.payload;
      } else {
        over = mid;
      }
    }
    const payload = fitting ?? size(1).payload;
    this.logTrim(rows.length, all.bytes, fits, payloadBytes(payload), limit);
    return this.remember(rows, fits, payload);
  }

  /** The payload for `rows`: the one fit() measured when they are the rows it chose, else encoded now. */
  payload(rows: Row[]): string | WirePayload {
    const memo = this.memo;
    this.memo = null;
    if (memo !== null && rows.length === memo.count && rows[0] === memo.first) return memo.payload;
    return this.opts.encode(rows);
  }

  private remember(rows: Row[], count: number, payload: string | WirePayload): number {
    this.memo = { first: rows[0]!, count, payload };
    return count;
  }

  private logTrim(rows: number, bytes: number, kept: number, keptBytes: number, limit: number): void {
    const fields = { stream: this.opts.stream, rows, bytes, kept, keptBytes, limit };
    if (this.trimmedOnce) {
      this.opts.log.debug(fields, 'uplink: batch over the packet size limit, sending fewer rows');
      return;
    }
    this.trimmedOnce = true;
    this.opts.log.info(
      fields,
      'uplink: a batch would be over the largest packet the broker takes; batches carry fewer rows (logged once, batch.maxBytes)',
    );
  }
}
