import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { meterProfileSchema } from '../../../drivers/dlt645/meterProfileSchema.js';
import { decodeRead, planReads } from '../../../drivers/dlt645/readPlan.js';

const b = (text: string) => Uint8Array.from(text.split(' ').map((h) => Number.parseInt(h, 16)));
const profile = (name: string) =>
  meterProfileSchema.parse(
    parse(
      readFileSync(new URL(`../../../drivers/profiles/dlt645/generic/${name}.yaml`, import.meta.url), 'utf8'),
    ),
  );

describe('read plan', () => {
  it('reads the three-phase profile with one request per block', () => {
    const plan = planReads('2007', profile('three-phase').channels);
    expect(plan.map((r) => r.di)).toEqual([0x00010000, 0x0201ff00, 0x0202ff00, 0x0203ff00, 0x0206ff00]);
    expect(plan[1]!.channels.map((c) => c.id)).toEqual(['ua', 'ub', 'uc']);
  });

  it('gives each channel its value from its place in a block answer', () => {
    const [, volts] = planReads('2007', profile('three-phase').channels);
    // 0201FF00: A 01 22 (220.1 V), B 50 23 (235.0 V), C FF FF (not available)
    expect(decodeRead(volts!, b('01 22 50 23 FF FF'))).toEqual([
      { id: 'ua', ok: true, value: 220.1 },
      { id: 'ub', ok: true, value: 235 },
      { id: 'uc', ok: false, reason: 'byte FF is not BCD' },
    ]);
    expect(decodeRead(volts!, b('01 22'))[2]).toEqual({
      id: 'uc',
      ok: false,
      reason: 'answer of 2 bytes has no element 2',
    });
  });

  it('refuses a single value of the wrong length', () => {
    const [energy] = planReads('2007', profile('single-phase').channels);
    expect(decodeRead(energy!, b('56 34 12 00'))).toEqual([{ id: 'energy', ok: true, value: 1234.56 }]);
    expect(decodeRead(energy!, b('56 34 12'))[0]).toMatchObject({ ok: false });
  });
});
