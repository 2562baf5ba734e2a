import { describe, expect, it } from 'vitest';
import { createDlt645Client, type Dlt645Transport } from '../../../drivers/dlt645/client.js';
import { encodeFrame } from '../../../drivers/dlt645/frame.js';
import { Dlt645Error } from '../../../drivers/dlt645/meterErrors.js';
import { readMeter } from '../../../drivers/dlt645/readMeter.js';
import { planReads } from '../../../drivers/dlt645/readPlan.js';
import { readValues } from '../../../drivers/dlt645/readValues.js';
import { createMeterLine, type MeterLine } from '../../../scripts/simulator/dlt645/meterLine.js';
import type { SimMeterOptions } from '../../../scripts/simulator/dlt645/simMeter.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/**
 * The client against the simulated meter line over an in-memory transport, on a fake clock:
 * answers arrive a microtask after the request, timeouts fire only when the test moves time.
 */

const M1 = '000000000001';
const M2 = '000000000002';

interface Rig {
  clock: FakeClock;
  line: MeterLine;
  transport: Dlt645Transport;
  writes: Uint8Array[];
  /** Bytes to put on the line now, as if a meter sent them. */
  inject(bytes: Uint8Array): void;
  /** While set, the line's answers are held back instead of delivered. */
  hold: { on: boolean; held: Uint8Array[] };
}

