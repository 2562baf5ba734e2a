import type { QcCode, QcResults, QcTest } from '../core/reading.js';

/**
 * On-disk format of a reading's check results (readings.qc): 2 bits per check plus a repeat bit, so
 * the common cases are small integers that SQLite stores in 0 or 1 byte (the store's budget is
 * ~48 bytes per reading). Pass is 0 because "every configured check passed" is the common case.
 * Missing (9) is not stored: it is implied by a null value. Never renumber or move a field: only add
 * fields above bit 10.
 *
 *   bits 0-1 spike · 2-3 roc · 4-5 flat · 6-7 gross · 8-9 range · bit 10 repeat
 *   per check: 0 pass (1) · 1 not evaluated (2) · 2 suspect (3) · 3 fail (4)
 *
 * In SQL: `(qc >> 6) & 3` is the gross-range result, and so on.
 */
const SHIFT: Record<QcTest, number> = { spike: 0, roc: 2, flat: 4, gross: 6, range: 8 };
const REPEAT_BIT = 1 << 10;
const TO_BITS: Record<QcCode, number> = { 1: 0, 2: 1, 3: 2, 4: 3, 9: 1 };
const FROM_BITS: readonly QcCode[] = [1, 2, 3, 4];
const TESTS = Object.keys(SHIFT) as QcTest[];

export function packQc(qc: QcResults): number {
  let bits = qc.repeat ? REPEAT_BIT : 0;
  for (const t of TESTS) bits |= TO_BITS[qc[t]] << SHIFT[t];
  return bits;
}

/** The stored integer back as results; every check is missing (9) when the value is null. */
export function unpackQc(bits: number, valueIsNull: boolean): QcResults {
  const code = (t: QcTest): QcCode => (valueIsNull ? 9 : FROM_BITS[(bits >> SHIFT[t]) & 3]!);
  const results = {
    gross: code('gross'),
    range: code('range'),
    spike: code('spike'),
    roc: code('roc'),
    flat: code('flat'),
  };
  return bits & REPEAT_BIT ? { ...results, repeat: true } : results;
}

/** True when `qc` holds a valid code for every check (a caller bug otherwise). */
export function isQcResults(qc: unknown): qc is QcResults {
  if (typeof qc !== 'object' || qc === null) return false;
  const r = qc as Record<string, unknown>;
  return TESTS.every((t) => r[t] === 1 || r[t] === 2 || r[t] === 3 || r[t] === 4 || r[t] === 9);
}
