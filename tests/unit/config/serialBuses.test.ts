import { describe, expect, it } from 'vitest';
import { formatProblems, type LoadResult, loadConfigText } from '../../../agent/config/load.js';
import type { StationConfig } from '../../../agent/config/schema.js';

function configOf(result: LoadResult): StationConfig {
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return result.config;
}

function problemsOf(result: LoadResult): string[] {
  if (result.ok) throw new Error('expected problems');
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

const config = (buses: string, devices = '') => `
version: 1
station: { id: "S1" }
storage: { path: ./data/test.db }
buses:
${buses}
devices:
${
  devices ||
  `  - id: ph
    bus: rs485
    unit: 2
    interval: 2s
    channels:
      - { id: ph, register: { table: holding, address: 0, type: int16 } }`
}
`;

describe('serial and rtu-over-tcp buses', () => {
  it('fills in the serial defaults', () => {
    const c = configOf(
      loadConfigText(config('  - { id: rs485, type: serial, port: /dev/ttyUSB0 }'), 't.yaml', {}),
    );
    expect(c.buses[0]).toEqual({
      id: 'rs485',
      type: 'serial',
      port: '/dev/ttyUSB0',
      baudRate: 9600,
      parity: 'none',
      dataBits: 8,
      stopBits: 1,
      timeout: 1000,
      retries: 1,
      reconnect: { min: 500, max: 30_000 },
      workarounds: { pauseAfterOpen: 0 },
    });
    expect(c.devices[0]!.isolation).toBeUndefined(); // the defaults apply (after 3, every 60s)
  });

  it('reads every serial setting, workarounds and device isolation', () => {
    const buses = `  - id: rs485
    type: serial
    port: /dev/serial/by-id/usb-FTDI
    baudRate: 19200
    parity: even
    dataBits: 7
    stopBits: 2
    timeout: 300ms
    retries: 2
    reconnect: { min: 1s, max: 10s }
    workarounds: { pauseBetweenRequests: 20ms, pauseAfterOpen: 2s, guardTime: 150ms }`;
    const devices = `  - id: ph
    bus: rs485
    unit: 2
    interval: 2s
    isolation: { after: 5, interval: 5m }
    channels:
      - { id: ph, register: { table: holding, address: 0, type: int16 } }`;
    const c = configOf(loadConfigText(config(buses, devices), 't.yaml', {}));
    expect(c.buses[0]).toMatchObject({
      baudRate: 19200,
      parity: 'even',
      dataBits: 7,
      stopBits: 2,
      timeout: 300,
      retries: 2,
      reconnect: { min: 1000, max: 10_000 },
      workarounds: { pauseBetweenRequests: 20, pauseAfterOpen: 2000, guardTime: 150 },
    });
    expect(c.devices[0]!.isolation).toEqual({ after: 5, interval: 300_000 });
  });

  it('accepts rtu-over-tcp with a port number', () => {
    const c = configOf(
      loadConfigText(
        config('  - { id: rs485, type: rtu-over-tcp, host: 10.0.0.9, port: 4001 }'),
        't.yaml',
        {},
      ),
    );
    expect(c.buses[0]).toMatchObject({ type: 'rtu-over-tcp', host: '10.0.0.9', port: 4001, timeout: 1000 });
  });

  it('reports bad serial settings with their paths', () => {
    const buses = '  - { id: rs485, type: serial, port: /dev/ttyS0, parity: mark, dataBits: 9, baudRate: 0 }';
    const problems = problemsOf(loadConfigText(config(buses), 't.yaml', {})).join('\n');
    expect(problems).toMatch(/buses\[0\]\.parity/);
    expect(problems).toMatch(/buses\[0\]\.dataBits/);
    expect(problems).toMatch(/buses\[0\]\.baudRate/);
  });

  it('refuses unit 0 (broadcast) on an RTU line but not on Modbus TCP', () => {
    const devices = `  - id: ph
    bus: rs485
    unit: 0
    interval: 2s
    channels:
      - { id: ph, register: { table: holding, address: 0, type: int16 } }`;
    const rtu = config('  - { id: rs485, type: serial, port: /dev/ttyS0 }', devices);
    expect(problemsOf(loadConfigText(rtu, 't.yaml', {})).join('\n')).toMatch(
      /devices\[0\]\.unit: unit 0 is the broadcast/,
    );
    const tcp = config('  - { id: rs485, type: tcp, host: 10.0.0.5 }', devices);
    expect(loadConfigText(tcp, 't.yaml', {}).ok).toBe(true);
  });
});
