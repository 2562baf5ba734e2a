import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeqRanges } from '../../../scripts/receiver/seqRanges.js';

describe('receiver seq ranges', () => {
  it('merges contiguous seqs, reports duplicates and the gaps between ranges with their neighbours’ times', () => {
    const r = new SeqRanges();
    for (const s of [1, 2, 3, 7, 8, 5]) expect(r.add(s, s * 1000)).toBe(true);
    expect(r.add(2, 0)).toBe(false);
    expect(r.ranges).toEqual([
      { from: 1, to: 3, fromTs: 1000, toTs: 3000 },
      { from: 5, to: 5, fromTs: 5000, toTs: 5000 },
      { from: 7, to: 8, fromTs: 7000, toTs: 8000 },
    ]);
    expect(r.gaps()).toEqual([
      { from: 4, to: 4, afterTs: 3000, beforeTs: 5000 },
      { from: 6, to: 6, afterTs: 5000, beforeTs: 7000 },
    ]);
    r.add(4, 4000);
    r.add(6, 6000);
    expect(r.ranges).toEqual([{ from: 1, to: 8, fromTs: 1000, toTs: 8000 }]);
    expect(r.gaps()).toEqual([]);
  });

  it('holds exactly the seqs added, in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 300 }), (seqs) => {
        const r = new SeqRanges();
        const seen = new Set<number>();
        for (const s of seqs) {
          expect(r.add(s, s)).toBe(!seen.has(s));
          seen.add(s);
        }
        for (let s = 1; s <= 200; s++) expect(r.has(s)).toBe(seen.has(s));
        for (let i = 1; i < r.ranges.length; i++)
          expect(r.ranges[i]!.from).toBeGreaterThan(r.ranges[i - 1]!.to + 1);
      }),
    );
  });
});
