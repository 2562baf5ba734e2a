import { describe, expect, it } from 'vitest';
import { configRules } from '../../../agent/config/rules/configRules.js';
import { excludeUplinksProblems } from '../../../agent/config/rules/excludeUplinks.js';
import { duplicateCodeProblems } from '../../../agent/config/rules/hj212Codes.js';
import { modiconAddressWarnings, modiconMeaning } from '../../../agent/config/rules/modiconAddress.js';
import { referenceProblems } from '../../../agent/config/rules/referenceProblems.js';
import { LAST_MODBUS_ADDRESS, registerSpanProblem } from '../../../agent/config/rules/registerSpan.js';

/** The rules on raw config data, as the loader hands it to them (issue 14). */

const hj212 = (id: string) => ({ id, type: 'hj212' });
const mqtt = (id: string) => ({ id, type: 'mqtt' });
const channel = (id: string, code?: string, extra: Record<string, unknown> = {}) => ({
  id,
  ...(code ? { code } : {}),
  ...extra,
});

describe('duplicate HJ 212 codes', () => {
  const station = (uplinks: unknown[], sondePh: Record<string, unknown> = {}, sondeEnabled = true) => ({
    uplinks,
    devices: [
      { id: 'nutrient', channels: [channel('cod', 'w01018'), channel('ph', 'w01001')] },
      {
        id: 'sonde',
        enabled: sondeEnabled,
        channels: [channel('temp', 'w01010'), channel('ph', 'w01001', sondePh)],
      },
    ],
  });

  it('an error at the second channel, naming the first and the uplink', () => {
    const [p, ...more] = duplicateCodeProblems(station([hj212('province')]));
    expect(more).toEqual([]);
    expect(p).toMatchObject({
      severity: 'error',
      path: ['devices', 1, 'channels', 1, 'code'],
      related: { path: ['devices', 0, 'channels', 1, 'code'], note: 'nutrient/ph at' },
    });
    expect(p!.message).toBe(
      'HJ 212 code "w01001" of sonde/ph is also the code of nutrient/ph: uplink "province" sends one ' +
        'channel per code, so sonde/ph would never reach the platform',
    );
    expect(p!.hint).toContain('excludeUplinks: [province]');
  });

  it('one finding per pair of channels, naming every HJ 212 uplink it concerns', () => {
    const found = duplicateCodeProblems(station([hj212('province'), mqtt('cloud'), hj212('ministry')]));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('uplinks "province" and "ministry" send one channel per code');
  });

  it('a third channel with the code is reported against the first', () => {
    const cfg = station([hj212('province')]);
    cfg.devices.push({ id: 'spare', channels: [channel('ph', 'w01001')] });
    expect(duplicateCodeProblems(cfg).map((p) => [p.path, p.related?.path])).toEqual([
      [
        ['devices', 1, 'channels', 1, 'code'],
        ['devices', 0, 'channels', 1, 'code'],
      ],
      [
        ['devices', 2, 'channels', 0, 'code'],
        ['devices', 0, 'channels', 1, 'code'],
      ],
    ]);
  });

  it('no error without an HJ 212 uplink: MQTT sends each channel with its device and id', () => {
    expect(duplicateCodeProblems(station([mqtt('cloud')]))).toEqual([]);
  });

  it('no error when the second channel is excluded from the uplink, or its device is disabled', () => {
    expect(duplicateCodeProblems(station([hj212('province')], { excludeUplinks: ['province'] }))).toEqual([]);
    expect(duplicateCodeProblems(station([hj212('province')], {}, false))).toEqual([]);
  });

  it('excluded from one HJ 212 uplink only: still an error for the other', () => {
    const found = duplicateCodeProblems(
      station([hj212('province'), hj212('ministry')], { excludeUplinks: ['province'] }),
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('uplink "ministry" sends');
  });

  it('reads any value without throwing', () => {
    for (const cfg of [
      null,
      3,
      'x',
      { uplinks: 'x', devices: {} },
      { uplinks: [null], devices: [null, { channels: 5 }] },
    ])
      expect(duplicateCodeProblems(cfg)).toEqual([]);
  });
});

describe('excludeUplinks references', () => {
  const station = (excludeUplinks: unknown) => ({
    uplinks: [mqtt('cloud'), hj212('province')],
    devices: [{ id: 'sonde', channels: [channel('ph', 'w01001', { excludeUplinks })] }],
  });

  it('an HJ 212 uplink that exists: fine', () => {
    expect(excludeUplinksProblems(station(['province']))).toEqual([]);
  });

  it('an unknown uplink: the ids that exist and a did-you-mean', () => {
    expect(excludeUplinksProblems(station(['provnice']))).toEqual([
      {
        severity: 'error',
        path: ['devices', 0, 'channels', 0, 'excludeUplinks', 0],
        message: 'unknown uplink "provnice" (uplinks: cloud, province)',
        hint: 'did you mean "province"?',
      },
    ]);
  });

  it('an MQTT uplink: refused, HJ 212 only', () => {
    const [p] = excludeUplinksProblems(station(['province', 'cloud']));
    expect(p).toMatchObject({ path: ['devices', 0, 'channels', 0, 'excludeUplinks', 1] });
    expect(p!.message).toBe('uplink "cloud" is of type mqtt: excludeUplinks applies to HJ 212 uplinks only');
  });

  it('no uplinks at all: every name is unknown', () => {
    const [p] = excludeUplinksProblems({ devices: station(['province']).devices });
    expect(p!.message).toBe('unknown uplink "province" (uplinks: none defined)');
  });
});

describe('Modicon-style addresses', () => {
  it.each([
    ['input', 30017, '30017', 16],
    ['input', 30001, '30001', 0],
    ['input', 300017, '300017', 16],
    ['input', 365536, '365536', 65535],
    ['holding', 40001, '40001', 0],
    ['holding', 400001, '400001', 0],
    ['holding', 49999, '49999', 9998],
    ['discrete', 10003, '10003', 2],
    ['discrete', 100001, '100001', 0],
    ['coil', 17, '00017', 16],
    ['coil', 17, '000017', 16],
  ])('%s %s (written %s) probably means %s', (table, address, written, meant) => {
    expect(modiconMeaning(table, address, written)).toBe(meant);
  });

  it.each([
    ['input', 16, '16'],
    ['input', 30000, '30000'], // x0000 is no Modicon number
    ['input', 40001, '40001'], // the digit of another table: not guessed
    ['holding', 30017, '30017'],
    ['input', 365537, '365537'],
    ['coil', 17, '17'],
    ['coil', 10017, '10017'],
    ['holding', 4000, '4000'],
  ])('%s %s (written %s) is taken as written', (table, address, written) => {
    expect(modiconMeaning(table, address, written)).toBeUndefined();
  });

  it('a warning at the address of every register setting, with the 0-based address in the hint', () => {
    const cfg = {
      devices: [
        {
          id: 'nutrient',
          channels: [
            channel('cod', undefined, { register: { table: 'input', address: 30001, type: 'float32' } }),
          ],
          status: {
            register: { table: 'holding', address: 40033, type: 'uint16' },
            bits: [{ register: { table: 'coil', address: 5, type: 'bool' }, flag: 'D' }],
          },
          measurementTime: { table: 'holding', address: 40041, format: 'bcd' },
        },
      ],
    };
    const written = (path: readonly PropertyKey[]) => (path.join('.').includes('bits') ? '00005' : undefined);
    const found = modiconAddressWarnings(cfg, written);
    expect(found.map((f) => [f.severity, f.path.join('.')])).toEqual([
      ['warning', 'devices.0.channels.0.register.address'],
      ['warning', 'devices.0.status.register.address'],
      ['warning', 'devices.0.status.bits.0.register.address'],
      ['warning', 'devices.0.measurementTime.address'],
    ]);
    expect(found[0]!.message).toBe(
      'address 30001 looks Modicon-style (3xxxx = input registers numbered from 1): it probably means ' +
        'input register 0; address here is the 0-based PDU address',
    );
    expect(found[1]!.hint).toBe(
      'if the manual lists 40033, write address: 32; keep 40033 only if the device really uses that PDU address',
    );
    expect(found[2]!.message).toContain('coil 4');
  });
});

describe('multi-register values past the last Modbus address', () => {
  it.each([
    [65535, 2, 'type float32 takes 2 registers: at address 65535 it needs 65535–65536'],
    [65533, 4, 'type float32 takes 4 registers: at address 65533 it needs 65533–65536'],
  ])('address %s, %s registers: refused', (address, words, start) => {
    const message = registerSpanProblem(address, words, 'type float32');
    expect(message?.startsWith(start)).toBe(true);
    expect(message).toContain(`expected an address of at most ${LAST_MODBUS_ADDRESS - words + 1}`);
  });

  it.each([
    [65535, 1],
    [65534, 2],
    [65532, 4],
    [70000, 2], // past the end by itself: the schema's bound says so
  ])('address %s, %s registers: no problem of its own', (address, words) => {
    expect(registerSpanProblem(address, words, 'type x')).toBeUndefined();
  });
});

describe('duplicate ids', () => {
  it('each duplicate names its first definition', () => {
    const found = referenceProblems({
      buses: [{ id: 'lan' }, { id: 'lan' }],
      devices: [
        { id: 'd', bus: 'lan', channels: [{ id: 'c' }, { id: 'x' }, { id: 'c' }] },
        { id: 'd', bus: 'lan' },
      ],
      uplinks: [{ id: 'u' }, { id: 'v' }, { id: 'u' }],
    });
    expect(
      found.map((p) => [p.path.join('.'), p.message, p.related?.path.join('.'), p.related?.note]),
    ).toEqual([
      ['buses.1.id', 'duplicate bus id "lan"', 'buses.0.id', 'first defined at'],
      ['devices.1.id', 'duplicate device id "d"', 'devices.0.id', 'first defined at'],
      ['uplinks.2.id', 'duplicate uplink id "u"', 'uplinks.0.id', 'first defined at'],
      ['devices.0.channels.2.id', 'duplicate channel id "c"', 'devices.0.channels.0.id', 'first defined at'],
    ]);
  });
});

describe('configRules', () => {
  it('runs every rule: errors and warnings together', () => {
    const found = configRules(
      {
        uplinks: [hj212('province')],
        devices: [
          { id: 'a', channels: [channel('ph', 'w01001', { register: { table: 'input', address: 30017 } })] },
          { id: 'b', channels: [channel('ph', 'w01001', { excludeUplinks: ['nope'] })] },
        ],
      },
      () => undefined,
    );
    expect(found.map((f) => `${f.severity} ${f.path.join('.')}`).sort()).toEqual([
      'error devices.1.channels.0.code',
      'error devices.1.channels.0.excludeUplinks.0',
      'warning devices.0.channels.0.register.address',
    ]);
  });
});
