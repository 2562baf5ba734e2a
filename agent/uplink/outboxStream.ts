import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Outbox } from '../store/outbox.js';
import { BatchTiming } from './batchTiming.js';
import { type Batch, BatchTracker } from './batchTracker.js';
import type { OutboxSource } from './outboxSource.js';

/**
 * Store-and-forward for any transport that can "send a batch and learn when it was confirmed" (an
 * MQTT PUBACK, an HJ 212 9014). An OutboxStream forwards one OutboxSource from its own persisted
 * cursor; an OutboxPump drives the streams sharing one connection. The transport owns the
 * connection: it calls open() once connected, close() when the connection is gone, and drops the
 * connection when told a batch failed. The store stays the only queue: nothing is retried from
 * memory, a new connection resends everything after each cursor.
 */

/** A failed store read is retried after this long rather than in a tight loop. */
const READ_RETRY_MS = 1000;

export interface OutboxStreamOptions<Row> {
  /** Names the stream in logs, e.g. 'readings'. */
  name: string;
  /** Key of this stream's cursor in the Outbox; a stream resumes from it after a restart. */
  cursorKey: string;
  source: OutboxSource<Row>;
  cursors: Pick<Outbox, 'cursor' | 'confirm'>;
  /** A batch is sent when maxRows rows wait, or maxDelay ms after the oldest waiting row was committed. */
  batch: { maxRows: number; maxDelay: number };
  /** Batches of this stream awaiting confirmation at any time, per connection (per lane with liveLane). */
  maxInFlight: number;
  /**
   * Send rows committed after the connection came up in a lane of their own, beside the backlog,
   * instead of behind it: after a week offline the backlog takes minutes to drain, and live data must
   * not wait for it. The cursor still moves only over a contiguous confirmed prefix (see `cursor`).
   */
  liveLane?: boolean;
  clock: Clock;
  log: Logger;
  /**
   * How many rows from the front of a due batch go in it (at least 1); default all. A transport with
   * a size limit (an MQTT broker's maximum packet size, packetFit.ts) trims the batch here, before
   * it is tracked, so the rows left out are simply the next batch's.
   */
  fit?(rows: Row[]): number;
  /**
   * Sends one batch (1..maxRows rows in seq order) on the current connection. Fulfils when the far
   * end confirmed it, rejects when it is lost. Called only between the pump's open() and close().
   */
  send(rows: Row[]): Promise<unknown>;
}

export interface StreamStats {
  /** Every row up to this seq is confirmed: the persisted cursor, unless writing it failed. */
  cursor: number;
  /** Rows stored after the confirmed cursor, in-flight ones included. */
  backlog: number;
  /** Time of the first row after the cursor (sources with a time only); null when none waits. */
  oldestUnsentTs: number | null;
  /** Batches sent and awaiting their confirmation. */
  inFlight: number;
  /** Rows sent since start (a resend after a reconnect counts again). */
  published: number;
  /** Rows confirmed since start. */
  confirmed: number;
  /** Wall-clock time (epoch ms) of the last confirmation; null before the first. */
  lastConfirmAt: number | null;
}

/** What a stream did when asked for its next batch: sent one, has no free slot, has nothing, or is due in ms. */
export type StreamStep = 'sent' | 'full' | 'idle' | number;

/** How a stream reaches its pump. */
export interface StreamEvents {
  /** Something may be due: rows were committed or a batch was confirmed. */
  wake(): void;
  /** A batch of the current connection was lost. */
  failed(stream: PumpedStream, batch: Batch, err: unknown): void;
}

/** The row-type-free face of a stream that the pump drives. */
export interface PumpedStream {
  readonly name: string;
  /** Batches awaiting confirmation. */
  readonly awaiting: number;
  start(events: StreamEvents): void;
  stop(): void;
  open(): number;
  close(): void;
  sendNext(now: number): StreamStep;
}

