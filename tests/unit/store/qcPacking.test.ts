import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QcCode, QcResults } from '../../../agent/core/reading.js';
import { isQcResults, packQc, unpackQc } from '../../../agent/store/qcPacking.js';

const code = fc.constantFrom<QcCode>(1, 2, 3, 4);

describe('qc packing (readings.qc on disk)', () => {
  it('keeps the common cases small: all pass = 0, three checks not configured = 21', () => {
    expect(packQc({ gross: 1, range: 1, spike: 1, roc: 1, flat: 1 })).toBe(0);
    expect(packQc({ gross: 1, range: 1, spike: 2, roc: 2, flat: 2 })).toBe(21);
    expect(packQc({ gross: 4, range: 4, spike: 4, roc: 4, flat: 4, repeat: true })).toBeLessThan(2048);
  });

  it('has a fixed layout: gross at bits 6-7, range at 8-9, repeat at bit 10', () => {
    expect(packQc({ gross: 4, range: 1, spike: 1, roc: 1, flat: 1 })).toBe(3 << 6);
    expect(packQc({ gross: 1, range: 3, spike: 1, roc: 1, flat: 1 })).toBe(2 << 8);
    expect(packQc({ gross: 1, range: 1, spike: 1, roc: 1, flat: 1, repeat: true })).toBe(1 << 10);
  });

  it('round-trips every combination; a null value reads back as missing', () => {
    fc.assert(
      fc.property(code, code, code, code, code, fc.boolean(), (gross, range, spike, roc, flat, repeat) => {
        const qc: QcResults = repeat
          ? { gross, range, spike, roc, flat, repeat }
          : { gross, range, spike, roc, flat };
        expect(unpackQc(packQc(qc), false)).toEqual(qc);
      }),
    );
    expect(unpackQc(21, true)).toEqual({ gross: 9, range: 9, spike: 9, roc: 9, flat: 9 });
  });

  it('recognises valid results only', () => {
    expect(isQcResults({ gross: 1, range: 2, spike: 3, roc: 4, flat: 9 })).toBe(true);
    expect(isQcResults({ gross: 1, range: 2, spike: 3, roc: 4 })).toBe(false);
    expect(isQcResults({ gross: 5, range: 2, spike: 3, roc: 4, flat: 1 })).toBe(false);
    expect(isQcResults(null)).toBe(false);
  });
});
