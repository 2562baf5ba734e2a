import { describe, expect, it } from 'vitest';
import type { PollSourceEvent } from '../../../drivers/modbus/listen/listenPollSource.js';
import type { ListenPort } from '../../../drivers/modbus/listen/listenPort.js';
import { RtuListener } from '../../../drivers/modbus/listen/rtuListener.js';
import { FakeClock } from '../../helpers/fakeClock.js';
import { readRequest, registerAnswer } from '../../helpers/rtuTraffic.js';

/** A port the test feeds; like the real one, it has nothing to write with. */
function fakePort() {
  let onData: ((chunk: Buffer) => void) | undefined;
  let onClose: ((err?: Error) => void) | undefined;
  let closed = false;
  function on(event: 'data', listener: (chunk: Buffer) => void): void;
  function on(event: 'close', listener: (err?: Error) => void): void;
  function on(event: 'data' | 'close', listener: (arg: Buffer & Error) => void): void {
    if (event === 'data') onData = listener as (chunk: Buffer) => void;
    else onClose = listener as (err?: Error) => void;
  }
  const port: ListenPort = {
    on,
    async close() {
      closed = true;
    },
  };
  return {
    port,
    deliver: (b: Buffer) => onData?.(b),
    unplug: (err: Error) => onClose?.(err),
    closed: () => closed,
  };
}

describe('RtuListener', () => {
  it('stamps readings with the clock when the answer arrived, and reports the device silent then resumed', async () => {
    const clock = new FakeClock();
    const { port, deliver, closed } = fakePort();
    const events: PollSourceEvent[] = [];
    const listener = new RtuListener({
      port,
      clock,
      baudRate: 9600,
      devices: [{ id: 'sonde', unit: 1, needs: [{ table: 'holding', address: 0, count: 2 }] }],
      silentAfterIntervals: 3,
      onEvent: (e) => events.push(e),
    });
    listener.start();
    const poll = async (value: number) => {
      deliver(readRequest(1, 3, 0, 2));
      await clock.advance(30);
      deliver(registerAnswer(1, 3, [value, value + 1]));
      await clock.advance(970);
    };
    for (let i = 0; i < 5; i++) await poll(i);
    const samples = events.filter((e) => e.kind === 'sample');
    expect(samples).toHaveLength(5);
    expect(samples[4]).toMatchObject({ at: clock.now() - 970, blocks: [{ words: [4, 5] }] });

    // The other master stops: silent after 3 intervals of 1 s, not before.
    await clock.advance(2000);
    expect(events.some((e) => e.kind === 'silent')).toBe(false);
    await clock.advance(1500);
    expect(events.filter((e) => e.kind === 'silent')).toHaveLength(1);
    await poll(100);
    expect(events.slice(-3).map((e) => e.kind)).toEqual(['resumed', 'block', 'sample']);
    expect(listener.framer.stats.garbageBytes).toBe(0);
    await listener.stop();
    expect(closed()).toBe(true);
  });

  it('tells its owner when the port goes away, and stops its timers', async () => {
    const clock = new FakeClock();
    const { port, unplug } = fakePort();
    const closes: (Error | undefined)[] = [];
    const listener = new RtuListener({
      port,
      clock,
      baudRate: 9600,
      devices: [],
      onPortClosed: (e) => closes.push(e),
    });
    listener.start();
    expect(clock.pendingTimers()).toBe(1);
    unplug(new Error('EIO'));
    expect(closes.map((e) => e?.message)).toEqual(['EIO']);
    expect(clock.pendingTimers()).toBe(0);
  });
});
