import type { Clock } from './clock.js';

/**
 * Callers waiting for a connection or port to come up, each with its own deadline. The owner wakes
 * them all with true when it is up, or false when it stops; no timer outlives a waiter.
 */
export class ReadyWaiters {
  private readonly waiters = new Set<(ok: boolean) => void>();

  constructor(private readonly clock: Clock) {}

  /** Resolves true when woken up, false after `waitMs`. */
  wait(waitMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        this.waiters.delete(done);
        this.clock.clearTimeout(timer);
        resolve(ok);
      };
      const timer = this.clock.setTimeout(() => done(false), waitMs);
      this.waiters.add(done);
    });
  }

  wakeAll(ok: boolean): void {
    for (const wake of [...this.waiters]) wake(ok);
  }
}
