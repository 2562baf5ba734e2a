import type { ChannelQcConfig } from '../config/qualitySchema.js';
import type { QcCode } from '../core/reading.js';
import { QC } from './qcCodes.js';

/**
 * The automatic checks as pure functions of a value and the samples before it (QARTOD semantics:
 * docs/quality.md). None of them knows about gaps: channelQc.ts only hands them samples of one
 * unbroken stretch, which is what keeps an outage from turning into a false spike or flat line.
 * A check that is not configured, or lacks the history it needs, answers "not evaluated" (2).
 * Thresholds are exceeded strictly (> suspect), as in ioos_qc.
 */

export interface Sample {
  /** Epoch ms (wall clock). */
  ts: number;
  value: number;
}

type Span = readonly [number, number];

function outside(value: number, [lo, hi]: Span): boolean {
  return value < lo || value > hi;
}

/** Outside the fail span: 4; outside the suspect span: 3; else 1. */
export function grossRangeTest(value: number, cfg: ChannelQcConfig['grossRange']): QcCode {
  if (!cfg || (!cfg.fail && !cfg.suspect)) return QC.notEvaluated;
  if (cfg.fail && outside(value, cfg.fail)) return QC.fail;
  if (cfg.suspect && outside(value, cfg.suspect)) return QC.suspect;
  return QC.pass;
}

/**
 * Outside the instrument's measuring range: 3 (suspect). Above the upper limit the reading is also
 * flagged T (flagResolution.ts); a fail would make T samples invalid whatever `validFlags` says, and
 * a hard limit is what grossRange.fail is for.
 */
export function measuringRangeTest(value: number, range: Span | undefined): QcCode {
  if (!range) return QC.notEvaluated;
  return outside(value, range) ? QC.suspect : QC.pass;
}

/** True when the value is above the measuring range: the reading is flagged T. */
export function aboveMeasuringRange(value: number | null, range: Span | undefined): boolean {
  return value !== null && range !== undefined && value > range[1];
}

/**
 * One-sided spike test for real time: |x[n] − median(x[n−3], x[n−2], x[n−1])| against the thresholds.
 * The textbook test compares with the mean of both neighbours and so needs x[n+1]; a reading is
 * committed and forwarded before that exists. The median of the three previous samples keeps the
 * sample after an isolated spike from being flagged too (a plain x[n−1] reference would flag it);
 * the price is that the first two samples of a genuine step change are flagged. Needs 3 previous
 * samples of the same stretch, else 2.
 */
export function spikeTest(value: number, previous: readonly number[], cfg: ChannelQcConfig['spike']): QcCode {
  if (!cfg || previous.length < 3) return QC.notEvaluated;
  const [a, b, c] = previous.slice(-3) as [number, number, number];
  const ref = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  return exceeds(Math.abs(value - ref), cfg);
}

/** |x[n] − x[n−1]| / Δt in units per second against the thresholds; 2 without a previous sample. */
export function rateOfChangeTest(
  sample: Sample,
  previous: Sample | undefined,
  cfg: ChannelQcConfig['rateOfChange'],
): QcCode {
  if (!cfg || !previous) return QC.notEvaluated;
  const seconds = (sample.ts - previous.ts) / 1000;
  if (seconds <= 0) return QC.notEvaluated;
  return exceeds(Math.abs(sample.value - previous.value) / seconds, cfg);
}

/**
 * Flat line: how long the values have stayed within `tolerance` of each other (max − min ≤ tolerance),
 * counted back from this sample over `history` (older samples of the same stretch, oldest first).
 * At least `fail` long: 4; at least `suspect`: 3. Shorter: 1 if the window already holds a change,
 * else 2, because a stretch shorter than `suspect` cannot tell a flat signal from a quiet one.
 */
export function flatLineTest(
  sample: Sample,
  history: readonly Sample[],
  cfg: ChannelQcConfig['flatLine'],
): QcCode {
  if (!cfg) return QC.notEvaluated;
  let lo = sample.value;
  let hi = sample.value;
  let flatSince = sample.ts;
  let changed = false;
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i]!;
    lo = Math.min(lo, h.value);
    hi = Math.max(hi, h.value);
    if (hi - lo > cfg.tolerance) {
      changed = true;
      break;
    }
    flatSince = h.ts;
  }
  const flatFor = sample.ts - flatSince;
  if (cfg.fail !== undefined && flatFor >= cfg.fail) return QC.fail;
  if (flatFor >= cfg.suspect) return QC.suspect;
  return changed ? QC.pass : QC.notEvaluated;
}

function exceeds(x: number, t: { suspect?: number; fail?: number }): QcCode {
  if (t.fail !== undefined && x > t.fail) return QC.fail;
  if (t.suspect !== undefined && x > t.suspect) return QC.suspect;
  return QC.pass;
}
