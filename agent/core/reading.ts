/** HJ 212 data flags: N normal, F stopped, M maintenance, S manual, D fault, C calibration, T over range, B comms failure. */
export const DATA_FLAGS = ['N', 'F', 'M', 'S', 'D', 'C', 'T', 'B'] as const;
export type DataFlag = (typeof DATA_FLAGS)[number];

/** QARTOD result of one automatic check: 1 pass, 2 not evaluated, 3 suspect, 4 fail, 9 missing. */
export type QcCode = 1 | 2 | 3 | 4 | 9;
/** The automatic checks every reading gets (agent/quality, docs/quality.md); the names are a contract. */
export const QC_TESTS = ['gross', 'range', 'spike', 'roc', 'flat'] as const;
export type QcTest = (typeof QC_TESTS)[number];
/**
 * The result of each check of one reading, kept beside the HJ 212 flag (never folded into it).
 * `repeat`: the value is the same analyzer cycle as the previous sample, not a new sample.
 */
export type QcResults = { readonly [T in QcTest]: QcCode } & { readonly repeat?: boolean };

/** A reading as produced by acquisition, before the store gives it a sequence number. */
export interface NewReading {
  /** Acquisition time, epoch milliseconds UTC (wall clock). */
  ts: number;
  device: string;
  channel: string;
  /** HJ 212 factor code, e.g. w01018. */
  code: string | null;
  /** Decoded engineering value; null when nothing valid was read (flag B). */
  value: number | null;
  unit: string | null;
  flag: DataFlag;
  /** Automatic check results (agent/quality); absent when no check ran. */
  qc?: QcResults;
  /** Instrument state value (status register/bits) at acquisition; absent or null when unknown. */
  state?: number | null;
}

/** A reading once committed to the store. `seq` is per station, strictly increasing, never reused. */
export interface StoredReading extends NewReading {
  seq: number;
}
