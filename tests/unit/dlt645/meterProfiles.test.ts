import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dataItem, parseIdentifier } from '../../../drivers/dlt645/dataIdentifiers.js';
import { meterProfileSchema } from '../../../drivers/dlt645/meterProfileSchema.js';

/**
 * Every meter profile under drivers/profiles/dlt645/<vendor>/<model>.yaml validates, says where its
 * facts came from, and names only identifiers the codec knows, with the codec's layout and unit.
 */

const ROOT = join(import.meta.dirname, '../../../drivers/profiles/dlt645');
const files = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(ROOT, d.name))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => `${d.name}/${f}`),
  )
  .sort();

describe('DL/T 645 meter profiles', () => {
  it('include a generic single-phase and a generic three-phase meter', () => {
    expect(files).toEqual(expect.arrayContaining(['generic/single-phase.yaml', 'generic/three-phase.yaml']));
  });

  describe.each(files)('%s', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');

    it('is valid and says where its facts came from', () => {
      const parsed = meterProfileSchema.safeParse(parse(text));
      expect(parsed.error?.issues ?? []).toEqual([]);
      expect(text).toMatch(/^verifiedOnHardware: (true|false)$/m);
      expect(`${parsed.data!.vendor}/${parsed.data!.model}.yaml`).toBe(file);
    });

    it('names identifiers the codec knows, with its layout, unit and block size', () => {
      const profile = meterProfileSchema.parse(parse(text));
      const { protocol } = profile.dlt645;
      for (const ch of profile.channels) {
        const di = parseIdentifier(protocol, ch.di);
        expect(di, `${ch.id}: ${ch.di}`).toBeDefined();
        const item = dataItem(protocol, di!);
        expect(item, `${ch.id}: identifier ${ch.di} unknown to the DL/T 645-${protocol} codec`).toBeDefined();
        expect(ch.format, ch.id).toEqual(item!.layout);
        expect(ch.unit, ch.id).toBe(item!.unit);
        if (item!.count > 1)
          expect(ch.element, `${ch.id}: a block needs its element`).toBeLessThan(item!.count);
        else expect(ch.element, `${ch.id}: element of a single value`).toBeUndefined();
      }
    });
  });

  it('refuses a profile with a 1997 identifier under protocol 2007, and a duplicate channel', () => {
    const bad = meterProfileSchema.safeParse({
      model: 'x',
      vendor: 'y',
      description: 'z',
      source: [{ fact: 'f', kind: 'assumption', ref: 'r' }],
      verifiedOnHardware: false,
      dlt645: { protocol: '2007' },
      channels: [
        { id: 'u', di: 'B611', format: { bytes: 2, decimals: 0, signed: false }, unit: 'V' },
        { id: 'u', di: '02010100', format: { bytes: 2, decimals: 1, signed: false }, unit: 'V' },
      ],
    });
    expect(bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'channels.0.di: a DL/T 645-2007 identifier has 8 hex digits',
      'channels.1.id: channel id u twice',
    ]);
  });
});
