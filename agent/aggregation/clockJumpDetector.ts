import type { Clock } from '../core/clock.js';

/**
 * Detects steps of the wall clock (NTP or an operator setting the time) against the monotonic
 * clock, which never jumps. Between two checks both should advance by the same amount; a difference
 * above the tolerance is a step. Slewing (NTP's gradual correction) stays below it and is ignored.
 * A process stall moves both clocks alike, so it is not a jump.
 */

export interface ClockJump {
  kind: 'clock-jump';
  /** Wall time the clock would have shown without the step (epoch ms). */
  from: number;
  /** Wall time it showed instead. */
  to: number;
  /** to − from: positive for a forward step, negative for a backward one. */
  deltaMs: number;
}

/** Steps below this are clock noise and NTP slewing, not events. */
export const DEFAULT_JUMP_TOLERANCE_MS = 2000;

export class ClockJumpDetector {
  private readonly clock: Pick<Clock, 'now' | 'monotonic'>;
  private readonly toleranceMs: number;
  private last: { wall: number; mono: number };

  constructor(deps: { clock: Pick<Clock, 'now' | 'monotonic'>; toleranceMs?: number }) {
    this.clock = deps.clock;
    this.toleranceMs = deps.toleranceMs ?? DEFAULT_JUMP_TOLERANCE_MS;
    this.last = { wall: this.clock.now(), mono: this.clock.monotonic() };
  }

  /** Compares both clocks with the previous check; returns the step since then, if any. */
  check(): ClockJump | null {
    const wall = this.clock.now();
    const mono = this.clock.monotonic();
    const expected = this.last.wall + (mono - this.last.mono);
    this.last = { wall, mono };
    const deltaMs = wall - expected;
    if (Math.abs(deltaMs) <= this.toleranceMs) return null;
    return { kind: 'clock-jump', from: expected, to: wall, deltaMs };
  }
}
