import type { DataFlag } from '../core/reading.js';

/**
 * The HJ 212 flag of one reading, from facts only. The flag says what the instrument and the station
 * were doing; the automatic checks are an opinion about the value and travel beside it as QARTOD
 * results, never folded into the flag: a gross-range fail is not an instrument fault (D), and
 * HJ 212 has no "suspect". Precedence, first match wins:
 *
 *   1. the instrument's own flag, when not N: B (no answer), D (fault or invalid value), F, M, C, S,
 *      as acquisition set it from the status register/bits;
 *   2. a calibration/maintenance window: a scheduled one, or the settling time after a C/M stretch
 *      (calibrationWindows.ts), C or M;
 *   3. T when the value is above the instrument's measuring range;
 *   4. N.
 *
 * The instrument comes first because it knows: a fault during a scheduled zero/span is still a fault.
 */

export type WindowFlag = 'C' | 'M';

/** Why a reading is inside a window: `settling` covers the time after a C/M stretch ended. */
export type WindowSource = 'schedule' | 'settling';

export interface ActiveWindow {
  flag: WindowFlag;
  source: WindowSource;
}

export interface FlagFacts {
  /** The flag acquisition gave the reading (instrument state, B, D). */
  instrument: DataFlag;
  window: ActiveWindow | null;
  overRange: boolean;
}

export function resolveFlag(facts: FlagFacts): DataFlag {
  if (facts.instrument !== 'N') return facts.instrument;
  if (facts.window) return facts.window.flag;
  if (facts.overRange) return 'T';
  return 'N';
}

/** N and T readings measure the process; the others do not feed spike, rate of change or flat line. */
export function inService(flag: DataFlag): boolean {
  return flag === 'N' || flag === 'T';
}