function rig(meters: SimMeterOptions[]): Rig {
  const clock = new FakeClock();
  const listeners = new Set<(c: Uint8Array) => void>();
  const deliver = (bytes: Uint8Array) => {
    for (const l of listeners) l(bytes);
  };
  const hold = { on: false, held: [] as Uint8Array[] };
  const line = createMeterLine({
    meters,
    clock,
    send: (bytes) => {
      if (hold.on) hold.held.push(bytes);
      else queueMicrotask(() => deliver(bytes));
    },
  });
  const writes: Uint8Array[] = [];
  const transport: Dlt645Transport = {
    async write(bytes) {
      writes.push(bytes);
      queueMicrotask(() => line.receive(bytes));
    },
    onData(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { clock, line, transport, writes, inject: deliver, hold };
}

const client = (r: Rig, retries = 1) =>
  createDlt645Client({ transport: r.transport, timers: r.clock, options: { timeoutMs: 500, retries } });

describe('DL/T 645 client', () => {
  it('reads a block and the values are the meter’s', async () => {
    const r = rig([{ address: M1 }, { address: M2 }]);
    const c = client(r);
    const volts = await readValues(c, M2, 0x0201ff00);
    expect(volts).toEqual(r.line.meter(M2)!.values(r.clock.now()).voltage);
    expect(volts.every((v) => v > 200 && v < 260)).toBe(true);
    const energy = await readValues(c, M1, 0x00010000);
    expect(energy).toEqual([r.line.meter(M1)!.values(r.clock.now()).energy]);
  });

  it('joins follow-up frames of a long answer', async () => {
    // 0203FF00 is 4 × 3 bytes; with 8 data bytes per frame: 4 in the first frame (after the
    // 4-byte identifier), then 3 per follow-up (identifier + sequence byte take 5): 4 + 3 + 3 + 2.
    const r = rig([{ address: M1, maxDataPerFrame: 8 }]);
    const c = client(r);
    const power = await readValues(c, M1, 0x0203ff00);
    expect(power).toEqual(r.line.meter(M1)!.values(r.clock.now()).power);
    expect(r.writes.map((w) => w[12])).toEqual([0x11, 0x12, 0x12, 0x12]);
    expect(c.counters().requests).toBe(4);
  });

  it('turns an error answer into DLT645_METER_ERROR with the flags named', async () => {
    const r = rig([{ address: M1 }]);
    const c = client(r);
    const err = await c.readRaw(M1, 0x04000401).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Dlt645Error);
    expect(err).toMatchObject({ code: 'DLT645_METER_ERROR', meterErrors: ['no-such-data'] });
    expect(c.counters().errorAnswers).toBe(1);
    await expect(readValues(c, M1, 0x04000401)).rejects.toMatchObject({ code: 'DLT645_UNKNOWN_IDENTIFIER' });
  });

  it('times out and resends for an unplugged meter; the others keep answering', async () => {
    const r = rig([{ address: M1 }, { address: M2 }]);
    const c = client(r);
    r.line.unplug(M1);
    const gone = c.readRaw(M1, 0x00010000).catch((e: unknown) => e);
    const other = readValues(c, M2, 0x02030000);
    await r.clock.advance(500);
    await r.clock.advance(500);
    expect(await gone).toMatchObject({ code: 'DLT645_TIMEOUT' });
    expect(await other).toHaveLength(1);
    expect(c.counters()).toMatchObject({ timeouts: 2, resends: 1, answers: 1 });
  });

  it('never returns a value from an answer with a bad checksum', async () => {
    const r = rig([]);
    const c = client(r, 0);
    const pending = c.readRaw(M1, 0x00010000).catch((e: unknown) => e);
    const answer = encodeFrame({
      address: M1,
      control: 0x91,
      data: Uint8Array.of(0, 0, 1, 0, 0x56, 0x34, 0x12, 0),
    });
    answer[answer.length - 2] = (answer[answer.length - 2]! + 1) & 0xff;
    await Promise.resolve();
    r.inject(answer);
    await r.clock.advance(500);
    expect(await pending).toMatchObject({ code: 'DLT645_TIMEOUT' });
    expect(c.counters().badChecksum).toBe(1);
  });

  it('ignores a late answer to a timed-out request (stale bytes) and takes the right one', async () => {
    const r = rig([{ address: M1 }]);
    const c = client(r, 0);
    r.hold.on = true;
    const first = c.readRaw(M1, 0x00010000).catch((e: unknown) => e);
    await r.clock.advance(500);
    expect(await first).toMatchObject({ code: 'DLT645_TIMEOUT' });
    const late = r.hold.held[0]!;
    r.hold.on = false;
    // Half of the late energy answer arrives between transactions; the next request must not
    // complete it with bytes of its own answer.
    r.inject(late.subarray(0, 10));
    const second = readValues(c, M1, 0x02010100);
    await Promise.resolve();
    r.inject(late.subarray(10));
    // And the whole late answer again, during the transaction: a valid frame, but not the one asked for.
    r.inject(late);
    expect(await second).toEqual([r.line.meter(M1)!.values(r.clock.now()).voltage[0]]);
    expect(c.counters().discardedPartial).toBe(8); // FE FE then 68 + 7 header bytes: 2 preamble skipped, 8 kept
    expect(c.counters().unrelatedFrames).toBe(1);
  });

  it('runs one transaction at a time', async () => {
    const r = rig([{ address: M1 }, { address: M2 }]);
    const c = client(r);
    r.hold.on = true;
    const a = c.readRaw(M1, 0x00010000);
    const b = c.readRaw(M2, 0x00010000);
    await Promise.resolve();
    await Promise.resolve();
    await Promise.resolve();
    expect(r.writes).toHaveLength(1);
    r.hold.on = false;
    for (const bytes of r.hold.held.splice(0)) r.inject(bytes);
    await a;
    await b;
    expect(r.writes).toHaveLength(2);
  });

  it('reads the address of the only meter on the line, and gets no answer with two', async () => {
    const one = rig([{ address: '202611110002' }]);
    expect(await client(one).readAddress()).toBe('202611110002');
    const two = rig([{ address: M1 }, { address: M2 }]);
    const c = client(two, 0);
    const none = c.readAddress().catch((e: unknown) => e);
    await two.clock.advance(500);
    expect(await none).toMatchObject({ code: 'DLT645_TIMEOUT' });
  });

  it('reads a meter over DL/T 645-1997 (2-byte identifiers, older layouts)', async () => {
    const r = rig([{ address: M1 }]);
    const c = client(r);
    const now = r.line.meter(M1)!.values(r.clock.now());
    // 1997 voltage is XXX (whole volts), current XX.XX
    expect(await readValues(c, M1, 0xb611, '1997')).toEqual([Math.round(now.voltage[0])]);
    const [amps] = await readValues(c, M1, 0xb621, '1997');
    expect(Math.abs(amps! - now.current[0])).toBeLessThan(0.0051);
    expect(r.writes.at(-1)![12]).toBe(0x01);
    await expect(c.readRaw(M1, 0xc010, '1997')).rejects.toMatchObject({
      code: 'DLT645_METER_ERROR',
      meterErrors: ['wrong-identifier'],
    });
  });

  it('close ends a pending read at once, and later reads fail', async () => {
    const r = rig([{ address: M1 }]);
    const c = client(r);
    r.hold.on = true;
    const pending = c.readRaw(M1, 0x00010000).catch((e: unknown) => e);
    await Promise.resolve();
    c.close();
    expect(await pending).toMatchObject({ code: 'DLT645_LINE_ERROR' });
    await expect(c.readRaw(M1, 0x00010000)).rejects.toMatchObject({ code: 'DLT645_LINE_ERROR' });
    expect(r.clock.pendingTimers()).toBe(0);
  });

  it('reads zero current and power when the facility is switched off', async () => {
    const r = rig([{ address: M1 }]);
    const c = client(r);
    expect((await readValues(c, M1, 0x0202ff00)).every((a) => a > 0)).toBe(true);
    r.line.setFacilityRunning(M1, false);
    expect(await readValues(c, M1, 0x0202ff00)).toEqual([0, 0, 0]);
    expect(await readValues(c, M1, 0x02030000)).toEqual([0]);
  });
});

describe('readMeter (one poll of one meter from its planned reads)', () => {
  const layout = { bytes: 2, decimals: 1, signed: false };
  const plan = planReads('2007', [
    { id: 'ua', di: '0201FF00', element: 0, format: layout },
    { id: 'odd', di: '04000401', format: { bytes: 6, decimals: 0, signed: false } },
    { id: 'ub', di: '0201FF00', element: 1, format: layout },
    { id: 'f', di: '02800002', format: { bytes: 2, decimals: 2, signed: false } },
  ]);

  it('gives every channel its value, or the meter’s refusal for the identifier it lacks', async () => {
    const r = rig([{ address: M1 }]);
    const poll = await readMeter(client(r), M1, '2007', plan);
    const volts = r.line.meter(M1)!.values(r.clock.now()).voltage;
    expect(poll.answered).toBe(true);
    expect(poll.channels).toEqual([
      { id: 'ua', ok: true, value: volts[0] },
      { id: 'ub', ok: true, value: volts[1] },
      {
        id: 'odd',
        ok: false,
        reason: `meter ${M1} refused identifier 04000401: no-such-data`,
        code: 'DLT645_METER_ERROR',
      },
      { id: 'f', ok: true, value: 50 },
    ]);
  });

  it('stops at the first timeout: one silent meter holds the line once, not once per identifier', async () => {
    const r = rig([]);
    const c = client(r, 0);
    const poll = readMeter(c, M1, '2007', plan);
    await r.clock.advance(500);
    const result = await poll;
    expect(result.answered).toBe(false);
    expect(result.channels.map((ch) => [ch.id, ch.code])).toEqual([
      ['ua', 'DLT645_TIMEOUT'],
      ['ub', 'DLT645_TIMEOUT'],
      ['odd', 'DLT645_TIMEOUT'],
      ['f', 'DLT645_TIMEOUT'],
    ]);
    expect(c.counters().requests).toBe(1);
  });
});
