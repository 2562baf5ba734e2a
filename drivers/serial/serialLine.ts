import { type Backoff, createBackoff } from '../../agent/core/backoff.js';
import { type Clock, sleep, type TimerHandle } from '../../agent/core/clock.js';
import type { Logger } from '../../agent/core/log.js';
import { ReadyWaiters } from '../../agent/core/readyWaiters.js';
import type { ByteConnection } from './byteTransport.js';
import { scanAnswer } from './frameScan.js';
import {
  type FrameLength,
  SerialLineError,
  type SerialLineErrorKind,
  type SerialLineOptions,
  type SerialLineStats,
} from './lineTypes.js';
import { TransactionQueue } from './transactionQueue.js';

/**
 * One physical line (an RS-232/RS-485 port, or a serial server's TCP port) shared by every
 * device on it, for any request/answer protocol (Modbus RTU, ASCII analyzers).
 *
 * - Exactly one exchange at a time, first come first served (TransactionQueue): a line cannot
 *   carry two conversations, and FIFO keeps the devices on it fair.
 * - Bytes that arrive while no exchange is active are dropped and counted: they answer nobody.
 * - After a timeout or garbage the line stays quiet for a guard time (extended while bytes keep
 *   coming, up to GUARD_CAP_FACTOR × guard) and discards everything received meanwhile, so a late
 *   answer is never taken for the next request's answer.
 * - A pause between exchanges (slow devices, RTU's 3.5-character gap) and after opening (devices
 *   and converters that reset when the port opens).
 * - Loss is noticed at once where the OS tells (read/write errors, close), and otherwise by
 *   checking every second that the device path still names the device opened (some drivers keep
 *   a dead port looking open); the line reopens with backoff until stop(), without a restart.
 *
 * Errors are SerialLineError; the protocol driver above maps them to its own error codes.
 */

export { MAX_NOISE_BYTES } from './frameScan.js';
export {
  type FrameLength,
  SerialLineError,
  type SerialLineErrorKind,
  type SerialLineOptions,
  type SerialLineStats,
} from './lineTypes.js';

/** A guard is extended while bytes keep arriving, up to this many guard times. */
const GUARD_CAP_FACTOR = 10;

interface Link {
  conn?: ByteConnection;
  presenceTimer?: TimerHandle;
}

interface Exchange {
  readonly link: Link;
  rx: Buffer;
  noise: number;
  readonly frameLength: FrameLength;
  settle(err: SerialLineError | undefined, frame?: Buffer): void;
}

export class SerialLine {
  readonly id: string;
  private readonly opts: SerialLineOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly queue = new TransactionQueue();
  private readonly backoff: Backoff;
  private readonly guardMs: number;
  private readonly pauseMs: number;
  private readonly counters = {
    opens: 0,
    openFailures: 0,
    losses: 0,
    transactions: 0,
    completed: 0,
    timeouts: 0,
    garbage: 0,
    guards: 0,
    discardedBytes: 0,
  };
  private lastOpenError: string | null = null;
  private link: Link | undefined;
  private state: 'idle' | 'opening' | 'settling' | 'open' | 'closed' | 'stopped' = 'idle';
  private active: Exchange | undefined;
  private reopenTimer: TimerHandle | undefined;
  private settleTimer: TimerHandle | undefined;
  private stopping: Promise<void> | undefined;
  /** Open failures since the line last worked: the first is logged as a warning, repeats at debug. */
  private failuresInARow = 0;
  private consecutiveTimeouts = 0;
  private lostAt: number | undefined;
  private guardFrom: number | undefined;
  private lastRxAt = Number.NEGATIVE_INFINITY;
  private lastExchangeEndAt = Number.NEGATIVE_INFINITY;
  private readonly readyWaiters: ReadyWaiters;

