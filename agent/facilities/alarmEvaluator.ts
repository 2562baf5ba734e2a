import type { RunState } from './runState.js';

/**
 * The alarm of one production facility and one treatment facility it requires, as a pure function
 * of their run states and the time (docs/facilities.md):
 *
 * - bad: production running while the treatment is stopped, or running below its `minLoad`;
 * - good: production stopped, or the treatment running at or above `minLoad`;
 * - neither (either state unknown): an open alarm stays open and no new one starts, because
 *   nothing proves the treatment stopped (or resumed) while its meter is silent.
 *
 * The alarm starts once the bad condition lasted `delayMs` (counted from when it began: the later
 * of the production's start and the treatment's stop, as the run states date them) and ends at the
 * first good evaluation.
 */

export interface FacilitySnapshot {
  state: RunState;
  /** When the state began (RunStateMachine.since). */
  since: number | null;
  power: number | null;
}

export interface PairInputs {
  production: FacilitySnapshot;
  treatment: FacilitySnapshot;
  /** The treatment's minLoad, if any. */
  minLoad?: number;
}

export type TreatmentFault = 'stopped' | 'below-min-load';
export type AlarmEndReason = 'treatment-resumed' | 'production-stopped';

export interface PairState {
  /** The open alarm: since when the condition holds. */
  open: { since: number; fault: TreatmentFault } | null;
  /** Since when the bad condition holds (not yet an alarm, or the open one); null when it does not. */
  badSince: number | null;
  /** Since when the running treatment is below minLoad; null when it is not. */
  lowSince: number | null;
}

export type AlarmChange =
  | { type: 'start'; since: number; fault: TreatmentFault }
  | { type: 'end'; since: number; reason: AlarmEndReason };

export function initialPair(open: PairState['open'] = null): PairState {
  return { open, badSince: open?.since ?? null, lowSince: null };
}

/** Evaluates the pair at `now`; updates `pair` and returns the alarm's start or end, if any. */
export function evaluatePair(
  pair: PairState,
  inputs: PairInputs,
  delayMs: number,
  now: number,
): AlarmChange | null {
  const { production, treatment, minLoad } = inputs;
  const below =
    treatment.state === 'running' &&
    minLoad !== undefined &&
    treatment.power !== null &&
    treatment.power < minLoad;
  if (below) pair.lowSince ??= now;
  else pair.lowSince = null;

  const prodRunning = production.state === 'unknown' ? null : production.state === 'running';
  const fault: TreatmentFault | null =
    treatment.state === 'stopped' ? 'stopped' : below ? 'below-min-load' : null;
  const treatmentOk = treatment.state === 'unknown' ? null : fault === null;

  if (prodRunning === true && treatmentOk === false) {
    const treatmentSince = fault === 'stopped' ? (treatment.since ?? now) : (pair.lowSince ?? now);
    pair.badSince ??= Math.max(production.since ?? now, treatmentSince);
    if (pair.open === null && now - pair.badSince >= delayMs) {
      pair.open = { since: pair.badSince, fault: fault as TreatmentFault };
      return { type: 'start', since: pair.badSince, fault: fault as TreatmentFault };
    }
    return null;
  }
  pair.badSince = pair.open?.since ?? null;
  if (prodRunning === false || treatmentOk === true) {
    pair.badSince = null;
    if (pair.open === null) return null;
    const since = pair.open.since;
    pair.open = null;
    return { type: 'end', since, reason: prodRunning === false ? 'production-stopped' : 'treatment-resumed' };
  }
  return null;
}