export class OutboxStream<Row> implements PumpedStream {
  readonly name: string;
  readonly cursorKey: string;
  private readonly opts: OutboxStreamOptions<Row>;
  /** The backlog lane; the only lane without liveLane or when the connection started with no backlog. */
  private readonly tracker = new BatchTracker();
  /** The live lane: rows after `liveFrom`, sent as they become due. */
  private readonly live = new BatchTracker();
  /** Last seq committed when the connection came up, while a live lane runs; null for one lane. */
  private liveFrom: number | null = null;
  /** The cursor last written, so a confirmation that does not move it writes nothing. */
  private persisted = 0;
  private readonly timing: BatchTiming;
  private events: StreamEvents | null = null;
  private unsubscribe: (() => void) | null = null;
  /**
   * Bumped whenever in-flight batches are forgotten (open, close): a confirmation or failure that
   * arrives later belongs to a dead connection and must neither count nor move the cursor.
   */
  private epoch = 0;
  private counters = { published: 0, confirmed: 0, lastConfirmAt: null as number | null };

  constructor(opts: OutboxStreamOptions<Row>) {
    this.opts = opts;
    this.name = opts.name;
    this.cursorKey = opts.cursorKey;
    this.timing = new BatchTiming({ maxReadings: opts.batch.maxRows, maxDelay: opts.batch.maxDelay });
  }

  get awaiting(): number {
    return this.tracker.awaiting + (this.liveFrom === null ? 0 : this.live.awaiting);
  }

  /**
   * Every row up to this seq is confirmed (persisted unless that write failed). With a live lane the
   * live lane's confirmations count only once the backlog lane has confirmed everything before it.
   */
  get cursor(): number {
    const backlog = this.tracker.confirmedUpTo;
    if (this.liveFrom === null || backlog < this.liveFrom) return backlog;
    return Math.max(backlog, this.live.confirmedUpTo);
  }

  /** Loads the persisted cursor and listens for commits. Throws when the cursor cannot be read. */
  start(events: StreamEvents): void {
    const { cursors, source, clock } = this.opts;
    this.events = events;
    this.persisted = cursors.cursor(this.cursorKey);
    this.tracker.reset(this.persisted);
    this.timing.noteExisting(source.lastSeq());
    this.unsubscribe = source.onCommitted((rows) => {
      const first = rows[0];
      const last = rows.at(-1);
      if (first === undefined || last === undefined) return;
      this.timing.noteCommitted(source.seqOf(first), source.seqOf(last), clock.monotonic());
      events.wake();
    });
  }

  /** Stops listening for commits; batches in flight are still confirmed until close(). */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** A new connection: restarts from the persisted cursor. Returns it; throws when it cannot be read. */
  open(): number {
    const cursor = this.opts.cursors.cursor(this.cursorKey);
    this.epoch++;
    this.persisted = cursor;
    this.tracker.reset(cursor);
    const last = this.opts.source.lastSeq();
    this.timing.noteExisting(last);
    this.liveFrom = this.opts.liveLane === true && last > cursor ? last : null;
    this.live.reset(last);
    return cursor;
  }

  /** The connection is gone: its confirmations will never come, so in-flight batches are forgotten. */
  close(): void {
    this.epoch++;
    this.tracker.reset(this.cursor);
    this.liveFrom = null;
  }

  /** Sends the next batch if one is due and a slot is free; the live lane first. */
  sendNext(now: number): StreamStep {
    const liveFrom = this.liveFrom;
    if (liveFrom === null) return this.sendDue(this.tracker, now);
    const live = this.sendDue(this.live, now);
    if (live === 'sent') return live;
    const backlog = this.sendBacklog(liveFrom);
    if (backlog === 'sent') return backlog;
    if (typeof live === 'number' || typeof backlog === 'number') {
      return Math.min(
        typeof live === 'number' ? live : Infinity,
        typeof backlog === 'number' ? backlog : Infinity,
      );
    }
    return live === 'full' || backlog === 'full' ? 'full' : 'idle';
  }

