import type { ChannelQcConfig } from '../config/qualitySchema.js';
import type { QcResults } from '../core/reading.js';
import {
  flatLineTest,
  grossRangeTest,
  measuringRangeTest,
  rateOfChangeTest,
  type Sample,
  spikeTest,
} from './checks.js';
import { MISSING_RESULTS, QC } from './qcCodes.js';

/**
 * The checks of one channel over time. It keeps the samples of the current unbroken stretch: a
 * stretch ends (and spike, rate of change and flat line start over, answering 2 until they have
 * enough history) when
 * - the time since the previous sample exceeds `maxGap` (outage, restart, forward clock step),
 * - time goes backwards or stands still (backward clock step),
 * - the reading is out of service (calibration, maintenance, fault, ...): those values are not the
 *   process, and comparing the first normal value with a span gas would be a false spike.
 * A null value (nothing read) is missing (9) for every check and leaves the stretch alone: only the
 * time to the next real sample decides whether it was a gap.
 *
 * Cycle-based channels (`cycleMs`): the register keeps the last cycle's result between cycles, so
 * most polls see the same result again. A repeat gets the results of its cycle's first sample and
 * `repeat: true`, and does not enter the history (a flat line of repeats is not a flat signal).
 */

export interface ChannelQcOptions {
  qc?: ChannelQcConfig;
  /** The device's poll interval, ms. */
  intervalMs: number;
  /** Analyzer cycle, ms, for cycle-based channels. */
  cycleMs?: number;
}

export interface QcInput {
  ts: number;
  value: number | null;
  /** False for readings flagged other than N or T: their values are not compared with the process. */
  inService: boolean;
  /** When the analyzer made the measurement, if it says so (cycle analyzers): same time = same cycle. */
  measuredAt?: number | null;
}

/** A sample already stored, to restore the history after a restart. */
export interface QcHistoryEntry {
  ts: number;
  value: number | null;
  inService: boolean;
  qc?: QcResults;
}

/** Gap factor: two missed polls in a row (3 intervals between samples) break a stretch, one does not. */
export const DEFAULT_GAP_FACTOR = 2.5;

export class ChannelQc {
  private readonly cfg: ChannelQcConfig;
  private readonly cycleMs: number | undefined;
  private readonly maxGapMs: number;
  /** How far back the flat-line test looks; older samples are dropped. */
  private readonly windowMs: number;
  private history: Sample[] = [];
  /** The current cycle's first sample, for repeat detection. */
  private cycle: { ts: number; value: number; measuredAt: number | null; results: QcResults } | null = null;

  constructor(opts: ChannelQcOptions) {
    this.cfg = opts.qc ?? {};
    this.cycleMs = opts.cycleMs;
    this.maxGapMs = this.cfg.maxGap ?? DEFAULT_GAP_FACTOR * (opts.cycleMs ?? opts.intervalMs);
    this.windowMs = Math.max(this.cfg.flatLine?.fail ?? 0, this.cfg.flatLine?.suspect ?? 0);
  }

  /**
   * How far back a restart should replay stored readings (prime): the flat-line window, enough gap
   * lengths to hold the 3 samples the spike test needs, and one cycle for repeat detection.
   */
  get lookbackMs(): number {
    return Math.max(this.windowMs, 4 * this.maxGapMs, this.cycleMs ?? 0);
  }

  evaluate(input: QcInput): QcResults {
    const { ts, value, inService } = input;
    if (value === null) return MISSING_RESULTS;
    const measuredAt = input.measuredAt ?? null;
    if (this.isRepeat(ts, value, measuredAt)) return { ...this.cycle!.results, repeat: true };

    const gross = grossRangeTest(value, this.cfg.grossRange);
    const range = measuringRangeTest(value, this.cfg.measuringRange);
    let results: QcResults;
    if (!inService) {
      this.history = [];
      results = { gross, range, spike: QC.notEvaluated, roc: QC.notEvaluated, flat: QC.notEvaluated };
    } else {
      const sample = { ts, value };
      this.breakStretchIfGap(ts);
      const prev = this.history.at(-1);
      results = {
        gross,
        range,
        spike: spikeTest(
          value,
          this.history.slice(-3).map((s) => s.value),
          this.cfg.spike,
        ),
        roc: rateOfChangeTest(sample, prev, this.cfg.rateOfChange),
        flat: flatLineTest(sample, this.history, this.cfg.flatLine),
      };
      this.push(sample);
    }
    if (this.cycleMs !== undefined) this.cycle = { ts, value, measuredAt, results };
    return results;
  }

  /**
   * Restores the stretch from stored readings (oldest first) without evaluating them again: their
   * results are already stored. Replaying the same rules keeps the state equal to an unbroken run.
   */
  prime(entries: readonly QcHistoryEntry[]): void {
    for (const e of entries) {
      if (e.value === null || e.qc?.repeat) continue;
      if (!e.inService) {
        this.history = [];
      } else {
        this.breakStretchIfGap(e.ts);
        this.push({ ts: e.ts, value: e.value });
      }
      if (this.cycleMs !== undefined && e.qc) {
        // The stored measurement time is not kept, so a restart falls back to value + cycle length.
        this.cycle = { ts: e.ts, value: e.value, measuredAt: null, results: e.qc };
      }
    }
  }

  /**
   * Same cycle: the analyzer's measurement time is unchanged when it reports one; otherwise the same
   * value within one cycle length of the cycle's first sample. (An identical result of the next cycle
   * counts again once a cycle length has passed.)
   */
  private isRepeat(ts: number, value: number, measuredAt: number | null): boolean {
    const c = this.cycle;
    if (this.cycleMs === undefined || c === null || ts < c.ts) return false;
    if (measuredAt !== null && c.measuredAt !== null) return measuredAt === c.measuredAt;
    return value === c.value && ts - c.ts < this.cycleMs;
  }

  private breakStretchIfGap(ts: number): void {
    const prev = this.history.at(-1);
    if (prev && (ts <= prev.ts || ts - prev.ts > this.maxGapMs)) this.history = [];
  }

  /** Keeps what the checks need: 3 samples for spike, and the flat-line window plus one sample before it. */
  private push(sample: Sample): void {
    this.history.push(sample);
    const from = sample.ts - this.windowMs;
    while (this.history.length > 3 && this.history[1]!.ts <= from) this.history.shift();
  }
}
