import type { Dlt645Protocol } from './dataIdentifiers.js';

/**
 * The error byte of an abnormal answer (2007: D1/D2, 1997: C1), one flag per bit, and the
 * client's own error codes. Bit meanings: 2007 and 1997 differ (1997 has no "other error" bit
 * and reports a wrong identifier itself); a bit with no name is kept as `bitN`, never dropped.
 */

export type MeterErrorName =
  | 'other'
  | 'no-such-data'
  | 'unauthorised'
  | 'baud-rate-unchangeable'
  | 'year-zones-exceeded'
  | 'day-periods-exceeded'
  | 'tariffs-exceeded'
  | 'illegal-data'
  | 'wrong-identifier'
  | 'wrong-password'
  | `bit${number}`;

const BITS_2007: (MeterErrorName | undefined)[] = [
  'other',
  'no-such-data',
  'unauthorised',
  'baud-rate-unchangeable',
  'year-zones-exceeded',
  'day-periods-exceeded',
  'tariffs-exceeded',
];

const BITS_1997: (MeterErrorName | undefined)[] = [
  undefined,
  'illegal-data',
  'wrong-identifier',
  'wrong-password',
  'year-zones-exceeded',
  'day-periods-exceeded',
  'tariffs-exceeded',
];

/** Named flags of an error byte, lowest bit first; an error byte of 0 names nothing. */
export function decodeMeterErrorByte(byte: number, protocol: Dlt645Protocol = '2007'): MeterErrorName[] {
  const names = protocol === '2007' ? BITS_2007 : BITS_1997;
  const out: MeterErrorName[] = [];
  for (let bit = 0; bit < 8; bit++) {
    if ((byte & (1 << bit)) !== 0) out.push(names[bit] ?? `bit${bit}`);
  }
  return out;
}

/** Bit value of a named 2007 error (for the simulator). */
export function meterErrorBit(name: MeterErrorName, protocol: Dlt645Protocol = '2007'): number {
  const names = protocol === '2007' ? BITS_2007 : BITS_1997;
  const bit = names.indexOf(name);
  if (bit < 0) throw new RangeError(`no DL/T 645-${protocol} error bit named ${name}`);
  return 1 << bit;
}

/** Stable codes of the client's failures (documented in docs/dlt645.md). */
export type Dlt645ErrorCode =
  /** No valid answer within the timeout, after every retry. */
  | 'DLT645_TIMEOUT'
  /** The meter answered with an error frame (its flags are in `meterErrors`). */
  | 'DLT645_METER_ERROR'
  /** An answer that cannot be what was asked: wrong length, not BCD, a follow-up out of sequence. */
  | 'DLT645_BAD_ANSWER'
  /** The identifier is not known to the codec (no layout to decode it with). */
  | 'DLT645_UNKNOWN_IDENTIFIER'
  /** Writing to the line failed, or the client was closed. */
  | 'DLT645_LINE_ERROR';

export class Dlt645Error extends Error {
  override readonly name = 'Dlt645Error';
  constructor(
    readonly code: Dlt645ErrorCode,
    message: string,
    readonly meterErrors: MeterErrorName[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
