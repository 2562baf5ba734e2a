/** HJ 212 data flags: N normal, F stopped, M maintenance, S manual, D fault, C calibration, T over range, B comms failure. */
export const DATA_FLAGS = ['N', 'F', 'M', 'S', 'D', 'C', 'T', 'B'] as const;
export type DataFlag = (typeof DATA_FLAGS)[number];

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
}

/** A reading once committed to the store. `seq` is per station, strictly increasing, never reused. */
export interface StoredReading extends NewReading {
  seq: number;
}
