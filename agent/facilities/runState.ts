import type { DataFlag } from '../core/reading.js';

/**
 * The run state of one facility from its power (or current), as a pure state machine: time comes
 * only with the samples and with advance(now), so tests drive it without a clock (docs/facilities.md).
 *
 * - running at or above `threshold`; stopped below `threshold - hysteresis`; in between the state
 *   stays what it was (no flapping at the threshold).
 * - Between running and stopped a new state counts only once every sample held it for
 *   `minDurationMs`; its `since` is the first sample of the run, not the moment it was confirmed.
 * - From unknown (at start, after a gap) the first valid sample sets the state at once: there is
 *   nothing to debounce against, and an operator wants to see the state as soon as it is measured.
 * - unknown once no valid sample came for `unknownAfterMs` (a value of null or flag B is not valid).
 */

export type RunState = 'running' | 'stopped' | 'unknown';

export interface RunStateSettings {
  threshold: number;
  hysteresis: number;
  minDurationMs: number;
  unknownAfterMs: number;
}

export interface PowerSample {
  ts: number;
  value: number | null;
  flag: DataFlag;
}

export interface RunTransition {
  from: RunState;
  to: RunState;
  /** When the new state began (the first sample of it; for unknown: the last valid sample + unknownAfterMs). */
  since: number;
}

export class RunStateMachine {
  private readonly settings: RunStateSettings;
  private current: RunState = 'unknown';
  private currentSince: number | null = null;
  private lastValidTs: number | null = null;
  private lastPower: number | null = null;
  private candidate: { state: 'running' | 'stopped'; since: number } | null = null;

  constructor(settings: RunStateSettings) {
    this.settings = settings;
  }

  get state(): RunState {
    return this.current;
  }

  /** When the current state began; null while unknown from the start. */
  get since(): number | null {
    return this.currentSince;
  }

  /** The last valid power, null while the state is unknown. */
  get power(): number | null {
    return this.current === 'unknown' ? null : this.lastPower;
  }

  /** Feeds one sample; returns the transition it caused, if any. */
  observe(sample: PowerSample): RunTransition | null {
    const valid = sample.value !== null && Number.isFinite(sample.value) && sample.flag !== 'B';
    if (!valid) return this.advance(sample.ts);
    const value = sample.value as number;
    this.lastValidTs = sample.ts;
    this.lastPower = value;
    const { threshold, hysteresis, minDurationMs } = this.settings;
    const side = value >= threshold ? 'running' : value < threshold - hysteresis ? 'stopped' : null;
    if (this.current === 'unknown') {
      this.candidate = null;
      return this.change(side ?? 'stopped', sample.ts);
    }
    if (side === null || side === this.current) {
      this.candidate = null;
      return null;
    }
    if (this.candidate?.state !== side) this.candidate = { state: side, since: sample.ts };
    if (sample.ts - this.candidate.since < minDurationMs) return null;
    const since = this.candidate.since;
    this.candidate = null;
    return this.change(side, since);
  }

  /** Lets time pass without a valid sample: unknown once the last one is older than unknownAfterMs. */
  advance(now: number): RunTransition | null {
    if (this.current === 'unknown' || this.lastValidTs === null) return null;
    const deadline = this.lastValidTs + this.settings.unknownAfterMs;
    if (now < deadline) return null;
    this.candidate = null;
    return this.change('unknown', deadline);
  }

  private change(to: RunState, since: number): RunTransition {
    const from = this.current;
    this.current = to;
    this.currentSince = since;
    return { from, to, since };
  }
}
