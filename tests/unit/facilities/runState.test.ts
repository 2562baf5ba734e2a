import { describe, expect, it } from 'vitest';
import { type RunState, RunStateMachine } from '../../../agent/facilities/runState.js';

const S = 1000;
const machine = (minDurationMs = 30 * S) =>
  new RunStateMachine({ threshold: 10, hysteresis: 2, minDurationMs, unknownAfterMs: 60 * S });

/** Feeds [seconds, value] samples; returns the states after each. */
function run(m: RunStateMachine, samples: [number, number | null][]): RunState[] {
  return samples.map(([s, value]) => {
    m.observe({ ts: s * S, value, flag: value === null ? 'B' : 'N' });
    return m.state;
  });
}

describe('run state machine', () => {
  it('starts unknown and takes the first valid sample at once', () => {
    const m = machine();
    expect(m.state).toBe('unknown');
    expect(m.observe({ ts: 5 * S, value: 12, flag: 'N' })).toEqual({
      from: 'unknown',
      to: 'running',
      since: 5 * S,
    });
    expect(m.power).toBe(12);
    const stopped = machine();
    expect(run(stopped, [[0, 9]])).toEqual(['stopped']); // in the hysteresis band, below threshold: not running
  });

  it('changes only after the new side held minDuration, dated from its first sample', () => {
    const m = machine();
    run(m, [[0, 0]]);
    expect(
      run(m, [
        [10, 11],
        [20, 12],
        [39, 15],
      ]),
    ).toEqual(['stopped', 'stopped', 'stopped']);
    expect(m.observe({ ts: 40 * S, value: 15, flag: 'N' })).toEqual({
      from: 'stopped',
      to: 'running',
      since: 10 * S,
    });
    expect(m.since).toBe(10 * S);
  });

  it('a dip back resets the pending change', () => {
    const m = machine();
    run(m, [
      [0, 0],
      [10, 11],
      [20, 1],
      [30, 11],
      [45, 11],
    ]);
    expect(m.state).toBe('stopped');
    expect(run(m, [[60, 11]])).toEqual(['running']);
    expect(m.since).toBe(30 * S);
  });

  it('hysteresis: values between threshold - hysteresis and threshold keep the state', () => {
    const m = machine(0);
    expect(
      run(m, [
        [0, 10],
        [1, 9],
        [2, 8],
        [3, 7.9],
        [4, 9.5],
        [5, 10],
      ]),
    ).toEqual(['running', 'running', 'running', 'stopped', 'stopped', 'running']);
  });

  it('a band value while a stop is pending cancels it (it does not satisfy stopped)', () => {
    const m = machine(10 * S);
    run(m, [
      [0, 12],
      [1, 5],
      [6, 9],
      [12, 5],
    ]);
    expect(m.state).toBe('running');
    expect(run(m, [[22, 5]])).toEqual(['stopped']);
  });

  it('turns unknown once no valid sample came for unknownAfter, by samples flagged B or by time', () => {
    const m = machine();
    run(m, [[0, 12]]);
    expect(
      run(m, [
        [30, null],
        [59, null],
      ]),
    ).toEqual(['running', 'running']);
    expect(m.observe({ ts: 60 * S, value: null, flag: 'B' })).toEqual({
      from: 'running',
      to: 'unknown',
      since: 60 * S,
    });
    expect(m.power).toBeNull();
    expect(run(m, [[70, 0]])).toEqual(['stopped']); // back from unknown at once
    expect(m.advance(129 * S)).toBeNull();
    expect(m.advance(130 * S)).toEqual({ from: 'stopped', to: 'unknown', since: 130 * S });
    // A value with flag B is not valid whatever it says.
    const b = machine();
    b.observe({ ts: 0, value: 50, flag: 'B' });
    expect(b.state).toBe('unknown');
  });
});
