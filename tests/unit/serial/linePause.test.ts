import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../agent/core/clock.js';
import { silentLogger } from '../../../agent/core/log.js';
import type { ByteTransport, TransportHandlers } from '../../../drivers/serial/byteTransport.js';
import { SerialLine } from '../../../drivers/serial/serialLine.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/**
 * The pause between exchanges (RTU's 3.5 characters) on a fake clock: the line waits only what remains
 * of it since the last byte, rounded up to the timer's whole ms, and never less than the pause.
 * A transport in memory answers each request at once, so the times are the line's alone.
 */

/** 3.5 characters at 9600 baud, 8E1 (11 bits): the Modbus requirement, 4.0104 ms. */
const RTU_GAP_MS = (3.5 * 11 * 1000) / 9600;

function echoTransport(clock: Clock, writes: number[]): ByteTransport {
  return {
    description: 'memory',
    async open(handlers: TransportHandlers) {
      return {
        write: async (data: Buffer) => {
          writes.push(clock.monotonic());
          queueMicrotask(() => handlers.onData(Buffer.from(data)));
        },
        discardInput: async () => {},
        present: async () => true,
        close: async () => {},
      };
    },
  };
}

const fourBytes = (b: Buffer) => (b.length === 0 ? 0 : 4);
const lines: SerialLine[] = [];
afterEach(async () => {
  for (const line of lines.splice(0)) await line.stop();
});

async function openLine(clock: Clock, fake: FakeClock, writes: number[]): Promise<SerialLine> {
  const line = new SerialLine({
    id: 'rs485',
    transport: echoTransport(clock, writes),
    clock,
    log: silentLogger(),
    reconnect: { min: 1000, max: 10_000 },
    pauseBetweenRequestsMs: RTU_GAP_MS,
  });
  lines.push(line);
  line.start();
  await fake.advance(0);
  expect(line.isOpen()).toBe(true);
  return line;
}

describe('SerialLine pause between exchanges', () => {
  it('waits only what remains of the exact pause after time spent elsewhere', async () => {
    const fake = new FakeClock();
    const writes: number[] = [];
    const line = await openLine(fake, fake, writes);
    await line.transact(Buffer.from([1, 2, 3, 4]), fourBytes, 100);
    const endAt = fake.monotonic();
    await fake.advance(1.5); // decoding and the next poll's start took 1.5 ms
    const second = line.transact(Buffer.from([5, 6, 7, 8]), fourBytes, 100);
    await fake.advance(10);
    await second;
    // 1.5 ms spent + ceil(4.0104 - 1.5) = 3 ms slept: 4.5 ms, where a pause rounded to 5 ms waited 5.
    expect(writes[1]! - endAt).toBe(4.5);
  });

  it('sleeps again when a timer fires early, so the gap is never shorter than the pause', async () => {
    const fake = new FakeClock();
    // Node's timers count whole ms from a cached loop time: one can fire a fraction of a ms early.
    const early: Clock = {
      now: () => fake.now(),
      monotonic: () => fake.monotonic(),
      setTimeout: (fn, ms) => fake.setTimeout(fn, Math.max(0, ms - 0.99)),
      clearTimeout: (h) => fake.clearTimeout(h),
    };
    const writes: number[] = [];
    const line = await openLine(early, fake, writes);
    // Queued together: each next request waits only for the pause after the previous answer.
    const done = Promise.all([0, 1, 2].map((n) => line.transact(Buffer.from([n, 0, 0, 0]), fourBytes, 100)));
    await fake.advance(30);
    await done;
    expect(writes).toHaveLength(3);
    for (let i = 1; i < writes.length; i++) {
      const gap = writes[i]! - writes[i - 1]!; // each answer came at once: the gap is the pause
      expect(gap).toBeGreaterThanOrEqual(RTU_GAP_MS);
      expect(gap).toBeLessThan(RTU_GAP_MS + 1);
    }
  });
});