  /** Rows after the lane's last published seq, when due by the batch timing. */
  private sendDue(lane: BatchTracker, now: number): StreamStep {
    const { batch, maxInFlight } = this.opts;
    if (lane.size >= maxInFlight) return 'full';
    const sentUpTo = lane.publishedUpTo;
    const dueAt = this.timing.dueAt(sentUpTo);
    if (dueAt === null) return 'idle';
    if (dueAt > now) return dueAt - now;
    const rows = this.read(sentUpTo, batch.maxRows);
    if (rows === null) return READ_RETRY_MS;
    if (rows.length === 0) {
      this.skipDeleted(lane);
      return 'idle';
    }
    this.send(lane, rows);
    return 'sent';
  }

  /** The backlog lane: full batches back to back, up to the seq committed when the connection came up. */
  private sendBacklog(liveFrom: number): StreamStep {
    const lane = this.tracker;
    const sentUpTo = lane.publishedUpTo;
    if (sentUpTo >= liveFrom) return 'idle';
    if (lane.size >= this.opts.maxInFlight) return 'full';
    const read = this.read(sentUpTo, Math.min(this.opts.batch.maxRows, liveFrom - sentUpTo));
    if (read === null) return READ_RETRY_MS;
    const rows = read.filter((r) => this.opts.source.seqOf(r) <= liveFrom);
    if (rows.length > 0) {
      this.send(lane, rows);
      return 'sent';
    }
    // The rest of the backlog was deleted (retention): the lane is done once its batches are confirmed.
    if (lane.size === 0) {
      lane.reset(liveFrom);
      this.persistCursor();
    }
    return 'idle';
  }

  private read(after: number, limit: number): Row[] | null {
    try {
      return this.opts.source.readAfter(after, limit);
    } catch (err) {
      this.opts.log.error({ err, stream: this.name }, 'uplink could not read the store; retrying');
      return null;
    }
  }

  stats(): StreamStats {
    const { source } = this.opts;
    const cursor = this.cursor;
    return {
      cursor,
      backlog: source.countAfter(cursor),
      oldestUnsentTs: source.oldestTsAfter?.(cursor) ?? null,
      inFlight: this.awaiting,
      ...this.counters,
    };
  }

  /** The seqs still waiting were deleted from the store (retention): nothing to send, move past them. */
  private skipDeleted(lane: BatchTracker): void {
    if (lane.size > 0) return;
    lane.reset(this.timing.lastSeq);
    this.persistCursor();
  }

  private send(lane: BatchTracker, due: Row[]): void {
    const { source } = this.opts;
    const fit = Math.max(1, Math.min(due.length, this.opts.fit?.(due) ?? due.length));
    const rows = fit < due.length ? due.slice(0, fit) : due;
    const batch = lane.add(source.seqOf(rows[0]!), source.seqOf(rows.at(-1)!), rows.length);
    this.counters.published += rows.length;
    const epoch = this.epoch;
    let sent: Promise<unknown>;
    try {
      sent = this.opts.send(rows);
    } catch (err) {
      sent = Promise.reject(err);
    }
    void sent.then(
      () => this.onConfirmed(epoch, lane, batch),
      (err: unknown) => {
        if (epoch === this.epoch) this.events?.failed(this, batch, err);
      },
    );
  }

  private onConfirmed(epoch: number, lane: BatchTracker, batch: Batch): void {
    if (epoch !== this.epoch) return;
    lane.confirm(batch);
    this.counters.confirmed += batch.count;
    this.counters.lastConfirmAt = this.opts.clock.now();
    this.persistCursor();
    this.events?.wake();
  }

  /** Writes the cursor when it moved. */
  private persistCursor(): void {
    const seq = this.cursor;
    if (seq <= this.persisted) return;
    this.persisted = seq;
    try {
      this.opts.cursors.confirm(this.cursorKey, seq);
    } catch (err) {
      // Not fatal: the next confirmation persists a higher cursor; meanwhile a restart resends a little more.
      this.opts.log.error({ err, stream: this.name, seq }, 'uplink could not persist its cursor');
    }
  }
}
