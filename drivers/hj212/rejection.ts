import { QN_RTN, type QnRtn } from './codes.js';

/**
 * Why a received frame was not accepted. Decoding never throws: a rejection is a value the connection
 * loop logs, counts and, where the standard has a code for it, answers (9011 QnRtn, see `qnRtnFor`).
 */
export type RejectReason =
  /** Bytes outside any frame (before `##`, or between frames). */
  | 'garbage'
  /** Not shaped like a frame: no `##`, a CRC field that is not 4 hex digits, no end found. */
  | 'bad-frame'
  /** The length field is not 4 digits, or counts neither the bytes nor the characters of the segment. */
  | 'bad-length'
  | 'bad-crc'
  /** The data segment is not valid UTF-8. */
  | 'bad-encoding'
  | 'missing-field'
  /** A header field with an impossible value (CN not 4 digits, Flag not a number, PNO > PNUM…). */
  | 'bad-field'
  /** A CP item that is not `Key=Value`. */
  | 'bad-cp'
  /** The connection ended in the middle of a frame. */
  | 'truncated';

/** Header fields read on a best-effort basis, so even a rejected frame can be answered with its QN. */
export interface HeaderHint {
  qn?: string;
  st?: string;
  cn?: string;
  pw?: string;
  mn?: string;
  flag?: number;
}

export interface Rejection {
  ok: false;
  reason: RejectReason;
  /** For people: what was expected and what was found. */
  detail: string;
  /** The header field concerned, for missing-field and bad-field. */
  field?: string;
  header?: HeaderHint;
}

export type Result<T> = { ok: true; value: T } | Rejection;

export function reject(
  reason: RejectReason,
  detail: string,
  extra: { field?: string; header?: HeaderHint } = {},
): Rejection {
  return { ok: false, reason, detail, ...extra };
}

const QN_RTN_BY_FIELD: Record<string, QnRtn> = {
  QN: QN_RTN.wrongQn,
  ST: QN_RTN.wrongSt,
  CN: QN_RTN.wrongCn,
  PW: QN_RTN.wrongPassword,
  MN: QN_RTN.wrongMn,
  Flag: QN_RTN.wrongFlag,
};

/**
 * The 9011 QnRtn that answers a rejected frame, or undefined when it deserves no answer: without a
 * trustworthy frame boundary (garbage, bad length, truncated) the header cannot be trusted either.
 */
export function qnRtnFor(rejection: Rejection): QnRtn | undefined {
  switch (rejection.reason) {
    case 'bad-crc':
      return QN_RTN.wrongCrc;
    case 'missing-field':
    case 'bad-field':
      return QN_RTN_BY_FIELD[rejection.field ?? ''] ?? QN_RTN.unknown;
    case 'bad-encoding':
    case 'bad-cp':
      return QN_RTN.unknown;
    case 'garbage':
    case 'bad-frame':
    case 'bad-length':
    case 'truncated':
      return undefined;
  }
}
