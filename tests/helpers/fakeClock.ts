import type { Clock, TimerHandle } from '../../agent/core/clock.js';

/**
 * A manual Clock for tests. Time moves only through advance(): due timers fire in order of due
 * time (then creation), each at its own instant, and between timers pending promise callbacks are
 * allowed to run, so async code reacting to a timer (and arming the next one) behaves as in real
 * time. now() (wall) and monotonic() move together unless setWall() steps the wall clock.
 */
export class FakeClock implements Clock {
  private mono: number;
  private wallOffset: number;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; seq: number; fn: () => void }>();

  constructor(opts: { wall?: number; monotonic?: number } = {}) {
    this.mono = opts.monotonic ?? 1000;
    this.wallOffset = (opts.wall ?? Date.UTC(2024, 0, 1)) - this.mono;
  }

  now(): number {
    return this.mono + this.wallOffset;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { due: this.mono + Math.max(0, ms), seq: id, fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id as number);
  }

  /** Steps the wall clock (an NTP correction) without moving monotonic time or firing timers. */
  setWall(ms: number): void {
    this.wallOffset = ms - this.mono;
  }

  /** Timers armed and not yet fired or cleared. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Time of the earliest pending timer, or undefined. */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers.values()) if (min === undefined || t.due < min) min = t.due;
    return min;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way (including new ones). */
  async advance(ms: number): Promise<void> {
    const target = this.mono + ms;
    await flush();
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > target) break;
      this.timers.delete(next.seq);
      this.mono = Math.max(this.mono, next.due);
      next.fn();
      await flush();
    }
    this.mono = target;
  }

  /** Fires whatever is due now without moving time. */
  async runDue(): Promise<void> {
    await this.advance(0);
  }

  private earliest(): { due: number; seq: number; fn: () => void } | undefined {
    let best: { due: number; seq: number; fn: () => void } | undefined;
    for (const t of this.timers.values()) {
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Lets every pending promise callback run (a macrotask turn drains the microtask queue). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
