import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { StoredReading } from '../../core/reading.js';
import type { ReadingStore } from '../../store/readingStore.js';
import type { OutboxSource } from '../outboxSource.js';

/**
 * The readings an HJ 212 real-time stream may send: those whose real-time interval has ended.
 * A 2011 is a snapshot of each channel's latest value in an interval, so a batch cut in the middle
 * of an interval would send that DataTime twice with half the factors each. The gate holds each
 * commit back until the interval of its newest reading has ended plus `settleMs` (so the slowest
 * device's poll of that interval is in), then releases it: the stream sees whole intervals.
 *
 * Readings already stored at start() count as released (nothing is polling yet). A reading
 * committed after its interval was released (a poll slower than settleMs) goes out with the next
 * release, in a second 2011 for its DataTime carrying only the late factors.
 */

/** Wait after an interval ends for its last readings to be committed. */
export const REALTIME_SETTLE_MS = 3000;
/**
 * Commits of one interval are due at the same wall instant, but computed at different moments their
 * monotonic due times differ by a millisecond or so (wall and monotonic clocks drift): a release
 * takes everything due this soon after, so an interval is never released in two pieces.
 */
const RELEASE_SLACK_MS = 100;

type ReadingTable = Pick<
  ReadingStore,
  'readAfter' | 'lastSeq' | 'countAfter' | 'oldestTsAfter' | 'onCommitted'
>;

interface Held {
  rows: readonly StoredReading[];
  /** Monotonic time of release. */
  due: number;
}

export interface RealtimeGateDeps {
  store: ReadingTable;
  clock: Clock;
  log: Logger;
  /** End of the real-time interval containing ts (follows a live change of rtdInterval). */
  intervalEnd(ts: number): number;
  /** The interval now in effect, bounding a wait when the wall clock is stepped. */
  intervalMs(): number;
  settleMs?: number;
}

export class RealtimeGate implements OutboxSource<StoredReading> {
  private released = 0;
  private held: Held[] = [];
  private readonly listeners = new Set<(rows: readonly StoredReading[]) => void>();
  private unsubscribe: (() => void) | null = null;
  private timer: TimerHandle | null = null;

  constructor(private readonly deps: RealtimeGateDeps) {}

  /** Everything stored so far is released; later commits wait for their interval to end. */
  start(): void {
    this.released = this.deps.store.lastSeq();
    this.unsubscribe = this.deps.store.onCommitted((rows) => this.hold(rows));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  readAfter(seq: number, limit: number): StoredReading[] {
    return this.deps.store.readAfter(seq, limit).filter((r) => r.seq <= this.released);
  }

  lastSeq(): number {
    return this.released;
  }

  /** Held readings count too: for the backlog figure they are simply not sent yet. */
  countAfter(seq: number): number {
    return this.deps.store.countAfter(seq);
  }

  oldestTsAfter(seq: number): number | null {
    return this.deps.store.oldestTsAfter(seq);
  }

  onCommitted(fn: (rows: readonly StoredReading[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  seqOf(r: StoredReading): number {
    return r.seq;
  }

  private hold(rows: readonly StoredReading[]): void {
    if (rows.length === 0) return;
    const { clock, intervalEnd, intervalMs } = this.deps;
    const settle = this.deps.settleMs ?? REALTIME_SETTLE_MS;
    let newest = rows[0]!.ts;
    for (const r of rows) newest = Math.max(newest, r.ts);
    // Wall time decides when the interval ends; a stepped wall clock must not hold data for long.
    const wait = Math.min(Math.max(0, intervalEnd(newest) + settle - clock.now()), intervalMs() + settle);
    const previous = this.held.at(-1)?.due ?? Number.NEGATIVE_INFINITY;
    // Releases keep seq order: never before an earlier commit.
    this.held.push({ rows, due: Math.max(previous, clock.monotonic() + wait) });
    this.arm();
  }

  private arm(): void {
    const { clock } = this.deps;
    if (this.timer !== null) clock.clearTimeout(this.timer);
    this.timer = null;
    const next = this.held[0];
    if (next === undefined) return;
    this.timer = clock.setTimeout(() => this.release(), Math.max(0, next.due - clock.monotonic()));
  }

  private release(): void {
    this.timer = null;
    const now = this.deps.clock.monotonic() + RELEASE_SLACK_MS;
    const out: StoredReading[] = [];
    while (this.held.length > 0 && this.held[0]!.due <= now) out.push(...this.held.shift()!.rows);
    const last = out.at(-1);
    if (last !== undefined) {
      this.released = Math.max(this.released, last.seq);
      for (const fn of this.listeners) {
        try {
          fn(out);
        } catch (err) {
          this.deps.log.error({ err }, 'real-time release listener failed');
        }
      }
    }
    this.arm();
  }
}

/**
 * A source whose full reads end on a group boundary (a real-time interval, an aggregate period):
 * the trailing rows of the last group are left for the next read, so a group is not split across
 * two messages. A read holding a single group is returned whole (it cannot be cut better).
 */
export function groupAligned<Row>(
  source: OutboxSource<Row>,
  groupOf: (row: Row) => string | number,
): OutboxSource<Row> {
  // Methods are forwarded one by one: a class instance's methods live on its prototype, not spreadable.
  return {
    readAfter(seq, limit) {
      const rows = source.readAfter(seq, limit);
      if (rows.length < limit || rows.length === 0) return rows;
      const lastGroup = groupOf(rows.at(-1)!);
      let cut = rows.length;
      while (cut > 0 && groupOf(rows[cut - 1]!) === lastGroup) cut--;
      return cut === 0 ? rows : rows.slice(0, cut);
    },
    onCommitted: (fn) => source.onCommitted(fn),
    lastSeq: () => source.lastSeq(),
    countAfter: (seq) => source.countAfter(seq),
    seqOf: (row) => source.seqOf(row),
    ...(source.oldestTsAfter ? { oldestTsAfter: (seq: number) => source.oldestTsAfter!(seq) } : {}),
  };
}
