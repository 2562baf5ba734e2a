import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblems, type LoadResult, loadConfigText } from '../../../agent/config/load.js';
import { defaultProfilesDir, openProfileLibrary } from '../../../agent/config/profiles.js';
import type { StationConfig } from '../../../agent/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'sa-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function profileFile(name: string, text: string): string {
  const file = join(dir, `${name}.yaml`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const META = `vendor: acme
description: a test analyzer
source: [{ fact: everything, kind: assumption }]
verifiedOnHardware: false
`;

profileFile(
  'acme/gas',
  `model: gas
${META}unit: 3
interval: 1m
channels:
  - { id: so2, code: a21026, unit: ppb, register: { table: input, address: 0, type: float32, order: CDAB } }
  - { id: temp, unit: °C, register: { table: input, address: 2, type: int16 }, scale: 0.1 }
status:
  register: { table: input, address: 10, type: uint16 }
  flags: { 0: N, 1: C }
workarounds: { maxRegistersPerRequest: 20 }
`,
);
profileFile(
  'acme/text',
  `model: text
${META}ascii:
  command: v
  prefixByte: 130
  pattern: '^v (?<v>\\S+)'
channels:
  - { id: v, field: v }
`,
);
const brokenFile = profileFile(
  'acme/broken',
  `model: broken
${META}channels:
  - { id: x, register: { table: input, address: 0, type: float } }
`,
);
const library = openProfileLibrary(dir);

function load(devicesYaml: string): LoadResult {
  const text = `version: 1
station: { id: s1 }
storage: { path: ./x.db }
buses: [{ id: lan, type: rtu-over-tcp, host: 127.0.0.1, port: 4001 }]
devices:
${devicesYaml}`;
  return loadConfigText(text, 'station.yaml', {}, { profiles: library });
}

function ok(result: LoadResult): StationConfig {
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return result.config;
}

function lines(result: LoadResult): string[] {
  if (result.ok) throw new Error('expected problems');
  return result.problems.map(
    (p) => `${p.file === 'station.yaml' ? '' : `${p.file}:`}${p.line}:${p.column} ${p.path}: ${p.message}`,
  );
}

describe('analyzer profiles in the configuration', () => {
  it('give a device every setting it does not set itself', () => {
    const device = ok(load('  - { id: a, bus: lan, profile: acme/gas }\n')).devices[0]!;
    expect(device).toMatchObject({
      id: 'a',
      profile: 'acme/gas',
      unit: 3,
      interval: 60_000,
      status: { register: { address: 10 }, flags: { '0': 'N', '1': 'C' }, default: 'D' },
      workarounds: { maxRegistersPerRequest: 20 },
    });
    expect(device.channels.map((c) => [c.id, c.code, c.scale])).toEqual([
      ['so2', 'a21026', 1],
      ['temp', undefined, 0.1],
    ]);
  });

  it('let the device override settings key by key, merge channels by id, and remove with null', () => {
    const device = ok(
      load(`  - id: a
    bus: lan
    profile: acme/gas
    unit: 9
    interval: 10s
    channels:
      - { id: so2, register: { order: ABCD }, scale: 2 }
      - { id: extra, register: { table: input, address: 20, type: uint16 } }
    status: { flags: { 2: M } }
    workarounds: null
`),
    ).devices[0]!;
    expect(device.unit).toBe(9);
    expect(device.interval).toBe(10_000);
    expect(device.channels.map((c) => c.id)).toEqual(['so2', 'temp', 'extra']);
    expect(device.channels[0]).toMatchObject({
      code: 'a21026',
      register: { table: 'input', address: 0, type: 'float32', order: 'ABCD' },
      scale: 2,
    });
    expect(device.status?.flags).toEqual({ '0': 'N', '1': 'C', '2': 'M' });
    expect(device.workarounds).toEqual({});
  });

  it('work for ascii devices: one instrument id changes, the protocol stays', () => {
    const device = ok(
      load('  - { id: t, bus: lan, interval: 5s, profile: acme/text, ascii: { prefixByte: 131 } }\n'),
    ).devices[0]!;
    expect(device.ascii).toMatchObject({ command: 'v', prefixByte: 131, pattern: '^v (?<v>\\S+)' });
  });

  it('report an unknown profile at its line, with the profiles there are', () => {
    expect(lines(load('  - { id: a, bus: lan, interval: 10s, profile: acme/gaz }\n'))).toEqual([
      '6:48 devices[0].profile: unknown profile "acme/gaz" (profiles: acme/broken, acme/gas, acme/text)',
    ]);
    const result = load('  - { id: a, bus: lan, interval: 10s, profile: acme/gaz }\n');
    expect(!result.ok && result.problems[0]!.hint).toBe('did you mean "acme/gas"?');
  });

  it("report a device's own mistakes at its own lines, with the device's channel numbering", () => {
    expect(
      lines(
        load(`  - id: a
    bus: lan
    profile: acme/gas
    channels:
      - { id: extra, register: { table: input, address: 20, type: uint61 } }
`),
      ),
    ).toEqual([
      '10:67 devices[0].channels[0].register.type: expected one of bool, int16, uint16, int32, uint32, float32, int64, uint64, float64 (got "uint61")',
    ]);
  });

  it("point at the device's profile line when a profile setting no longer fits the device", () => {
    // The device swaps the pattern: the profile's channel field `v` is no group of it any more.
    expect(
      lines(
        load(
          `  - { id: t, bus: lan, interval: 5s, profile: acme/text, ascii: { pattern: '^w (?<w>\\S+)' } }\n`,
        ),
      ),
    ).toEqual([
      '6:47 devices[0].profile: "v" is not a named group of ascii.pattern (groups: w) (from profile acme/text at channels[0].field)',
    ]);
  });

  it('report a broken profile in its own file, once, and nothing that follows from it', () => {
    const result = load(
      '  - { id: a, bus: lan, interval: 10s, profile: acme/broken }\n  - { id: b, bus: lan, interval: 10s, profile: acme/broken }\n',
    );
    expect(lines(result)).toEqual([
      `${brokenFile}:7:58 channels[0].register.type: expected one of bool, int16, uint16, int32, uint32, float32, int64, uint64, float64 (got "float")`,
    ]);
  });

  it('find the shipped profiles from the package', () => {
    expect(defaultProfilesDir()).toMatch(/drivers[/\\]profiles$/);
    expect(openProfileLibrary().names()).toContain('thermo/49i-clink');
  });
});
