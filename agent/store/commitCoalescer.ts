import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { NewReading } from '../core/reading.js';
import type { BufferedAppender } from './bufferedAppender.js';

/**
 * Group commit: the readings of polls that complete close together go to the store in ONE
 * transaction. With `synchronous: full` every commit costs an fsync of the WAL (1.5–2 ms), and
 * better-sqlite3 is synchronous, so one commit per poll stalls the event loop, and with it every
 * bus, once per poll of every device (docs/performance.md, workloads 1 and 6).
 *
 * The first append into an empty queue opens a window of `windowMs`; when it closes, everything
 * queued is committed at once, in append order (seqs are given at that commit, as before). The
 * group is committed early when it reaches `maxReadings`, and flush() commits at once for whoever
 * must see the readings durably (stop, status). A window of 0 commits every append at once.
 *
 * Nothing sees a queued reading: commit listeners, uplinks and the status page learn of it only
 * from the store, after its commit. A power cut inside the window loses the queued polls exactly
 * like a cut during the poll itself: never stored, never sent, no seq taken (docs/storage.md).
 */

/** Enough for a few cycles of a large station; a bound on memory and on one transaction's length. */
const DEFAULT_MAX_READINGS = 2_000;

/** Where a group goes: the BufferedAppender (a full store queues instead of throwing). */
export type GroupSink = Pick<BufferedAppender, 'append' | 'stats'>;

/** What acquisition appends through; the promise settles once the readings are committed (or not). */
export interface ReadingSink {
  append(readings: readonly NewReading[]): Promise<void>;
}

export interface CommitCoalescerDeps {
  sink: GroupSink;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** How long the first queued poll waits for others; 0 = commit every append at once. */
  windowMs: number;
  log: Logger;
  maxReadings?: number;
}

interface Pending {
  readings: readonly NewReading[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class CommitCoalescer implements ReadingSink {
  private readonly deps: CommitCoalescerDeps;
  private readonly maxReadings: number;
  private pending: Pending[] = [];
  private queuedReadings = 0;
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(deps: CommitCoalescerDeps) {
    this.deps = deps;
    this.maxReadings = Math.max(1, deps.maxReadings ?? DEFAULT_MAX_READINGS);
  }

  /** Queues the readings; the promise resolves once they are committed and rejects if they could not be. */
  append(readings: readonly NewReading[]): Promise<void> {
    if (readings.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      this.pending.push({ readings, resolve, reject });
    });
    this.queuedReadings += readings.length;
    // After stop() nothing would close a window: a late poll is committed at once.
    if (this.deps.windowMs <= 0 || this.stopped || this.queuedReadings >= this.maxReadings) this.flush();
    else if (this.timer === null) {
      this.timer = this.deps.clock.setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.deps.windowMs);
    }
    return done;
  }

  /** Commits everything queued now, in one transaction. Never throws: each append's promise says how it went. */
  flush(): void {
    if (this.timer !== null) {
      this.deps.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const group = this.pending;
    this.pending = [];
    this.queuedReadings = 0;
    if (group.length === 1) {
      this.commitOne(group[0]!);
      return;
    }
    try {
      this.deps.sink.append(group.flatMap((p) => p.readings));
    } catch (err) {
      this.retrySeparately(group, err);
      return;
    }
    for (const p of group) p.resolve();
  }

  /** Commits what is queued; later appends commit at once (the agent is stopping). */
  stop(): void {
    this.stopped = true;
    this.flush();
  }

  /** Readings waiting for their window to close. */
  get queued(): number {
    return this.queuedReadings;
  }

  /**
   * A failed group is tried once more poll by poll, so one device's bad reading or one passing
   * SQLITE_BUSY costs no other poll its readings, and each failure is reported to the device it
   * belongs to. Not when the sink kept the group (a full store queues readings and stores them later):
   * a second append would store them twice.
   */
  private retrySeparately(group: Pending[], err: unknown): void {
    if (this.deps.sink.stats().queued > 0) {
      for (const p of group) p.reject(err);
      return;
    }
    this.deps.log.warn(
      { err, polls: group.length, readings: group.reduce((n, p) => n + p.readings.length, 0) },
      'group commit failed: committing poll by poll',
    );
    for (const p of group) this.commitOne(p);
  }

  private commitOne(p: Pending): void {
    try {
      this.deps.sink.append(p.readings);
    } catch (err) {
      p.reject(err);
      return;
    }
    p.resolve();
  }
}
