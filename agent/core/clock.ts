/**
 * Time is a dependency: polling, backoff and batching take a Clock so tests can drive them.
 * `now()` is the wall clock (stamps readings); `monotonic()` never jumps (schedules work).
 */
export interface Clock {
  now(): number;
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: unknown;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return { id: t };
  },
  clearTimeout: (h) => clearTimeout(h.id as NodeJS.Timeout),
};

/** Resolves after `ms` on the given clock. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
