import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import { encodeFrame } from '../../../drivers/dlt645/frame.js';
import { createMeterPoller, type MeterDeviceSettings } from '../../../drivers/dlt645/meterPoller.js';
import {
  createSharedLineClient,
  dlt645FrameLength,
  type MeterLine,
} from '../../../drivers/dlt645/sharedLineClient.js';
import { createMeterLine } from '../../../scripts/simulator/dlt645/meterLine.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/**
 * The meter poller on a shared line (as drivers/serial/serialLine.ts's transact): simulated meters
 * answer the requests; a meter off the line makes the line time out.
 */

type Outcome = 'answer' | 'disconnected';

/** A line whose far end is the simulator's meters; records the requests it carried. */
function simulatedLine(addresses: string[], outcome: () => Outcome = () => 'answer') {
  let pending: Uint8Array[] = [];
  const sims = createMeterLine({
    meters: addresses.map((address) => ({ address, phases: 3, seed: 1 })),
    send: (bytes) => pending.push(bytes),
  });
  const requests: Buffer[] = [];
  const line: MeterLine = {
    async transact(request, frameLength) {
      requests.push(request);
      if (outcome() === 'disconnected')
        throw Object.assign(new Error('line not open'), { kind: 'disconnected' });
      pending = [];
      sims.receive(request);
      const answer = Buffer.concat(pending);
      if (answer.length === 0 || frameLength(answer) !== answer.length)
        throw Object.assign(new Error('no answer'), { kind: 'timeout' });
      return answer;
    },
  };
  return { line, sims, requests };
}

const DEVICE: MeterDeviceSettings = {
  id: 'main',
  meter: { address: '000000000001', protocol: '2007', preamble: 4 },
  channels: [
    {
      id: 'energy',
      di: '00010000',
      format: { bytes: 4, decimals: 2, signed: false },
      unit: 'kWh',
      scale: 1,
      offset: 0,
    },
    {
      id: 'ua',
      di: '0201FF00',
      element: 0,
      format: { bytes: 2, decimals: 1, signed: false },
      unit: 'V',
      scale: 1,
      offset: 0,
    },
    {
      id: 'ub',
      di: '0201FF00',
      element: 1,
      format: { bytes: 2, decimals: 1, signed: false },
      unit: 'V',
      scale: 1,
      offset: 0,
    },
    {
      id: 'w',
      di: '0203FF00',
      element: 0,
      format: { bytes: 3, decimals: 4, signed: true },
      unit: 'W',
      scale: 1000,
      offset: 0,
    },
  ],
};

function poller(line: MeterLine) {
  const client = createSharedLineClient(line, { timeoutMs: 500, retries: 1 });
  return createMeterPoller({ device: DEVICE, client, clock: new FakeClock(), log: silentLogger() });
}

describe('meter poller on a shared line', () => {
  it('reads each identifier once per poll and scales the values', async () => {
    const { line, requests } = simulatedLine(['000000000001', '000000000002']);
    const result = await poller(line).poll();
    expect(result.ok).toBe(true);
    expect(requests).toHaveLength(3); // energy, the voltage block, the power block
    const value = (id: string) => result.readings.find((r) => r.channel === id)!;
    expect(value('energy')).toMatchObject({ device: 'main', unit: 'kWh', flag: 'N' });
    expect(value('ua').value).toBeGreaterThan(200);
    expect(value('ub').value).toBeGreaterThan(200);
    // kW from the meter, ×1000 in the config: watts.
    expect(value('w').value).toBeGreaterThan(100);
  });

  it('a meter off the line: one request and its resend, every channel B, one DLT645_TIMEOUT with context', async () => {
    const { line, sims, requests } = simulatedLine(['000000000001']);
    sims.unplug('000000000001');
    const result = await poller(line).poll();
    expect(requests).toHaveLength(2);
    expect(result.ok).toBe(false);
    expect(result.readings.map((r) => [r.value, r.flag])).toEqual(Array(4).fill([null, 'B']));
    expect(result.errors.map((e) => [e.code, e.context.device, e.context.meter])).toEqual([
      ['DLT645_TIMEOUT', 'main', '000000000001'],
    ]);
  });

  it('a lost line is DLT645_LINE_ERROR', async () => {
    const { line } = simulatedLine(['000000000001'], () => 'disconnected');
    const result = await poller(line).poll();
    expect(result.errors.map((e) => e.code)).toEqual(['DLT645_LINE_ERROR']);
  });
});

describe('dlt645FrameLength', () => {
  const frame = Buffer.from(
    encodeFrame(
      { address: '000000000001', control: 0x91, data: Uint8Array.of(0, 0, 1, 0, 0x45, 0x23) },
      { preamble: 2 },
    ),
  );
  it('counts the wake-up bytes and waits for the rest of a frame', () => {
    expect(dlt645FrameLength(frame)).toBe(frame.length);
    expect(dlt645FrameLength(frame.subarray(0, 2))).toBe(0);
    expect(dlt645FrameLength(frame.subarray(0, frame.length - 1))).toBe(0);
    expect(dlt645FrameLength(Buffer.concat([frame, Buffer.from([0x68])]))).toBe(frame.length);
  });
  it('refuses what cannot start an answer and a bad checksum', () => {
    expect(dlt645FrameLength(Buffer.from([0x00, 0x68]))).toBe(-1);
    const bad = Buffer.from(frame);
    bad[bad.length - 2]! ^= 0xff;
    expect(dlt645FrameLength(bad)).toBe(-1);
  });
});
