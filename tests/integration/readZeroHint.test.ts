/**
 * Issue 13: a device whose every register reads 0 on a unit that answers 0 for unmapped addresses
 * is the classic wiring mistake (holding for input, or another unit), and `read` says so. The
 * scenario of the issue: the sonde configured on holding registers, the simulator's demo map
 * serving it on input registers. Built CLI against the built simulator on Modbus TCP.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { runAgentCli } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { DEMO_MAP, tempStation, writeYaml } from '../../scripts/support/stationFixture.js';
import { readTable } from '../helpers/readOutput.js';
import { startSimulatorProcess } from '../helpers/simulatorProcess.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function cli(args: string[]) {
  const p = runAgentCli(args);
  const code = await p.exited;
  return { code, out: p.output() };
}

/** A station file with demo-water's sonde (unit 1, float32 at 0-9 of `table`) on a TCP simulator. */
async function sondeStation(table: 'holding' | 'input', unit = 1): Promise<string> {
  const port = await freePort();
  const sim = await startSimulatorProcess(['--map', DEMO_MAP, '--port', String(port)]);
  cleanups.push(() => sim.stop());
  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  const ch = (id: string, address: number) => ({ id, register: { table, address, type: 'float32' } });
  writeYaml(tmp.configPath, {
    version: 1,
    station: { id: 'ZERO-IT' },
    storage: { path: tmp.dbPath },
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '1s' }],
    devices: [
      {
        id: 'sonde',
        bus: 'lan',
        unit,
        interval: '10s',
        channels: [ch('temp', 0), ch('ph', 2), ch('do', 4), ch('cond', 6), ch('turb', 8)],
      },
    ],
  });
  return tmp.configPath;
}

describe('read points out a device that reads all zeros', () => {
  it('the sonde read from holding registers it does not have: zeros, flagged N, and the hint', async () => {
    const config = await sondeStation('holding');
    const { code, out } = await cli(['read', '--config', config, '--device', 'sonde']);
    // The poll itself is "ok" (the unit answered): the exit code says so, the hint says what is wrong.
    expect(code, out).toBe(0);
    expect(out).toContain('poll ok');
    const rows = readTable(out);
    expect(rows.map((r) => [r.channel, r.raw, r.value, r.flag])).toEqual(
      ['temp', 'ph', 'do', 'cond', 'turb'].map((c) => [c, '0x0000 0x0000', '0', 'N']),
    );
    expect(out).toContain(
      'hint: every register of sonde read 0 (holding 0-9 of unit 1): is the register table right ' +
        '(holding vs input)? is this the right unit?',
    );
  });

  it('a unit id where nothing is mapped gives the hint too', async () => {
    // Unit 7 of the demo map has its values at input 0-5 and 16; holding is empty there as well.
    const config = await sondeStation('holding', 7);
    const { code, out } = await cli(['read', '--config', config, '--device', 'sonde']);
    expect(code, out).toBe(0);
    expect(out).toMatch(/^hint: every register of sonde read 0 \(holding 0-9 of unit 7\): /m);
  });

  it('the same sonde on its input registers reads values and no hint', async () => {
    const config = await sondeStation('input');
    const { code, out } = await cli(['read', '--config', config, '--device', 'sonde']);
    expect(code, out).toBe(0);
    const rows = readTable(out);
    expect(rows.map((r) => r.channel)).toEqual(['temp', 'ph', 'do', 'cond', 'turb']);
    for (const row of rows) expect(Number(row.value), row.channel).not.toBe(0);
    expect(out).not.toContain('every register');
  });
});
