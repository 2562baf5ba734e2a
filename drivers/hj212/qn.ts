import { DEFAULT_TIME_ZONE, formatHjTime } from './time.js';

/** Hands out QNs: `yyyyMMddHHmmssSSS` in station local time, never the same twice in a row. */
export interface QnSource {
  next(): string;
}

/** How far back the wall clock may step before QNs follow it instead of running ahead of it. */
const STEP_BACK_TOLERANCE_MS = 1000;

/**
 * A QN is the id that pairs an answer with its request, so two requests in the same millisecond must
 * still differ: a repeated or slightly earlier instant is bumped to 1 ms after the last one. A large
 * backward step (the platform just set the clock with 1012, the RTC was wrong at boot) is followed,
 * so QNs do not stay ahead of real time for the rest of the run; only then could an old QN recur.
 */
export function createQnGenerator(opts: { clock: { now(): number }; timeZone?: string }): QnSource {
  const timeZone = opts.timeZone ?? DEFAULT_TIME_ZONE;
  let last = Number.NEGATIVE_INFINITY;
  return {
    next() {
      const now = Math.floor(opts.clock.now());
      const t = now > last || last - now > STEP_BACK_TOLERANCE_MS ? now : last + 1;
      last = t;
      return formatHjTime(t, { timeZone, millis: true });
    },
  };
}
