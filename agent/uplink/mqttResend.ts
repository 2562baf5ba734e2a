import type { Clock } from '../core/clock.js';
import { sleep } from '../core/clock.js';
import type { StoredReading } from '../core/reading.js';
import type { AggregateStore, StoredAggregate } from '../store/aggregateStore.js';
import type { ReadingStore } from '../store/readingStore.js';

/**
 * The `resend` command: re-publishes a time range from the store, outside the cursors (a resend never
 * moves or waits for the outbox cursor). One batch in flight at a time and at most `rate` batches a
 * second, so the live streams, which have their own in-flight slots, keep priority.
 */

export const RESEND_KINDS = ['readings', 'minute', 'hour', 'day'] as const;
export type ResendKind = (typeof RESEND_KINDS)[number];

export interface ResendRequest {
  from: number;
  to: number;
  kind: ResendKind;
  /** Channel ids, or "device/channel"; all channels when absent. */
  channels?: string[];
}

export interface ResendDeps {
  store: Pick<ReadingStore, 'firstSeqSince' | 'readAfter' | 'lastSeq'>;
  aggregates?: Pick<AggregateStore, 'readAfter' | 'lastAseq'>;
  maxRows: number;
  /** Batches per second at most. */
  rate: number;
  clock: Clock;
  publishReadings(rows: StoredReading[]): Promise<unknown>;
  publishAggregates(rows: StoredAggregate[]): Promise<unknown>;
}

/** Rows read from the store per query when scanning: bounds memory whatever the range. */
const PAGE = 1000;

/** Parses the command payload; a string is a problem to reply with status 400. */
export function parseResendRequest(body: Record<string, unknown>): ResendRequest | string {
  const from = typeof body.from === 'string' ? Date.parse(body.from) : Number.NaN;
  const to = typeof body.to === 'string' ? Date.parse(body.to) : Number.NaN;
  if (!Number.isFinite(from) || !Number.isFinite(to)) return 'expected "from" and "to" as ISO 8601 times';
  if (to < from) return '"to" is before "from"';
  const kind = body.kind ?? 'readings';
  if (typeof kind !== 'string' || !(RESEND_KINDS as readonly string[]).includes(kind)) {
    return `expected "kind" to be one of ${RESEND_KINDS.join(', ')}`;
  }
  const channels = body.channels;
  if (channels !== undefined && !(Array.isArray(channels) && channels.every((c) => typeof c === 'string'))) {
    return 'expected "channels" to be a list of channel ids';
  }
  return { from, to, kind: kind as ResendKind, ...(channels ? { channels: channels as string[] } : {}) };
}

export async function resend(
  req: ResendRequest,
  deps: ResendDeps,
): Promise<{ rows: number; batches: number }> {
  const wanted = req.channels ? new Set(req.channels) : null;
  const matches = (device: string, channel: string) =>
    wanted === null || wanted.has(channel) || wanted.has(`${device}/${channel}`);
  const pace = Math.ceil(1000 / deps.rate);
  let rows = 0;
  let batches = 0;
  const flush = async <Row>(batch: Row[], publish: (rows: Row[]) => Promise<unknown>) => {
    if (batches > 0) await sleep(deps.clock, pace);
    await publish(batch);
    rows += batch.length;
    batches++;
  };

  if (req.kind === 'readings') {
    // ts is not strictly increasing with seq (clock corrections), so scan every row from the first one
    // in range up to the last seq at the start; rows committed later are live data, not a resend.
    const last = deps.store.lastSeq();
    const first = deps.store.firstSeqSince(req.from);
    let after = first === null ? last : first - 1;
    let batch: StoredReading[] = [];
    while (after < last) {
      const page = deps.store.readAfter(after, PAGE);
      if (page.length === 0) break;
      for (const r of page) {
        if (r.seq > last) break;
        if (r.ts >= req.from && r.ts <= req.to && matches(r.device, r.channel)) batch.push(r);
        if (batch.length >= deps.maxRows) {
          await flush(batch, deps.publishReadings);
          batch = [];
        }
      }
      after = page.at(-1)!.seq;
    }
    if (batch.length > 0) await flush(batch, deps.publishReadings);
    return { rows, batches };
  }

  const store = deps.aggregates;
  if (store === undefined) return { rows, batches };
  // Aggregates are few (one per channel and minute): a scan in storage order is cheap enough.
  const last = store.lastAseq();
  let after = 0;
  let batch: StoredAggregate[] = [];
  while (after < last) {
    const page = store.readAfter(after, PAGE);
    if (page.length === 0) break;
    for (const a of page) {
      if (a.period === req.kind && a.start >= req.from && a.start <= req.to && matches(a.device, a.channel)) {
        batch.push(a);
      }
      if (batch.length >= deps.maxRows) {
        await flush(batch, deps.publishAggregates);
        batch = [];
      }
    }
    after = page.at(-1)!.aseq;
  }
  if (batch.length > 0) await flush(batch, deps.publishAggregates);
  return { rows, batches };
}