  constructor(opts: SerialLineOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.clock = opts.clock;
    this.readyWaiters = new ReadyWaiters(opts.clock);
    this.log = opts.log;
    this.guardMs = opts.guardTimeMs ?? 50;
    this.pauseMs = opts.pauseBetweenRequestsMs ?? 0;
    this.backoff = createBackoff({ minMs: opts.reconnect.min, maxMs: opts.reconnect.max });
  }

  /** Opens in the background and keeps reopening until stop(). */
  start(): void {
    if (this.state !== 'idle') return;
    this.open();
  }

  /** Closes the port, fails the exchange in progress and cancels every timer. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Resolves true once the line is open (after pauseAfterOpen), or false after `waitMs`. */
  ready(waitMs: number): Promise<boolean> {
    if (this.isOpen()) return Promise.resolve(true);
    if (this.state === 'stopped') return Promise.resolve(false);
    return this.readyWaiters.wait(waitMs);
  }

  isOpen(): boolean {
    return this.state === 'open';
  }

  stats(): SerialLineStats {
    return { ...this.counters, open: this.isOpen(), lastOpenError: this.lastOpenError };
  }

  /**
   * Writes `request` and resolves with the answer frame: the first frameLength(buf) bytes received.
   * Queued behind earlier exchanges. Rejects with SerialLineError: 'timeout' (no complete answer
   * within timeoutMs of the write), 'garbage' (bytes that are no answer), 'disconnected' (the line
   * is not open, or was lost or stopped meanwhile). Never rejects with anything else.
   */
  transact(request: Buffer, frameLength: FrameLength, timeoutMs: number): Promise<Buffer> {
    if (this.state === 'stopped') return Promise.reject(this.error('disconnected', 'line stopped'));
    return this.queue.run(() => this.exchange(request, frameLength, timeoutMs));
  }

