import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReconnectBackoff } from '../../../agent/uplink/reconnectBackoff.js';

describe('ReconnectBackoff', () => {
  it('doubles its ceiling up to max and starts over after reset', () => {
    const b = new ReconnectBackoff({ min: 500, max: 3000, random: () => 1 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000, 3000, 3000]);
    b.reset();
    expect(b.next()).toBe(500);
  });

  it('always stays within [min, max], also with max < min', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 100_000 }),
        fc.integer({ min: 10, max: 100_000 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 1,
          maxLength: 50,
        }),
        (min, max, randoms) => {
          let i = 0;
          const b = new ReconnectBackoff({ min, max, random: () => randoms[i++ % randoms.length]! });
          for (let n = 0; n < 60; n++) {
            const d = b.next();
            expect(d).toBeGreaterThanOrEqual(min);
            expect(d).toBeLessThanOrEqual(Math.max(min, max));
          }
        },
      ),
    );
  });
});
