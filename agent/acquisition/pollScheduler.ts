import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';

/**
 * Runs a task on a fixed grid of the monotonic clock: slot k is at start + k·interval. Computing
 * each slot from the start, not from the previous run, keeps the schedule from drifting (a 10 s
 * poll stays on its 10 s grid for months), and the monotonic clock is immune to NTP steps.
 *
 * Runs never overlap: when a run outlasts its slot, the slots that passed meanwhile are skipped and
 * reported through onMissed, and the next run is at the first slot not in the past. Catching up
 * with back-to-back runs would hammer a device that is already slow.
 *
 * setIntervalMs changes the rate from the most recent run on (to slow down polling of a failing
 * unit and speed it back up); slots skipped by a rate change are not counted as missed.
 */

export interface PollSchedulerDeps {
  clock: Clock;
  intervalMs: number;
  task: () => Promise<void>;
  log: Logger;
  /** Called with the number of slots skipped because a run outlasted its slot. */
  onMissed?: (n: number) => void;
}

export interface PollScheduler {
  /** First run at once, then on the grid. Idempotent while running. */
  start(): void;
  /** No further runs; resolves once a run in progress has finished. */
  stop(): Promise<void>;
  setIntervalMs(ms: number): void;
  readonly intervalMs: number;
}

export function createPollScheduler(deps: PollSchedulerDeps): PollScheduler {
  const { clock, task, log, onMissed } = deps;
  checkInterval(deps.intervalMs);
  let interval = deps.intervalMs;
  let anchor = 0; // monotonic time of slot 0
  let current = -1; // slot of the most recent run; -1 before the first
  let timer: TimerHandle | undefined;
  let running: Promise<void> | undefined;
  let active = false;
  // A stop() then start() while a run is in flight must not leave two timer chains.
  let generation = 0;

  function arm(slot: number, gen: number): void {
    const delay = Math.max(0, anchor + slot * interval - clock.monotonic());
    timer = clock.setTimeout(() => fire(slot, gen), delay);
  }

  /** The first slot after `current` that is not in the past. */
  function nextSlot(): number {
    const elapsed = clock.monotonic() - anchor;
    return Math.max(current + 1, Math.ceil(elapsed / interval));
  }

  function fire(slot: number, gen: number): void {
    timer = undefined;
    if (!active || gen !== generation) return;
    current = slot;
    const run = runTask().finally(() => {
      if (running === run) running = undefined;
      if (!active || gen !== generation) return;
      const next = nextSlot();
      const missed = next - current - 1;
      if (missed > 0) {
        log.debug({ missed, intervalMs: interval }, 'poll outlasted its slot: skipping missed slots');
        try {
          onMissed?.(missed);
        } catch (err) {
          log.error({ err }, 'onMissed callback failed');
        }
      }
      arm(next, gen);
    });
    running = run;
  }

  async function runTask(): Promise<void> {
    try {
      await task();
    } catch (err) {
      // A failing task must not stop the schedule; the task is expected to handle its own errors.
      log.error({ err }, 'scheduled task failed');
    }
  }

  return {
    start() {
      if (active) return;
      active = true;
      generation++;
      anchor = clock.monotonic();
      current = -1;
      arm(0, generation);
    },
    async stop() {
      active = false;
      if (timer) clock.clearTimeout(timer);
      timer = undefined;
      if (running) await running;
    },
    setIntervalMs(ms: number) {
      checkInterval(ms);
      if (!active) {
        interval = ms;
        return;
      }
      // Re-anchor the grid at the most recent run (or at the start if none ran yet).
      if (current >= 0) {
        anchor += current * interval;
        current = 0;
      }
      interval = ms;
      if (timer) {
        // Idle between runs: move the pending run to the new grid. A running task re-arms on completion.
        clock.clearTimeout(timer);
        timer = undefined;
        arm(nextSlot(), generation);
      }
    },
    get intervalMs() {
      return interval;
    },
  };
}

function checkInterval(ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new RangeError(`poll interval must be a positive number of ms, got ${ms}`);
}
