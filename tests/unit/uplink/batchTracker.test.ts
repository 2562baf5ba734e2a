import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchTracker } from '../../../agent/uplink/batchTracker.js';

describe('BatchTracker', () => {
  it('advances over a contiguous prefix of acknowledged batches only', () => {
    const t = new BatchTracker(100);
    const a = t.add(101, 200, 100);
    const b = t.add(201, 300, 100);
    const c = t.add(301, 350, 50);
    expect(t.size).toBe(3);
    expect(t.publishedUpTo).toBe(350);
    // Out of order: b and c are acknowledged, a is not; the cursor must not skip a.
    expect(t.confirm(c)).toBeNull();
    expect(t.confirm(b)).toBeNull();
    expect(t.confirmedUpTo).toBe(100);
    expect(t.awaiting).toBe(1);
    expect(t.size).toBe(3);
    expect(t.confirm(a)).toBe(350);
    expect(t.size).toBe(0);
    expect(t.publishedUpTo).toBe(350);
  });

  it('forgets in-flight batches on reset and ignores their late acks', () => {
    const t = new BatchTracker(0);
    const a = t.add(1, 10, 10);
    t.add(11, 20, 10);
    t.reset(0);
    expect(t.size).toBe(0);
    expect(t.publishedUpTo).toBe(0);
    // Resent after the reconnect: the same seqs, new batch ids.
    const a2 = t.add(1, 10, 10);
    expect(t.confirm(a)).toBeNull();
    expect(t.confirmedUpTo).toBe(0);
    expect(t.confirm(a2)).toBe(10);
  });

  it('refuses a batch that does not follow the last one', () => {
    const t = new BatchTracker(5);
    expect(() => t.add(5, 9, 5)).toThrow(RangeError);
    t.add(6, 9, 4);
    expect(() => t.add(8, 12, 5)).toThrow(RangeError);
    expect(() => t.add(12, 11, 0)).toThrow(RangeError);
  });

  it('never passes an unacknowledged batch, whatever the ack order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 12 }),
        fc.func(fc.integer()),
        (sizes, key) => {
          const t = new BatchTracker(0);
          let next = 1;
          const batches = sizes.map((n) => {
            const b = t.add(next, next + n - 1, n);
            next += n;
            return b;
          });
          const order = [...batches].sort((x, y) => key(x.id) - key(y.id) || x.id - y.id);
          const acked = new Set<number>();
          for (const b of order) {
            t.confirm(b);
            acked.add(b.id);
            const firstPending = batches.find((x) => !acked.has(x.id));
            expect(t.confirmedUpTo).toBe(firstPending ? firstPending.firstSeq - 1 : next - 1);
          }
          expect(t.size).toBe(0);
        },
      ),
    );
  });
});
