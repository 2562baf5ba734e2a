import { QC_TESTS, type QcCode, type QcResults } from '../core/reading.js';

/**
 * QARTOD result codes (U.S. IOOS, as ioos_qc implements them) and how several results combine.
 * The codes are a contract upstream: 1 pass, 2 not evaluated, 3 suspect, 4 fail, 9 missing.
 */
export const QC = { pass: 1, notEvaluated: 2, suspect: 3, fail: 4, missing: 9 } as const satisfies Record<
  string,
  QcCode
>;

/** Precedence for "the worst result": missing < not evaluated < pass < suspect < fail (ioos_qc). */
const RANK: Record<QcCode, number> = { 9: 0, 2: 1, 1: 2, 3: 3, 4: 4 };

/** The worst of several results; not evaluated (2) when there are none. */
export function worstQc(codes: Iterable<QcCode>): QcCode {
  let worst: QcCode | undefined;
  for (const c of codes) if (worst === undefined || RANK[c] > RANK[worst]) worst = c;
  return worst ?? QC.notEvaluated;
}

/** The aggregate result of every check of a reading. */
export function overallQc(qc: QcResults): QcCode {
  return worstQc(QC_TESTS.map((t) => qc[t]));
}

/** Results of a reading without a value: every check is missing (9), whatever is configured. */
export const MISSING_RESULTS: QcResults = Object.freeze({ gross: 9, range: 9, spike: 9, roc: 9, flat: 9 });

/**
 * The results as they go upstream: the five checks in a fixed key order, `repeat` only when true.
 * For the readings payload (the uplink owns the envelope).
 */
export function qcPayload(qc: QcResults): Record<string, QcCode | boolean> {
  const out: Record<string, QcCode | boolean> = {};
  for (const t of QC_TESTS) out[t] = qc[t];
  if (qc.repeat) out.repeat = true;
  return out;
}
