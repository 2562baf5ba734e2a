import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { driverFor } from '../../../agent/acquisition/driverPlugin.js';
import { describeBus } from '../../../agent/app/createBus.js';
import { DRIVER_PLUGINS } from '../../../agent/app/plugins.js';
import { busSchema, type DeviceConfig } from '../../../agent/config/schema.js';
import { ERROR_CODES } from '../../../agent/core/errors.js';

/** Issue 15: the one list of drivers decides what createBus, createPollerFor and `read` used to switch on. */

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

function device(extra: Partial<DeviceConfig>): DeviceConfig {
  return {
    id: 'd1',
    bus: 'b',
    unit: 7,
    interval: 1000,
    channels: [],
    workarounds: {},
    ...extra,
  } as DeviceConfig;
}

const serialBus = busSchema.parse({ id: 'b', type: 'serial', port: '/dev/ttyUSB0' });
const listenBus = busSchema.parse({ id: 'b', type: 'serial-listen', port: '/dev/ttyUSB0' });

describe('DRIVER_PLUGINS', () => {
  it('gives a device with an ascii block to the ascii driver and every other device to Modbus', () => {
    const ascii = device({ ascii: {} as DeviceConfig['ascii'] });
    expect(driverFor(DRIVER_PLUGINS, ascii, serialBus).name).toBe('ascii');
    expect(driverFor(DRIVER_PLUGINS, device({}), serialBus).name).toBe('modbus');
    expect(driverFor(DRIVER_PLUGINS, ascii, serialBus).cli.describeDevice(ascii)).toBe('ASCII');
    expect(driverFor(DRIVER_PLUGINS, device({}), serialBus).cli.describeDevice(device({}))).toBe('unit 7');
  });

  it('gives every device on a listen bus to the listener, which cannot scan by asking', () => {
    const plugin = driverFor(DRIVER_PLUGINS, device({}), listenBus);
    expect(plugin.name).toBe('modbus-listen');
    expect(plugin.cli.scan).toBe(false);
    expect(describeBus(listenBus)).toBe('listening on serial /dev/ttyUSB0 9600 8N1');
  });

  it('names each bus type as `read` always has', () => {
    const tcp = busSchema.parse({ id: 'b', type: 'tcp', host: '10.0.0.5' });
    const serial = busSchema.parse({ id: 'b', type: 'serial', port: '/dev/ttyUSB0', parity: 'even' });
    const rot = busSchema.parse({ id: 'b', type: 'rtu-over-tcp', host: 'gw', port: 4001 });
    expect(describeBus(tcp)).toBe('Modbus TCP 10.0.0.5:502');
    expect(describeBus(serial)).toBe('serial /dev/ttyUSB0 9600 8E1');
    expect(describeBus(rot)).toBe('RTU over TCP gw:4001');
  });

  it('lists each driver error code of the agent under exactly one plugin, each documented', () => {
    const listed = DRIVER_PLUGINS.flatMap((p) => [...p.errorCodes]);
    const driverCodes = Object.keys(ERROR_CODES).filter((c) =>
      /^(MODBUS|ASCII|HJ212_INPUT|DLT645|LISTEN)_/.test(c),
    );
    expect([...listed].sort()).toEqual(driverCodes.sort());
    for (const code of listed) expect(doc).toContain(`| \`${code}\` |`);
  });

  it('scan finds Modbus units and DL/T 645 meters (--meters), not ASCII analyzers', () => {
    expect(DRIVER_PLUGINS.filter((p) => p.cli.scan).map((p) => p.name)).toEqual(['dlt645', 'modbus']);
  });
});
