import { describe, expect, it } from 'vitest';
import { BatchTiming } from '../../../agent/uplink/batchTiming.js';

describe('BatchTiming', () => {
  it('is due at once for a backlog committed before start, and for a full batch', () => {
    const t = new BatchTiming({ maxReadings: 10, maxDelay: 1000 });
    expect(t.dueAt(0)).toBeNull();
    t.noteExisting(3);
    expect(t.dueAt(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(t.dueAt(3)).toBeNull();
    t.noteCommitted(4, 5, 100);
    expect(t.dueAt(3)).toBe(1100);
    t.noteCommitted(6, 13, 200);
    expect(t.dueAt(3)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('keeps only the commit times that can still matter', () => {
    const t = new BatchTiming({ maxReadings: 1_000_000, maxDelay: 1000 });
    for (let i = 1; i <= 10_000; i++) t.noteCommitted(i, i, i * 10);
    // Everything older than 1 s is due anyway: at most ~100 entries of the last second remain.
    expect((t as unknown as { commits: unknown[] }).commits.length).toBeLessThanOrEqual(102);
    expect(t.dueAt(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(t.dueAt(9999)).toBe(101_000);
  });
});
