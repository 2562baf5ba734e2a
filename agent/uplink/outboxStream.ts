import type { Clock, TimerHandle } from '../core/clock.js';
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
  /** Batches of this stream awaiting confirmation at any time, per connection. */
  maxInFlight: number;
  clock: Clock;
  log: Logger;
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
  private readonly tracker = new BatchTracker();
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
    return this.tracker.awaiting;
  }

  /** Every row up to this seq is confirmed (persisted unless that write failed). */
  get cursor(): number {
    return this.tracker.confirmedUpTo;
  }

  /** Loads the persisted cursor and listens for commits. Throws when the cursor cannot be read. */
  start(events: StreamEvents): void {
    const { cursors, source, clock } = this.opts;
    this.events = events;
    this.tracker.reset(cursors.cursor(this.cursorKey));
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
    this.tracker.reset(cursor);
    this.timing.noteExisting(this.opts.source.lastSeq());
    return cursor;
  }

  /** The connection is gone: its confirmations will never come, so in-flight batches are forgotten. */
  close(): void {
    this.epoch++;
    this.tracker.reset(this.tracker.confirmedUpTo);
  }

  /** Sends the next batch if one is due and a slot is free. */
  sendNext(now: number): StreamStep {
    const { source, batch, maxInFlight, log } = this.opts;
    if (this.tracker.size >= maxInFlight) return 'full';
    const sentUpTo = this.tracker.publishedUpTo;
    const dueAt = this.timing.dueAt(sentUpTo);
    if (dueAt === null) return 'idle';
    if (dueAt > now) return dueAt - now;
    let rows: Row[];
    try {
      rows = source.readAfter(sentUpTo, batch.maxRows);
    } catch (err) {
      log.error({ err, stream: this.name }, 'uplink could not read the store; retrying');
      return READ_RETRY_MS;
    }
    if (rows.length === 0) {
      this.skipDeleted();
      return 'idle';
    }
    this.send(rows);
    return 'sent';
  }

  stats(): StreamStats {
    const { source } = this.opts;
    const cursor = this.cursor;
    return {
      cursor,
      backlog: source.countAfter(cursor),
      oldestUnsentTs: source.oldestTsAfter?.(cursor) ?? null,
      inFlight: this.tracker.awaiting,
      ...this.counters,
    };
  }

  /** The seqs still waiting were deleted from the store (retention): nothing to send, move past them. */
  private skipDeleted(): void {
    if (this.tracker.size > 0) return;
    this.persistCursor(this.timing.lastSeq);
    this.tracker.reset(this.timing.lastSeq);
  }

  private send(rows: Row[]): void {
    const { source } = this.opts;
    const batch = this.tracker.add(source.seqOf(rows[0]!), source.seqOf(rows.at(-1)!), rows.length);
    this.counters.published += rows.length;
    const epoch = this.epoch;
    let sent: Promise<unknown>;
    try {
      sent = this.opts.send(rows);
    } catch (err) {
      sent = Promise.reject(err);
    }
    void sent.then(
      () => this.onConfirmed(epoch, batch),
      (err: unknown) => {
        if (epoch === this.epoch) this.events?.failed(this, batch, err);
      },
    );
  }

  private onConfirmed(epoch: number, batch: Batch): void {
    if (epoch !== this.epoch) return;
    const advanced = this.tracker.confirm(batch);
    this.counters.confirmed += batch.count;
    this.counters.lastConfirmAt = this.opts.clock.now();
    if (advanced !== null) this.persistCursor(advanced);
    this.events?.wake();
  }

  private persistCursor(seq: number): void {
    try {
      this.opts.cursors.confirm(this.cursorKey, seq);
    } catch (err) {
      // Not fatal: the next confirmation persists a higher cursor; meanwhile a restart resends a little more.
      this.opts.log.error({ err, stream: this.name, seq }, 'uplink could not persist its cursor');
    }
  }
}

export interface OutboxPumpDeps {
  /** In priority order: in each round the first stream sends first. */
  streams: readonly PumpedStream[];
  clock: Clock;
  /** A batch was lost: the transport drops the connection (and calls close()) so every stream resends. */
  onFailed(stream: string, batch: Batch, err: unknown): void;
}

/**
 * Drives the streams of one connection. Sending goes in rounds: each round offers every stream, in
 * priority order, one batch, until a round sends nothing. So when several streams have work due at
 * once the first stream's batch goes on the wire first (live readings before aggregates), yet a
 * backlog in one stream never stops another: each stream has its own in-flight slots.
 */
export class OutboxPump {
  private readonly deps: OutboxPumpDeps;
  private readonly events: StreamEvents;
  private sending = false;
  private pumping = false;
  private flushTimer: TimerHandle | null = null;
  private drainWaiters: (() => void)[] = [];

  constructor(deps: OutboxPumpDeps) {
    this.deps = deps;
    this.events = {
      wake: () => {
        if (this.awaiting === 0) this.resolveDrained();
        this.pump();
      },
      failed: (stream, batch, err) => this.deps.onFailed(stream.name, batch, err),
    };
  }

  /** Batches of every stream awaiting confirmation. */
  get awaiting(): number {
    return this.deps.streams.reduce((n, s) => n + s.awaiting, 0);
  }

  /** Loads every stream's cursor and listens for commits. Throws when a cursor cannot be read. */
  start(): void {
    const started: PumpedStream[] = [];
    try {
      for (const s of this.deps.streams) {
        s.start(this.events);
        started.push(s);
      }
    } catch (err) {
      // Leave no commit listener behind on a half-started pump.
      for (const s of started) s.stop();
      throw err;
    }
  }

  /**
   * A new connection: every stream restarts from its persisted cursor (returned by stream name). Throws
   * when a cursor cannot be read; the transport then drops the connection. Call pump() to start sending.
   */
  open(): Record<string, number> {
    const cursors: Record<string, number> = {};
    for (const s of this.deps.streams) cursors[s.name] = s.open();
    this.sending = true;
    return cursors;
  }

  /** The connection is gone: forget what was in flight; nothing is sent until the next open(). */
  close(): void {
    this.sending = false;
    for (const s of this.deps.streams) s.close();
    this.cancelFlush();
    this.resolveDrained();
  }

  /** Shutting down: no new batches and no commit listeners; in-flight batches are still confirmed. */
  stop(): void {
    this.sending = false;
    for (const s of this.deps.streams) s.stop();
    this.cancelFlush();
  }

  /** Resolves once no batch awaits confirmation, or the connection is closed. */
  drained(): Promise<void> {
    if (this.awaiting === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  /** Sends every due batch while open and slots are free; re-armed by commits, confirmations and a timer. */
  pump(): void {
    if (this.pumping || !this.sending) return;
    this.pumping = true;
    try {
      const { streams, clock } = this.deps;
      let waitMs: number | null;
      let sent: boolean;
      do {
        sent = false;
        waitMs = null;
        for (const s of streams) {
          // The transport may close the connection from inside send() (a client closing synchronously).
          if (!this.sending) return;
          const step = s.sendNext(clock.monotonic());
          if (step === 'sent') sent = true;
          else if (typeof step === 'number') waitMs = Math.min(waitMs ?? step, step);
        }
      } while (sent);
      if (waitMs !== null && this.sending) this.armFlush(waitMs);
    } finally {
      this.pumping = false;
    }
  }

  private armFlush(ms: number): void {
    this.cancelFlush();
    this.flushTimer = this.deps.clock.setTimeout(() => {
      this.flushTimer = null;
      this.pump();
    }, ms);
  }

  private cancelFlush(): void {
    if (this.flushTimer !== null) this.deps.clock.clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  private resolveDrained(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
