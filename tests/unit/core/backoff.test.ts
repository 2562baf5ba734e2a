import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBackoff } from '../../../agent/core/backoff.js';

describe('createBackoff', () => {
  it('doubles from min up to max without jitter', () => {
    const b = createBackoff({ minMs: 500, maxMs: 30_000, jitter: 0 });
    expect(Array.from({ length: 9 }, () => b.next())).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(b.attempts).toBe(9);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(500);
  });

  it('jitters below the ceiling, never below min', () => {
    const b = createBackoff({ minMs: 100, maxMs: 10_000, jitter: 0.5, random: () => 1 });
    expect(Array.from({ length: 4 }, () => b.next())).toEqual([100, 100, 200, 400]);
  });

  it('stays within [min, max] for any settings and any number of attempts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        (min, max, jitter, n) => {
          const b = createBackoff({ minMs: min, maxMs: max, jitter });
          for (let i = 0; i < n; i++) {
            const d = b.next();
            expect(d).toBeGreaterThanOrEqual(min);
            expect(d).toBeLessThanOrEqual(Math.max(min, max));
            expect(Number.isFinite(d)).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('treats max below min as min', () => {
    const b = createBackoff({ minMs: 1000, maxMs: 10 });
    expect([b.next(), b.next(), b.next()]).toEqual([1000, 1000, 1000]);
  });
});
