import type { Dlt645Protocol } from './dataIdentifiers.js';

/**
 * The error byte of an abnormal answer (2007: D1/D2, 1997: C1), one flag per bit, and the
 * client's own error codes. Bit meanings (2007: bit 0 other, 1 no such data, 2 password or
 * unauthorised, 3 baud rate cannot change, 4–6 year zones / day periods / tariffs exceeded) agree
 * across several independent public implementations; a bit with no name is kept as `bitN`.
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

// 1997: the same positions carry the older names (bit 1 the identifier, bit 2 the password); bit 3
// has no meaning there. Two independent public implementations agree on this layout.
const BITS_1997: (MeterErrorName | undefined)[] = [
  'illegal-data',
  'wrong-identifier',
  'wrong-password',
  undefined,
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

/**
 * Stable codes of the client's failures (each documented in docs/errors.md; a test checks it):
 * DLT645_TIMEOUT no valid answer within the timeout after every resend; DLT645_METER_ERROR the
 * meter sent an error answer (flags in `meterErrors`); DLT645_BAD_ANSWER an answer that cannot be
 * what was asked (wrong length, not BCD, a follow-up out of sequence); DLT645_UNKNOWN_IDENTIFIER
 * no layout for the identifier in the codec; DLT645_LINE_ERROR writing failed or the client is closed.
 */
export const DLT645_ERROR_CODES = [
  'DLT645_TIMEOUT',
  'DLT645_METER_ERROR',
  'DLT645_BAD_ANSWER',
  'DLT645_UNKNOWN_IDENTIFIER',
  'DLT645_LINE_ERROR',
] as const;

export type Dlt645ErrorCode = (typeof DLT645_ERROR_CODES)[number];

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
