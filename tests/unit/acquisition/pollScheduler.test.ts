import { describe, expect, it } from 'vitest';
import { createPollScheduler } from '../../../agent/acquisition/pollScheduler.js';
import { sleep } from '../../../agent/core/clock.js';
import { silentLogger } from '../../../agent/core/log.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/** A scheduler whose task records its start times (relative to t0) and takes `durations` ms each. */
function setup(intervalMs: number, durations: number[] = []) {
  const clock = new FakeClock();
  const t0 = clock.monotonic();
  const runs: number[] = [];
  const missed: number[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const scheduler = createPollScheduler({
    clock,
    intervalMs,
    log: silentLogger(),
    onMissed: (n) => missed.push(n),
    task: async () => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      runs.push(clock.monotonic() - t0);
      const d = durations.shift() ?? 0;
      if (d > 0) await sleep(clock, d);
      concurrent--;
    },
  });
  return { clock, scheduler, runs, missed, maxConcurrent: () => maxConcurrent };
}

describe('createPollScheduler', () => {
  it('runs at once, then on the grid', async () => {
    const { clock, scheduler, runs } = setup(1000);
    scheduler.start();
    await clock.advance(3500);
    expect(runs).toEqual([0, 1000, 2000, 3000]);
    await scheduler.stop();
  });

  it('does not drift when each run takes time', async () => {
    const { clock, scheduler, runs } = setup(1000, Array(20).fill(370));
    scheduler.start();
    await clock.advance(10_000);
    expect(runs).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    const stopping = scheduler.stop(); // the run at 10 000 is still busy: stop waits for it
    await clock.advance(370);
    await stopping;
  });

  it('skips and counts the slots a long run overlapped; never overlaps', async () => {
    const { clock, scheduler, runs, missed, maxConcurrent } = setup(1000, [2500, 0, 1000]);
    scheduler.start();
    await clock.advance(6000);
    // Run 0 ends at 2500: slots 1000 and 2000 are missed, next at 3000. Run 3000 is instant. Run 4000
    // ends exactly at 5000: slot 5000 is not missed, it runs right away.
    expect(runs).toEqual([0, 3000, 4000, 5000, 6000]);
    expect(missed).toEqual([2]);
    expect(maxConcurrent()).toBe(1);
    await scheduler.stop();
  });

  it('keeps its schedule on the monotonic clock when the wall clock steps', async () => {
    const { clock, scheduler, runs } = setup(1000);
    scheduler.start();
    await clock.advance(1500);
    clock.setWall(clock.now() - 3_600_000);
    await clock.advance(1500);
    expect(runs).toEqual([0, 1000, 2000, 3000]);
    await scheduler.stop();
  });

  it('survives a failing task', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const scheduler = createPollScheduler({
      clock,
      intervalMs: 100,
      log: silentLogger(),
      task: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        if (calls === 2) return Promise.reject(new Error('boom again'));
      },
    });
    scheduler.start();
    await clock.advance(300);
    expect(calls).toBe(4);
    await scheduler.stop();
  });

  it('stop() waits for the running task and leaves no timer', async () => {
    const { clock, scheduler, runs } = setup(1000, [0, 800]);
    scheduler.start();
    await clock.advance(1200); // second run started at 1000, busy until 1800
    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await clock.advance(500);
    expect(stopped).toBe(false);
    await clock.advance(200);
    await stopping;
    expect(stopped).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(5000);
    expect(runs).toEqual([0, 1000]);
  });

  it('setIntervalMs re-anchors at the most recent run', async () => {
    const { clock, scheduler, runs } = setup(1000);
    scheduler.start();
    await clock.advance(1200); // runs at 0 and 1000
    scheduler.setIntervalMs(5000);
    expect(scheduler.intervalMs).toBe(5000);
    await clock.advance(10_000); // next at 6000, 11000
    expect(runs).toEqual([0, 1000, 6000, 11_000]);
    scheduler.setIntervalMs(1000); // idle since 11000: back on a 1 s grid from there
    await clock.advance(2000);
    expect(runs).toEqual([0, 1000, 6000, 11_000, 12_000, 13_000]);
    await scheduler.stop();
  });

  it('setIntervalMs during a run takes effect when it ends', async () => {
    const { clock, scheduler, runs, missed } = setup(1000, [0, 500]);
    scheduler.start();
    await clock.advance(1100); // run at 1000 busy until 1500
    scheduler.setIntervalMs(3000);
    await clock.advance(6000);
    expect(runs).toEqual([0, 1000, 4000, 7000]);
    expect(missed).toEqual([]);
    await scheduler.stop();
  });

  it('can be restarted after stop, and start is idempotent', async () => {
    const { clock, scheduler, runs } = setup(1000);
    scheduler.start();
    scheduler.start();
    await clock.advance(500);
    await scheduler.stop();
    await clock.advance(250);
    scheduler.start();
    await clock.advance(1000);
    expect(runs).toEqual([0, 750, 1750]);
    await scheduler.stop();
  });

  it('rejects a non-positive interval', () => {
    const clock = new FakeClock();
    const make = (ms: number) =>
      createPollScheduler({ clock, intervalMs: ms, log: silentLogger(), task: async () => {} });
    expect(() => make(0)).toThrow(RangeError);
    expect(() => make(Number.NaN)).toThrow(RangeError);
    expect(() => make(100).setIntervalMs(-1)).toThrow(RangeError);
  });
});
