import { describe, expect, it } from 'vitest';
import type { QcCode } from '../../../agent/core/reading.js';
import { MISSING_RESULTS, overallQc, qcPayload, worstQc } from '../../../agent/quality/qcCodes.js';

describe('worstQc (missing < not evaluated < pass < suspect < fail)', () => {
  it.each([
    [[1, 1, 1], 1],
    [[1, 2], 1], // a check that could not run does not make a passed reading "not evaluated"
    [[9, 2], 2],
    [[9, 1], 1],
    [[1, 3, 2], 3],
    [[3, 4, 1, 9], 4],
    [[9, 9], 9],
    [[], 2],
  ] as [QcCode[], QcCode][])('%j -> %s', (codes, expected) => {
    expect(worstQc(codes)).toBe(expected);
  });

  it('combines the checks of a reading', () => {
    expect(overallQc({ gross: 1, range: 2, spike: 3, roc: 1, flat: 2 })).toBe(3);
    expect(overallQc(MISSING_RESULTS)).toBe(9);
  });

  it('puts the checks upstream in a fixed order, repeat only when set', () => {
    expect(JSON.stringify(qcPayload({ flat: 2, roc: 1, spike: 1, range: 1, gross: 4 }))).toBe(
      '{"gross":4,"range":1,"spike":1,"roc":1,"flat":2}',
    );
    expect(qcPayload({ ...MISSING_RESULTS, repeat: true })).toMatchObject({ repeat: true });
  });
});
