import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ConfigProblem,
  formatProblems,
  loadConfig,
  loadConfigText,
} from '../../../agent/config/load.js';
import { openProfileLibrary } from '../../../agent/config/profiles.js';

/**
 * What validate used to let through (issue 14), from fixture files: each problem at its line and
 * column, a second place named by its own file:line:column, warnings apart from errors.
 */

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/config/${name}`, import.meta.url));

async function problemsOf(name: string): Promise<ConfigProblem[]> {
  const result = await loadConfig(fixture(name), {});
  if (result.ok) throw new Error(`${name} unexpectedly loaded`);
  expect(result.code).toBe('CONFIG_INVALID');
  return result.problems;
}

const brief = (p: ConfigProblem) => `${p.severity ?? 'error'} ${p.line}:${p.column} ${p.path}`;

describe('duplicate HJ 212 codes', () => {
  it('an error at the second channel, with the file:line:column of the first', async () => {
    const problems = await problemsOf('duplicate-hj212-code.yaml');
    expect(problems.map(brief)).toEqual(['error 21:25 devices[1].channels[1].code']);
    expect(problems[0]!.message).toBe(
      'HJ 212 code "w01001" of sonde/ph is also the code of nutrient/ph: uplink "province" sends one ' +
        'channel per code, so sonde/ph would never reach the platform ' +
        `(nutrient/ph at ${fixture('duplicate-hj212-code.yaml')}:14:25)`,
    );
  });

  it('excludeUplinks keeps the second channel off the uplink: valid', async () => {
    const result = await loadConfig(fixture('exclude-uplinks.yaml'), {});
    expect(result.ok ? result.warnings : result.problems).toEqual([]);
    const sonde = result.ok ? result.config.devices[1] : undefined;
    expect(sonde?.channels[0]?.excludeUplinks).toEqual(['province']);
  });

  it('excludeUplinks naming an unknown or an MQTT uplink: refused at the name', async () => {
    const problems = await problemsOf('exclude-uplinks-unknown.yaml');
    expect(problems.map(brief)).toEqual([
      'error 20:15 devices[1].channels[0].code',
      'error 22:26 devices[1].channels[0].excludeUplinks[0]',
      'error 22:36 devices[1].channels[0].excludeUplinks[1]',
    ]);
    expect(problems[1]).toMatchObject({
      message: 'unknown uplink "provnice" (uplinks: cloud, province)',
      hint: 'did you mean "province"?',
    });
    expect(problems[2]!.message).toContain('HJ 212 uplinks only');
  });
});

describe('Modicon-style addresses', () => {
  it('warnings only: the file loads, each warning at its address with the 0-based address meant', async () => {
    const result = await loadConfig(fixture('modicon-address.yaml'), {});
    if (!result.ok) throw new Error(formatProblems(result.problems));
    expect(result.warnings.map(brief)).toEqual([
      'warning 13:54 devices[0].channels[0].register.address',
      'warning 14:58 devices[0].channels[1].register.address',
      'warning 15:60 devices[0].channels[2].register.address',
      'warning 16:55 devices[0].channels[3].register.address',
    ]);
    expect(result.warnings.map((w) => w.hint?.match(/write address: (\d+)/)?.[1])).toEqual([
      '16',
      '0',
      '2',
      '16',
    ]);
    expect(result.warnings[3]!.message).toMatch(/^address 00017 looks Modicon-style \(0xxxx = coils/);
    // Taken as written: the warning changes nothing.
    expect(result.config.devices[0]!.channels[0]!.register?.address).toBe(30017);
  });

  it('a 6-digit form past 65535: the range error, and the warning saying what it means', async () => {
    const problems = await problemsOf('modicon-six-digit.yaml');
    expect(problems.map(brief)).toEqual([
      'warning 13:54 devices[0].channels[0].register.address',
      'error 13:54 devices[0].channels[0].register.address',
    ]);
    expect(problems[0]!.message).toContain('probably means input register 16');
    expect(formatProblems(problems).split('\n').at(-1)).toBe(
      '1 problem and 1 warning; the agent did not start.',
    );
  });
});

describe('multi-register values past address 65535', () => {
  it('float32 at 65535, float64 at 65533, a bcd time at 65534: refused; uint16 at 65535 and int32 at 65534 fit', async () => {
    const problems = await problemsOf('register-past-end.yaml');
    expect(problems.map(brief)).toEqual([
      'error 12:58 devices[0].channels[0].register.address',
      'error 13:59 devices[0].channels[1].register.address',
      'error 16:49 devices[0].measurementTime.address',
    ]);
    expect(problems[0]!.message).toBe(
      'type float32 takes 2 registers: at address 65535 it needs 65535–65536, past the last Modbus ' +
        'address 65535; expected an address of at most 65534',
    );
  });
});

describe('files not in UTF-8', () => {
  it('GBK: refused at the first GBK byte, naming the encoding', async () => {
    // The fixture is GBK bytes on purpose: if an editor re-saved it as UTF-8 this test would prove nothing.
    const bytes = readFileSync(fixture('gbk-station.yaml'));
    expect(bytes.includes(Buffer.from([0xc4, 0xcf, 0xbe, 0xa9]))).toBe(true);
    const problems = await problemsOf('gbk-station.yaml');
    expect(problems.map(brief)).toEqual(['error 4:37 ']);
    expect(problems[0]!.message).toContain('GBK/GB18030');
    expect(problems[0]!.message).toContain('name: "南京水质站"');
    expect(problems[0]!.hint).toContain('iconv -f GBK -t UTF-8 gbk-station.yaml > gbk-station.utf8.yaml');
  });

  it("a UTF-8 byte order mark is accepted, and does not shift the first line's columns", () => {
    const text = '\uFEFFversion: 2\n';
    const result = loadConfigText(Buffer.from(text, 'utf8'), 'bom.yaml', {});
    expect(result.ok ? [] : result.problems.filter((p) => p.path === 'version').map(brief)).toEqual([
      'error 1:10 version',
    ]);
  });
});

describe('duplicate ids', () => {
  it('bus, channel and uplink: each at the second, naming the first', async () => {
    const problems = await problemsOf('duplicate-ids.yaml');
    const at = (line: number, column: number) => `${fixture('duplicate-ids.yaml')}:${line}:${column}`;
    expect(problems.map((p) => `${brief(p)} ${p.message}`)).toEqual([
      `error 7:11 buses[1].id duplicate bus id "lan" (first defined at ${at(6, 11)})`,
      `error 14:15 devices[0].channels[1].id duplicate channel id "temp" (first defined at ${at(13, 15)})`,
      `error 17:11 uplinks[1].id duplicate uplink id "cloud" (first defined at ${at(16, 11)})`,
    ]);
  });
});

describe('with analyzer profiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sa-rules-profiles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const META =
    'vendor: acme\ndescription: d\nsource: [{ fact: f, kind: assumption }]\nverifiedOnHardware: false\n';
  mkdirSync(join(dir, 'acme'));
  writeFileSync(
    join(dir, 'acme', 'sonde.yaml'),
    `model: sonde\n${META}channels:\n  - { id: ph, code: w01001, register: { table: input, address: 2, type: float32 } }\n`,
  );
  const excluding = join(dir, 'acme', 'excluding.yaml');
  const excludingChannel =
    '  - { id: ph, code: w01001, excludeUplinks: [province], register: { table: input, address: 2, type: int16 } }';
  writeFileSync(excluding, `model: excluding\n${META}channels:\n${excludingChannel}\n`);
  const nutrient =
    '  - { id: nutrient, bus: lan, interval: 10s, channels: [{ id: ph, code: w01001, register: { table: input, address: 16, type: int16 } }] }';
  const sonde = (profile: string) => `  - { id: sonde, bus: lan, interval: 10s, profile: ${profile} }`;
  const column = (line: string, text: string) => line.indexOf(text) + 1;
  const load = (profile: string) =>
    loadConfigText(
      [
        'version: 1',
        'station: { id: s1 }',
        'storage: { path: ./x.db }',
        'buses: [{ id: lan, type: tcp, host: 127.0.0.1 }]',
        'uplinks: [{ id: province, type: hj212, host: h, port: 6000, version: 2017, mn: "M", pw: "123456", st: 21 }]',
        'devices:',
        nutrient,
        sonde(profile),
      ].join('\n'),
      'station.yaml',
      {},
      { profiles: openProfileLibrary(dir) },
    );

  it("a duplicate code from a profile channel: at the device's profile line, naming the first channel", () => {
    const result = load('acme/sonde');
    const problems = result.ok ? [] : result.problems;
    expect(problems.map(brief)).toEqual([
      `error 8:${column(sonde('acme/sonde'), 'acme/')} devices[1].profile`,
    ]);
    expect(problems[0]!.message).toContain('(from profile acme/sonde at channels[0].code)');
    expect(problems[0]!.message).toContain(`(nutrient/ph at station.yaml:7:${column(nutrient, 'w01001')})`);
  });

  it('excludeUplinks in a profile: refused in the profile file (uplinks belong to a station)', () => {
    const result = load('acme/excluding');
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.path}`)).toContain(
      `${excluding}:7:${column(excludingChannel, '[province]')} channels[0].excludeUplinks`,
    );
  });
});