  private async exchange(request: Buffer, frameLength: FrameLength, timeoutMs: number): Promise<Buffer> {
    await this.quiet();
    const link = this.link;
    if (this.state !== 'open' || link?.conn === undefined) {
      throw this.error('disconnected', this.state === 'stopped' ? 'line stopped' : 'line not open');
    }
    const conn = link.conn;
    this.counters.transactions++;
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      let timer: TimerHandle | undefined;
      const ex: Exchange = {
        link,
        rx: Buffer.alloc(0),
        noise: 0,
        frameLength,
        settle: (err, frame) => {
          if (settled) return;
          settled = true;
          if (timer) this.clock.clearTimeout(timer);
          if (this.active === ex) this.active = undefined;
          this.lastExchangeEndAt = this.clock.monotonic();
          if (err) reject(err);
          else resolve(frame ?? Buffer.alloc(0));
        },
      };
      this.active = ex;
      // Timed from the write call plus the request's time on the wire, not from the write callback:
      // a dead port may never call back, and the exchange must end all the same.
      const txMs = Math.ceil(request.length * (this.opts.charTimeMs ?? 0));
      timer = this.clock.setTimeout(() => this.onTimeout(ex, timeoutMs), timeoutMs + txMs);
      conn.write(request).then(
        () => {},
        (err: unknown) => {
          const msg = err instanceof Error ? err.message : String(err);
          ex.settle(this.error('disconnected', `write failed: ${msg}`));
          this.lose(link, `write failed: ${msg}`);
        },
      );
    });
  }

  /** Serves a pending guard (quiet line, input discarded), then the pause between requests. */
  private async quiet(): Promise<void> {
    if (this.guardFrom !== undefined) {
      const cap = this.guardFrom + GUARD_CAP_FACTOR * this.guardMs;
      for (;;) {
        if (this.state === 'stopped') return;
        const now = this.clock.monotonic();
        const until = Math.max(this.guardFrom, this.lastRxAt) + this.guardMs;
        if (until <= now || now >= cap) break;
        await sleep(this.clock, Math.min(until, cap) - now);
      }
      this.guardFrom = undefined;
      this.counters.guards++;
      await this.link?.conn?.discardInput();
    }
    await this.pause();
  }

  /**
   * Waits only what remains of the pause since the line was last busy (the monotonic clock), so the
   * pause can be the exact requirement (RTU: 3.5 characters, 4.01 ms at 9600 8E1) instead of a whole
   * number of ms above it. Timers count whole ms and may fire a fraction of one early, so the
   * remainder is rounded up and checked again after each sleep: the gap is never shorter than the
   * pause and, timers permitting, less than a ms longer (a pause rounded up to whole ms lost up to one more).
   */
  private async pause(): Promise<void> {
    if (this.pauseMs <= 0) return;
    for (;;) {
      if (this.state === 'stopped') return;
      const wait = Math.max(this.lastExchangeEndAt, this.lastRxAt) + this.pauseMs - this.clock.monotonic();
      if (wait <= 0) return;
      await sleep(this.clock, Math.ceil(wait));
    }
  }

  private onData(link: Link, chunk: Buffer): void {
    if (link !== this.link) return;
    this.lastRxAt = this.clock.monotonic();
    const ex = this.active;
    if (ex === undefined || ex.link !== link) {
      this.counters.discardedBytes += chunk.length;
      return;
    }
    const scan = scanAnswer(
      ex.rx.length === 0 ? chunk : Buffer.concat([ex.rx, chunk]),
      ex.frameLength,
      ex.noise,
    );
    this.counters.discardedBytes += scan.noise - ex.noise;
    ex.noise = scan.noise;
    if (scan.kind === 'wait') {
      ex.rx = scan.rx;
    } else if (scan.kind === 'frame') {
      if (scan.extra > 0) {
        // More than the answer: noise on the line; let it settle before the next request.
        this.counters.discardedBytes += scan.extra;
        this.guardFrom = this.lastRxAt;
      }
      this.counters.completed++;
      this.consecutiveTimeouts = 0;
      this.failuresInARow = 0;
      this.backoff.reset(); // the line has proved itself: a later loss retries from the bottom
      ex.settle(undefined, scan.frame);
    } else {
      this.counters.garbage++;
      this.counters.discardedBytes += scan.bytes;
      this.guardFrom = this.lastRxAt;
      ex.settle(this.error('garbage', `no valid answer: ${scan.noise + scan.bytes} unexpected bytes`));
    }
  }

  private onTimeout(ex: Exchange, timeoutMs: number): void {
    if (this.active !== ex) return;
    this.counters.timeouts++;
    this.counters.discardedBytes += ex.rx.length;
    this.guardFrom = this.clock.monotonic();
    const partial = ex.rx.length > 0 ? ` (${ex.rx.length} bytes of an incomplete answer)` : '';
    ex.settle(this.error('timeout', `no answer within ${timeoutMs}ms${partial}`));
    this.consecutiveTimeouts++;
    const dead = this.opts.deadAfterTimeouts;
    if (dead !== undefined && this.consecutiveTimeouts >= dead) {
      this.consecutiveTimeouts = 0;
      this.lose(ex.link, `${dead} timeouts in a row: presuming the connection dead`);
    } else {
      this.checkPresence(ex.link); // a timeout is the first sign of an unplugged adapter
    }
  }

  private open(): void {
    if (this.state === 'stopped') return;
    this.state = 'opening';
    const link: Link = {};
    this.link = link;
    this.opts.transport
      .open({
        onData: (chunk) => this.onData(link, chunk),
        onLost: (reason) => this.lose(link, reason),
      })
      .then(
        (conn) => this.onOpen(link, conn),
        (err: unknown) => this.onOpenFailed(link, err),
      );
  }

  private onOpen(link: Link, conn: ByteConnection): void {
    if (this.state === 'stopped' || this.link !== link) {
      void conn.close();
      return;
    }
    link.conn = conn;
    this.counters.opens++;
    this.consecutiveTimeouts = 0;
    this.lastOpenError = null;
    const down =
      this.lostAt === undefined ? {} : { downMs: Math.round(this.clock.monotonic() - this.lostAt) };
    this.lostAt = undefined;
    this.log.info({ line: this.opts.transport.description, ...down }, 'serial line open');
    this.schedulePresenceCheck(link);
    const pause = this.opts.pauseAfterOpenMs ?? 0;
    if (pause <= 0) {
      this.becomeOpen();
      return;
    }
    this.state = 'settling';
    this.settleTimer = this.clock.setTimeout(() => {
      this.settleTimer = undefined;
      if (this.link === link && this.state === 'settling') this.becomeOpen();
    }, pause);
  }

  private becomeOpen(): void {
    this.state = 'open';
    this.readyWaiters.wakeAll(true);
  }

  private onOpenFailed(link: Link, err: unknown): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.counters.openFailures++;
    const message = err instanceof Error ? err.message : String(err);
    const repeated = message === this.lastOpenError;
    this.lastOpenError = message;
    if (this.state === 'stopped') return;
    this.state = 'closed';
    const delay = this.backoff.next();
    // The first failure, and any new reason, is a warning (a locked port is an error to fix); repeats are debug.
    const fields = { line: this.opts.transport.description, err: message, retryInMs: delay };
    if (this.failuresInARow++ === 0 || !repeated) {
      if (/in use by another process/.test(message)) this.log.error(fields, 'cannot open serial line');
      else this.log.warn(fields, 'cannot open serial line');
    } else {
      this.log.debug(fields, 'cannot open serial line');
    }
    this.scheduleReopen(delay);
  }

  private lose(link: Link, reason: string): void {
    if (this.link !== link || link.conn === undefined) return;
    const conn = link.conn;
    this.link = undefined;
    if (link.presenceTimer) this.clock.clearTimeout(link.presenceTimer);
    if (this.settleTimer) this.clock.clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.counters.losses++;
    this.lostAt = this.clock.monotonic();
    if (this.active?.link === link) this.active.settle(this.error('disconnected', `line lost: ${reason}`));
    void conn.close();
    if (this.state === 'stopped') return;
    this.state = 'closed';
    const delay = this.backoff.next();
    this.failuresInARow++;
    this.log.warn({ line: this.opts.transport.description, reason, retryInMs: delay }, 'serial line lost');
    this.scheduleReopen(delay);
  }

  private scheduleReopen(delay: number): void {
    this.reopenTimer = this.clock.setTimeout(() => {
      this.reopenTimer = undefined;
      this.open();
    }, delay);
  }

  private schedulePresenceCheck(link: Link): void {
    const every = this.opts.presenceCheckMs ?? 1000;
    link.presenceTimer = this.clock.setTimeout(() => {
      link.presenceTimer = undefined;
      if (this.link !== link) return;
      this.checkPresence(link, () => this.schedulePresenceCheck(link));
    }, every);
  }

  private checkPresence(link: Link, then?: () => void): void {
    const conn = link.conn;
    if (conn === undefined) return;
    conn.present().then(
      (present) => {
        if (this.link !== link) return;
        if (!present) this.lose(link, 'the device is gone (path missing or replaced)');
        else then?.();
      },
      () => then?.(),
    );
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopped';
    if (this.reopenTimer) this.clock.clearTimeout(this.reopenTimer);
    if (this.settleTimer) this.clock.clearTimeout(this.settleTimer);
    this.reopenTimer = undefined;
    this.settleTimer = undefined;
    this.readyWaiters.wakeAll(false);
    this.active?.settle(this.error('disconnected', 'line stopped'));
    const link = this.link;
    this.link = undefined;
    if (link?.presenceTimer) this.clock.clearTimeout(link.presenceTimer);
    // Queued exchanges are not rejected here: each fails at once when its turn comes.
    await link?.conn?.close();
  }

  private error(kind: SerialLineErrorKind, message: string): SerialLineError {
    return new SerialLineError(kind, this.id, message);
  }
}
