import { describe, expect, it } from 'vitest';
import {
  type ConfigProblem,
  formatProblems,
  type LoadResult,
  loadConfigText,
} from '../../../agent/config/load.js';
import type { StationConfig } from '../../../agent/config/schema.js';

/** Station text around buses and devices (YAML lines, indented under their keys). */
function station(buses: string, devices: string): string {
  return `version: 1
station: { id: s1 }
storage: { path: ./x.db }
buses:
${buses}
devices:
${devices}
`;
}

const LINE = '  - { id: line, type: serial, port: /dev/ttyS0 }';
const METER = `  - id: main
    bus: line
    interval: 10s
    profile: dlt645/generic/three-phase
    meter: { address: '000000000001' }`;

function ok(result: LoadResult): StationConfig & { warnings: ConfigProblem[] } {
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return { ...result.config, warnings: result.warnings };
}

function problems(result: LoadResult): Pick<ConfigProblem, 'line' | 'path' | 'message'>[] {
  if (result.ok) throw new Error('expected problems');
  return result.problems.map(({ line, path, message }) => ({ line, path, message }));
}

describe('meters in the configuration', () => {
  it('a meter profile gives the protocol, the channels by identifier and the energy counter', () => {
    const cfg = ok(loadConfigText(station(LINE, METER), 'station.yaml', {}));
    const device = cfg.devices[0]!;
    expect(device.meter).toEqual({ address: '000000000001', protocol: '2007', preamble: 4 });
    expect(device.channels.map((c) => c.id)).toContain('pfc');
    const energy = device.channels.find((c) => c.id === 'energy')!;
    expect(energy).toMatchObject({
      di: '00010000',
      format: { bytes: 4, decimals: 2, signed: false },
      unit: 'kWh',
      cumulative: { rollover: 1000000 },
    });
    expect(energy.code).toBeUndefined();
    expect(device.channels.find((c) => c.id === 'ub')).toMatchObject({ di: '0201FF00', element: 1 });
  });

  it('a channel of the device sets the upload code of a profile channel', () => {
    const text = station(LINE, `${METER}\n    channels:\n      - { id: power, code: e01001 }`);
    const device = ok(loadConfigText(text, 'station.yaml', {})).devices[0]!;
    expect(device.channels.find((c) => c.id === 'power')).toMatchObject({ code: 'e01001', di: '0203FF00' });
  });

  it('a bus of meters only runs at 2400 8E1 unless it writes its own speed and parity', () => {
    const meterOnly = ok(loadConfigText(station(LINE, METER), 'station.yaml', {}));
    expect(meterOnly.buses[0]).toMatchObject({ baudRate: 2400, parity: 'even', dataBits: 8, stopBits: 1 });
    expect(meterOnly.warnings).toEqual([]);
    const written = '  - { id: line, type: serial, port: /dev/ttyS0, baudRate: 9600, parity: none }';
    expect(ok(loadConfigText(station(written, METER), 'station.yaml', {})).buses[0]).toMatchObject({
      baudRate: 9600,
      parity: 'none',
    });
  });

  it('meters sharing a bus with Modbus devices: the bus defaults stay, with a warning', () => {
    const modbus = `  - id: flow
    bus: line
    interval: 10s
    channels: [{ id: q, register: { table: holding, address: 0, type: uint16 } }]`;
    const cfg = ok(loadConfigText(station(LINE, `${METER}\n${modbus}`), 'station.yaml', {}));
    expect(cfg.buses[0]).toMatchObject({ baudRate: 9600, parity: 'none' });
    expect(cfg.warnings.map((w) => [w.line, w.message])).toEqual([
      [
        5,
        'meters (main) share this bus with other devices, so it runs at 9600 baud parity none; DL/T 645 meters default to 2400 8E1',
      ],
    ]);
  });

  it('refuses a register on a meter channel, a channel without identifier, a bad address, a TCP bus', () => {
    const text = station(
      `${LINE}\n  - { id: lan, type: tcp, host: 127.0.0.1 }`,
      `  - id: m2
    bus: lan
    interval: 10s
    meter: { address: '12345' }
    channels:
      - { id: u, register: { table: holding, address: 0, type: uint16 } }
      - { id: e, di: '00010000', format: { bytes: 4, decimals: 2, signed: false } }`,
    );
    expect(problems(loadConfigText(text, 'station.yaml', {}))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          line: 9,
          path: 'devices[0].bus',
          message: expect.stringContaining('Modbus TCP'),
        }),
        expect.objectContaining({ line: 11, path: 'devices[0].meter.address' }),
        expect.objectContaining({
          line: 13,
          path: 'devices[0].channels[0].register',
          message: 'a meter is read by data identifier: give di, not register',
        }),
        expect.objectContaining({ path: 'devices[0].channels[0].di' }),
      ]),
    );
  });

  it('a DL/T 645 key on a Modbus channel is refused', () => {
    const text = station(
      LINE,
      `  - id: flow
    bus: line
    interval: 10s
    channels: [{ id: q, di: '00010000', register: { table: holding, address: 0, type: uint16 } }]`,
    );
    expect(problems(loadConfigText(text, 'station.yaml', {}))).toEqual([
      expect.objectContaining({
        path: 'devices[0].channels[0].di',
        message: expect.stringContaining('di is for meters (a device with a meter block)'),
      }),
    ]);
  });

  it('an unknown meter profile lists the meter profiles', () => {
    const text = station(LINE, METER.replace('three-phase', 'four-phase'));
    const [p] = problems(loadConfigText(text, 'station.yaml', {}));
    expect(p!.path).toBe('devices[0].profile');
    expect(p!.message).toContain('dlt645/generic/single-phase');
    expect(p!.message).toContain('dlt645/generic/three-phase');
  });
});
