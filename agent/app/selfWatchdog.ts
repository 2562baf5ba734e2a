import type { Clock, TimerHandle } from '../core/clock.js';

/**
 * The agent's own watchdog: the documented equivalent of systemd's Type=notify + WatchdogSec, which
 * need sd_notify (not available to Node without a native addon). Every few seconds it checks that
 * (a) the event loop is not stalled: its own tick is not late by more than `lagThresholdMs` for
 * `stallAfterMs` in a row (one tick late by `stallAfterMs` or more counts at once), and
 * (b) acquisition makes progress: some poll completed, whatever its outcome (a B reading is
 * progress), within max(3 × the longest device interval, `stallAfterMs`).
 * When either fails it calls `onStall` once with the reason; runCommand logs it and exits with
 * WATCHDOG_EXIT_CODE so systemd's Restart=on-failure starts the service again.
 * A loop blocked for good never runs the tick: that case is left to systemd's own stop timeouts.
 */

/** The process exit code of a watchdog stall (EX_SOFTWARE): distinct from 1 (error) and 2 (config). */
export const WATCHDOG_EXIT_CODE = 70;

/** What the watchdog reads of acquisition; null while no agent runs (a reload in progress). */
export interface AcquisitionProgress {
  /** Any count that changes whenever a poll completes (the sum of the devices' poll counters). */
  completed: number;
  /** Devices polled; with none there is nothing to watch. */
  devices: number;
  /** The longest device interval (ms). */
  longestIntervalMs: number;
}

export interface SelfWatchdogDeps {
  clock: Clock;
  enabled: boolean;
  stallAfterMs: number;
  progress: () => AcquisitionProgress | null;
  onStall: (reason: string) => void;
  /** How often it checks (default 5 s, never more than a quarter of stallAfter). */
  checkEveryMs?: number;
  /** A tick later than this counts as a stalled loop (default 2 s). */
  lagThresholdMs?: number;
}

export class SelfWatchdog {
  private readonly deps: SelfWatchdogDeps;
  private readonly checkEveryMs: number;
  private readonly lagThresholdMs: number;
  private timer: TimerHandle | null = null;
  private expectedAt = 0;
  private lateSince: number | null = null;
  private lastCompleted: number | null = null;
  private lastProgressAt = 0;
  private fired = false;

  constructor(deps: SelfWatchdogDeps) {
    this.deps = deps;
    this.checkEveryMs = Math.max(1, Math.min(deps.checkEveryMs ?? 5000, Math.floor(deps.stallAfterMs / 4)));
    this.lagThresholdMs = deps.lagThresholdMs ?? 2000;
  }

  start(): void {
    if (!this.deps.enabled || this.timer !== null || this.fired) return;
    this.lastProgressAt = this.deps.clock.monotonic();
    // The baseline: polls completed before the watchdog started are not progress within its window.
    this.lastCompleted = this.deps.progress()?.completed ?? null;
    this.lateSince = null;
    this.arm();
  }

  stop(): void {
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.expectedAt = this.deps.clock.monotonic() + this.checkEveryMs;
    this.timer = this.deps.clock.setTimeout(() => this.tick(), this.checkEveryMs);
  }

  private tick(): void {
    this.timer = null;
    const reason = this.check();
    if (reason !== null) {
      this.fired = true;
      this.deps.onStall(reason);
      return;
    }
    this.arm();
  }

  /** The reason to give up, or null when all is well. */
  private check(): string | null {
    const { clock, stallAfterMs } = this.deps;
    const now = clock.monotonic();
    const lateness = now - this.expectedAt;
    if (lateness > this.lagThresholdMs) {
      this.lateSince ??= this.expectedAt;
      if (now - this.lateSince >= stallAfterMs) {
        return `event loop stalled: timers late by up to ${Math.round(lateness)} ms for ${Math.round((now - this.lateSince) / 1000)} s`;
      }
    } else {
      this.lateSince = null;
    }

    const p = this.deps.progress();
    if (p === null || p.devices === 0) {
      // No agent (a reload) or no device to poll: nothing to expect; start counting afresh.
      this.lastCompleted = null;
      this.lastProgressAt = now;
      return null;
    }
    if (this.lastCompleted === null) {
      // The first look after a start or a reload: a baseline, not yet progress.
      this.lastCompleted = p.completed;
    } else if (p.completed !== this.lastCompleted) {
      this.lastCompleted = p.completed;
      this.lastProgressAt = now;
      return null;
    }
    const windowMs = Math.max(3 * p.longestIntervalMs, stallAfterMs);
    if (now - this.lastProgressAt >= windowMs) {
      return `acquisition stalled: no poll completed for ${Math.round((now - this.lastProgressAt) / 1000)} s (limit ${Math.round(windowMs / 1000)} s)`;
    }
    return null;
  }
}
