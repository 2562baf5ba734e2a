import { describe, expect, it } from 'vitest';
import {
  evaluatePair,
  type FacilitySnapshot,
  initialPair,
} from '../../../agent/facilities/alarmEvaluator.js';

const M = 60_000;
const running = (since: number, power = 20): FacilitySnapshot => ({ state: 'running', since, power });
const stopped = (since: number): FacilitySnapshot => ({ state: 'stopped', since, power: 0 });
const unknown: FacilitySnapshot = { state: 'unknown', since: null, power: null };

describe('facility alarm evaluator', () => {
  it('starts once production ran with the treatment stopped for the delay, not before', () => {
    const pair = initialPair();
    const inputs = { production: running(0), treatment: stopped(2 * M) };
    expect(evaluatePair(pair, inputs, 5 * M, 3 * M)).toBeNull();
    expect(evaluatePair(pair, inputs, 5 * M, 7 * M - 1)).toBeNull();
    expect(evaluatePair(pair, inputs, 5 * M, 7 * M)).toEqual({
      type: 'start',
      since: 2 * M,
      fault: 'stopped',
    });
    expect(evaluatePair(pair, inputs, 5 * M, 8 * M)).toBeNull(); // once
  });

  it('ends when the treatment resumes, or when production stops', () => {
    const pair = initialPair();
    evaluatePair(pair, { production: running(0), treatment: stopped(0) }, 0, M);
    expect(evaluatePair(pair, { production: running(0), treatment: running(2 * M) }, 0, 2 * M)).toEqual({
      type: 'end',
      since: 0,
      reason: 'treatment-resumed',
    });
    evaluatePair(pair, { production: running(0), treatment: stopped(3 * M) }, 0, 3 * M);
    expect(pair.open).toEqual({ since: 3 * M, fault: 'stopped' });
    expect(evaluatePair(pair, { production: stopped(4 * M), treatment: stopped(3 * M) }, 0, 4 * M)).toEqual({
      type: 'end',
      since: 3 * M,
      reason: 'production-stopped',
    });
  });

  it('nothing while production is stopped, and a resumed treatment within the delay raises nothing', () => {
    const pair = initialPair();
    expect(evaluatePair(pair, { production: stopped(0), treatment: stopped(0) }, M, 10 * M)).toBeNull();
    expect(
      evaluatePair(pair, { production: running(10 * M), treatment: stopped(0) }, 5 * M, 11 * M),
    ).toBeNull();
    expect(
      evaluatePair(pair, { production: running(10 * M), treatment: running(12 * M) }, 5 * M, 12 * M),
    ).toBeNull();
    expect(
      evaluatePair(pair, { production: running(10 * M), treatment: running(12 * M) }, 5 * M, 20 * M),
    ).toBeNull();
  });

  it('minLoad: a treatment running below it counts as not running, from when it was first seen below', () => {
    const pair = initialPair();
    const low = { production: running(0), treatment: running(0, 2), minLoad: 5 };
    expect(evaluatePair(pair, low, 5 * M, M)).toBeNull();
    expect(evaluatePair(pair, low, 5 * M, 6 * M)).toEqual({
      type: 'start',
      since: M,
      fault: 'below-min-load',
    });
    const full = { ...low, treatment: running(0, 6) };
    expect(evaluatePair(pair, full, 5 * M, 7 * M)).toEqual({
      type: 'end',
      since: M,
      reason: 'treatment-resumed',
    });
  });

  it('unknown states neither start nor end an alarm, and interrupt a pending delay', () => {
    const pair = initialPair();
    evaluatePair(pair, { production: running(0), treatment: stopped(0) }, 5 * M, 4 * M);
    expect(evaluatePair(pair, { production: running(0), treatment: unknown }, 5 * M, 6 * M)).toBeNull();
    expect(pair.open).toBeNull();
    const open = initialPair({ since: 0, fault: 'stopped' });
    expect(evaluatePair(open, { production: unknown, treatment: stopped(0) }, 5 * M, 60 * M)).toBeNull();
    expect(open.open).toEqual({ since: 0, fault: 'stopped' });
    // A restored alarm is not started again when the condition still holds.
    expect(
      evaluatePair(open, { production: running(59 * M), treatment: stopped(59 * M) }, 5 * M, 70 * M),
    ).toBeNull();
  });
});
