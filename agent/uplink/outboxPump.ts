import type { Clock, TimerHandle } from '../core/clock.js';
import type { Batch } from './batchTracker.js';
import type { PumpedStream, StreamEvents } from './outboxStream.js';

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
