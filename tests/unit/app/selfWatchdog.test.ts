import { describe, expect, it } from 'vitest';
import { type AcquisitionProgress, SelfWatchdog } from '../../../agent/app/selfWatchdog.js';
import type { Clock } from '../../../agent/core/clock.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/**
 * A FakeClock whose monotonic time can jump ahead of its timers: stall(ms) makes the next tick run
 * `ms` late, as after a blocked event loop.
 */
class LaggyClock extends FakeClock implements Clock {
  private lag = 0;
  override monotonic(): number {
    return super.monotonic() + this.lag;
  }
  override now(): number {
    return super.now() + this.lag;
  }
  stall(ms: number): void {
    this.lag += ms;
  }
}

/** A watchdog over a fake acquisition whose poll counter the test moves by hand. */
function setup(
  opts: { enabled?: boolean; stallAfterMs?: number; longestIntervalMs?: number; devices?: number } = {},
) {
  const clock = new LaggyClock();
  const acquisition: AcquisitionProgress = {
    completed: 0,
    devices: opts.devices ?? 2,
    longestIntervalMs: opts.longestIntervalMs ?? 10_000,
  };
  const stalls: string[] = [];
  const watchdog = new SelfWatchdog({
    clock,
    enabled: opts.enabled ?? true,
    stallAfterMs: opts.stallAfterMs ?? 60_000,
    progress: () => acquisition,
    onStall: (reason) => stalls.push(reason),
  });
  return { clock, acquisition, stalls, watchdog };
}

/** Advances `ms`, completing a poll every `every` ms on the way. */
async function pollFor(
  clock: LaggyClock,
  acquisition: AcquisitionProgress,
  ms: number,
  every: number,
): Promise<void> {
  for (let t = 0; t < ms; t += every) {
    await clock.advance(every);
    acquisition.completed++;
  }
}

describe('SelfWatchdog', () => {
  it('stays quiet while polls complete (failed polls count too: only the counter matters)', async () => {
    const { clock, acquisition, stalls, watchdog } = setup();
    watchdog.start();
    await pollFor(clock, acquisition, 600_000, 10_000);
    expect(stalls).toEqual([]);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('calls onStall once, with the reason, when no poll completes within stallAfter', async () => {
    const { clock, stalls, watchdog } = setup({ stallAfterMs: 60_000, longestIntervalMs: 10_000 });
    watchdog.start();
    await clock.advance(55_000);
    expect(stalls).toEqual([]);
    await clock.advance(10_000);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]).toMatch(/^acquisition stalled: no poll completed for 60 s \(limit 60 s\)$/);
    await clock.advance(600_000);
    expect(stalls).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('waits 3 × the longest device interval when that is longer than stallAfter', async () => {
    const { clock, stalls, watchdog } = setup({ stallAfterMs: 60_000, longestIntervalMs: 120_000 });
    watchdog.start();
    await clock.advance(355_000);
    expect(stalls).toEqual([]);
    await clock.advance(5_000);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]).toContain('limit 360 s');
  });

  it('fires when polls stop after running for a while', async () => {
    const { clock, acquisition, stalls, watchdog } = setup();
    watchdog.start();
    await pollFor(clock, acquisition, 120_000, 10_000);
    await clock.advance(50_000);
    expect(stalls).toEqual([]);
    await clock.advance(15_000);
    expect(stalls).toHaveLength(1);
  });

  it('watches nothing with no device, or while no agent runs', async () => {
    const { clock, stalls, watchdog } = setup({ devices: 0 });
    watchdog.start();
    await clock.advance(600_000);
    expect(stalls).toEqual([]);

    const clock2 = new FakeClock();
    const stalls2: string[] = [];
    new SelfWatchdog({
      clock: clock2,
      enabled: true,
      stallAfterMs: 60_000,
      progress: () => null,
      onStall: (r) => stalls2.push(r),
    }).start();
    await clock2.advance(600_000);
    expect(stalls2).toEqual([]);
  });

  it('fires on an event-loop stall: a tick late by stallAfter', async () => {
    const { clock, acquisition, stalls, watchdog } = setup({ stallAfterMs: 30_000 });
    watchdog.start();
    await pollFor(clock, acquisition, 20_000, 5_000);
    // The loop blocked: the next tick runs 40 s late. Simulated by moving time without firing timers.
    clock.stall(40_000);
    acquisition.completed++; // progress is not what failed
    await clock.advance(5_000);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]).toMatch(/^event loop stalled: timers late by up to 40000 ms/);
  });

  it('tolerates a single short lateness', async () => {
    const { clock, acquisition, stalls, watchdog } = setup({ stallAfterMs: 30_000 });
    watchdog.start();
    clock.stall(3_000);
    acquisition.completed++;
    await clock.advance(5_000);
    await pollFor(clock, acquisition, 120_000, 5_000);
    expect(stalls).toEqual([]);
  });

  it('never fires when disabled', async () => {
    const { clock, stalls, watchdog } = setup({ enabled: false });
    watchdog.start();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(3_600_000);
    expect(stalls).toEqual([]);
  });

  it('stop() cancels its timer', async () => {
    const { clock, stalls, watchdog } = setup();
    watchdog.start();
    watchdog.stop();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(600_000);
    expect(stalls).toEqual([]);
  });
});
