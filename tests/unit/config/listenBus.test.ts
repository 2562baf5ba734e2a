import { describe, expect, it } from 'vitest';
import { formatProblems, type LoadResult, loadConfigText } from '../../../agent/config/load.js';

/** Issue 16: a listen bus, and devices on it configured exactly as polled ones. */

const text = (bus: string, device = '') => `
version: 1
station: { id: "S1" }
storage: { path: ./data/test.db }
buses:
  - ${bus}
devices:
  - id: sonde
    bus: logger
    unit: 2
    interval: 10s
    channels:
      - { id: ph, register: { table: holding, address: 0, type: float32, order: CDAB } }
    status: { register: { table: holding, address: 10, type: uint16 }, flags: { 0: N, 1: M } }
${device}`;

const load = (bus: string, device = ''): LoadResult => loadConfigText(text(bus, device), 't.yaml', {});

function problems(r: LoadResult): string[] {
  if (r.ok) throw new Error('expected problems');
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('serial-listen buses', () => {
  it('fill in their defaults; the other master interval is learned unless given', () => {
    const r = load('{ id: logger, type: serial-listen, port: /dev/ttyUSB1 }');
    if (!r.ok) throw new Error(formatProblems(r.problems));
    expect(r.config.buses[0]).toEqual({
      id: 'logger',
      type: 'serial-listen',
      port: '/dev/ttyUSB1',
      baudRate: 9600,
      parity: 'none',
      dataBits: 8,
      stopBits: 1,
      reconnect: { min: 500, max: 30_000 },
      answerTimeout: 1000,
      silentAfterIntervals: 3,
    });
    expect(r.warnings).toEqual([]);
    const given = load(
      '{ id: logger, type: serial-listen, port: /dev/ttyUSB1, expectedInterval: 5s, silentAfterIntervals: 5 }',
    );
    expect(given.ok && given.config.buses[0]).toMatchObject({
      expectedInterval: 5000,
      silentAfterIntervals: 5,
    });
  });

  it('refuse what only a polling bus has: timeout, retries, workarounds', () => {
    const p = problems(
      load(
        '{ id: logger, type: serial-listen, port: /dev/ttyUSB1, timeout: 1s, retries: 2, workarounds: {} }',
      ),
    );
    expect(p.join('\n')).toMatch(/timeout/);
    expect(p.join('\n')).toMatch(/retries/);
    expect(p.join('\n')).toMatch(/workarounds/);
  });

  it('warn that a device workaround or isolation is ignored when listening', () => {
    const r = load(
      '{ id: logger, type: serial-listen, port: /dev/ttyUSB1 }',
      '    workarounds: { mergeGap: 0 }\n    isolation: { after: 2 }',
    );
    if (!r.ok) throw new Error(formatProblems(r.problems));
    expect(r.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      expect.stringMatching(/^devices\[0\]\.workarounds: .*ignored/),
      expect.stringMatching(/^devices\[0\]\.isolation: .*nothing/),
    ]);
  });

  it('refuse an ASCII device and unit 0 on a listen bus', () => {
    const ascii = load(
      '{ id: logger, type: serial-listen, port: /dev/ttyUSB1 }',
      `  - id: cod
    bus: logger
    interval: 10s
    ascii: { command: "R\\r", pattern: "(?<cod>[0-9.]+)" }
    channels: [{ id: cod, field: cod }]`,
    );
    expect(problems(ascii).join('\n')).toMatch(/devices\[1\]\.bus: .*listen bus.*ASCII/);
    const unit0 = loadConfigText(
      text('{ id: logger, type: serial-listen, port: /dev/ttyUSB1 }').replace('unit: 2', 'unit: 0'),
      't.yaml',
      {},
    );
    expect(problems(unit0).join('\n')).toMatch(/unit 0 is the broadcast address/);
  });
});
