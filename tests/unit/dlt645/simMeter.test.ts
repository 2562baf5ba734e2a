import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../drivers/dlt645/frame.js';
import { createFrameStream } from '../../../drivers/dlt645/frameStream.js';
import { followUpRequest, readRequest } from '../../../drivers/dlt645/messages.js';
import { createMeterLine } from '../../../scripts/simulator/dlt645/meterLine.js';
import { createSimMeter } from '../../../scripts/simulator/dlt645/simMeter.js';

describe('simulated meter', () => {
  it('integrates power into energy, and stops while its facility is off', () => {
    const meter = createSimMeter({ address: '000000000001', startEnergy: 100 }, 0);
    const v0 = meter.values(0);
    const hour = 3_600_000;
    const v1 = meter.values(hour);
    expect(v1.energy).toBeGreaterThan(v0.energy);
    // Between 3 × 2 A × 200 V × 0.75 and 3 × 40 A × 240 V in one hour: a plausible range, not a formula.
    expect(v1.energy - v0.energy).toBeGreaterThan(0.9);
    expect(v1.energy - v0.energy).toBeLessThan(30);
    meter.setFacilityRunning(false);
    const off = meter.values(2 * hour);
    expect(off.current).toEqual([0, 0, 0]);
    expect(off.power).toEqual([0, 0, 0, 0]);
    expect(meter.values(3 * hour).energy).toBe(off.energy);
  });

  it('answers a follow-up it has nothing for with an error answer', () => {
    const meter = createSimMeter({ address: '000000000001' }, 0);
    const [answer] = meter.answer(followUpRequest('000000000001', 0x0203ff00, 1), 0);
    expect(answer).toMatchObject({ control: 0xd2, data: Uint8Array.of(0x02) });
  });

  it('on a line: only the addressed meter answers, an unplugged one never', () => {
    const sent: Uint8Array[] = [];
    const line = createMeterLine({
      meters: [{ address: '000000000001' }, { address: '000000000002' }],
      send: (b) => sent.push(b),
      clock: { now: () => 0 },
    });
    line.receive(encodeFrame(readRequest('2007', '000000000002', 0x00010000)));
    const frames = createFrameStream().push(Uint8Array.from(sent.flatMap((b) => [...b])));
    expect(frames.map((f) => [f.address, f.control])).toEqual([['000000000002', 0x91]]);
    line.unplug('000000000002');
    line.receive(encodeFrame(readRequest('2007', '000000000002', 0x00010000)));
    expect(sent).toHaveLength(1);
    expect(line.stats()).toMatchObject({ requests: 2, answers: 1, unaddressed: 1 });
    // A wildcard read is answered by the one meter that fits it.
    line.receive(encodeFrame(readRequest('2007', 'AAAAAAAAAAAA', 0x00010000)));
    expect(sent).toHaveLength(2);
  });
});
