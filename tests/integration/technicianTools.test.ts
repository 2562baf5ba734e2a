/**
 * Issue 3 item 7, the technician's wiring tools, as a technician runs them: the BUILT CLI
 * (`npm run build` first) against the RTU simulator (demo map: units 1 and 7) on real ptys (socat),
 * and against the Modbus TCP simulator for `scan --tcp`.
 */

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { startAsciiSimulator } from '../../scripts/simulator/asciiServer.js';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { type RtuSimulatorHandle, startRtuSimulator } from '../../scripts/simulator/rtuServer.js';
import { runAgentCli } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { createPtyPair, type PtyPair } from '../../scripts/support/pty.js';
import { DEMO_MAP, nutrientDevice, tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function cli(args: string[]) {
  const p = runAgentCli(args);
  const code = await p.exited;
  return { code, out: p.output() };
}

async function rig(): Promise<{ pty: PtyPair; sim: RtuSimulatorHandle }> {
  const pty = await createPtyPair();
  cleanups.push(() => pty.stop());
  const sim = await startRtuSimulator({ mapFile: DEMO_MAP, path: pty.simPath, baudRate: 38400, seed: 5 });
  cleanups.push(() => sim.stop());
  return { pty, sim };
}

/** A station file with the nutrient analyzer (unit 7) on the pty, plus a channel with the wrong order. */
function stationFile(port: string): string {
  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  const device = nutrientDevice('rs485', '10s');
  device.channels.push({
    id: 'cod_abcd',
    code: 'w01019',
    unit: 'mg/L',
    register: { table: 'input', address: 0, type: 'float32', order: 'ABCD' },
  });
  writeYaml(tmp.configPath, {
    version: 1,
    station: { id: 'TECH-IT' },
    storage: { path: tmp.dbPath },
    buses: [{ id: 'rs485', type: 'serial', port, baudRate: 38400, timeout: '200ms', retries: 1 }],
    devices: [device],
  });
  return tmp.configPath;
}

/** The cells of the table row of `channel` (cells are separated by two or more spaces). */
function row(out: string, channel: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith(`${channel} `));
  if (!line) throw new Error(`no row for ${channel} in:\n${out}`);
  return line.trim().split(/\s{2,}/);
}

describe('technician tools (built CLI, real ptys, RTU simulator)', () => {
  it('scan finds exactly units 1 and 7 on the line', async () => {
    const { pty, sim } = await rig();
    sim.setException(1, 2); // an exception answer proves a device is there
    const { code, out } = await cli([
      'scan',
      '--port',
      pty.agentPath,
      '--baud',
      '38400',
      '--units',
      '1-10',
      '--timeout',
      '100ms',
    ]);
    expect(code, out).toBe(0);
    const units = [...out.matchAll(/^unit (\d+): /gm)].map((m) => Number(m[1]));
    expect(units).toEqual([1, 7]);
    expect(out).toMatch(/^unit 1: exception 2 \(illegal address\) — a device is there$/m);
    expect(out).toMatch(/^unit 7: answered \(holding 0 = 0x[0-9A-F]{4}\)$/m);
    expect(out).toMatch(/2 of 10 unit\(s\) answered: 1, 7/);
    expect(out).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('scan reads the register it is told to and shows its value in hex', async () => {
    const { pty, sim } = await rig();
    sim.setState(7, 2); // input 32 of unit 7 is its state register
    const { code, out } = await cli([
      'scan',
      '--port',
      pty.agentPath,
      '--baud',
      '38400',
      '--units',
      '7',
      '--register',
      'input:32',
    ]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/^unit 7: answered \(input 32 = 0x0002\)$/m);
  });

  it('scan with nobody there exits 1 with a hint', async () => {
    const { pty } = await rig();
    const { code, out } = await cli(['scan', '--port', pty.agentPath, '--units', '2-4', '--timeout', '50ms']);
    expect(code, out).toBe(1);
    expect(out).toContain('no unit answered');
    expect(out).toMatch(/baud rate, parity/);
  });

  it('read prints raw hex registers, decoded values and the other word orders', async () => {
    const { pty, sim } = await rig();
    sim.setValue(7, 'cod', 23.456);
    const cod = sim.values(7).cod!;
    const config = stationFile(pty.agentPath);
    const { code, out } = await cli(['read', '--config', config, '--device', 'nutrient']);
    expect(code, out).toBe(0);
    const header = row(out, 'channel');
    expect(header).toEqual(['channel', 'code', 'register', 'raw', 'value', 'unit', 'flag', 'other orders']);
    const [, codeCell, register, raw, value, unit, flag, others] = row(out, 'cod');
    expect(codeCell).toBe('w01018');
    expect(register).toBe('input:0 float32 CDAB');
    expect(raw).toMatch(/^0x[0-9A-F]{4} 0x[0-9A-F]{4}$/);
    expect(Number(value)).toBeCloseTo(cod, 4);
    expect(unit).toBe('mg/L');
    expect(flag).toBe('N');
    expect(others).toMatch(/^ABCD=\S+, BADC=\S+, DCBA=\S+$/);
    // The same words read with the wrong order: its "other orders" show the right value, and a hint names it.
    const wrong = row(out, 'cod_abcd');
    expect(wrong[3]).toBe(raw);
    expect(wrong[7]).toContain(`CDAB=${value}`);
    expect(out).toMatch(/hint: cod_abcd decodes to .+ in ABCD but to 23\.456 in CDAB: is its order CDAB\?/);
    // ph: int16 scaled, one register.
    expect(row(out, 'ph')[3]).toMatch(/^0x[0-9A-F]{4}$/);
    expect(out).toContain('state: 0');
    expect(out).toContain('errors: none');
    expect(out).toContain('poll ok');
    expect(existsSync(config.replace(/station\.yaml$/, 'agent.db'))).toBe(false);
  });

  it('read of an ASCII analyzer shows the text sent and received', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.stop());
    const definitionFile = fileURLToPath(
      new URL('../../scripts/simulator/ascii/thermo-49i.yaml', import.meta.url),
    );
    const sim = await startAsciiSimulator({ path: pty.simPath, definitionFile });
    cleanups.push(() => sim.stop());
    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    writeYaml(tmp.configPath, {
      version: 1,
      station: { id: 'TECH-IT' },
      storage: { path: tmp.dbPath },
      buses: [{ id: 'com1', type: 'serial', port: pty.agentPath, baudRate: 9600, timeout: '300ms' }],
      devices: [
        { id: 'o3', bus: 'com1', interval: '1s', profile: 'thermo/49i-clink', ascii: { timeout: '300ms' } },
      ],
    });
    const { code, out } = await cli(['read', '--config', tmp.configPath, '--device', 'o3']);
    expect(code, out).toBe(0);
    expect(row(out, 'channel')).toEqual([
      'channel',
      'code',
      'field',
      'matched text',
      'value',
      'unit',
      'flag',
    ]);
    const [, , field, matched, value] = row(out, 'o3');
    expect(field).toBe('o3');
    expect(Number(value)).toBeCloseTo(Number(JSON.parse(matched!)), 6);
    expect(out).toMatch(/^ {2}sent {5}\\xb1o3\\r$/m);
    expect(out).toMatch(/^ {2}received o3 \S+ ppb\\r$/m);
    // Nothing of the agent's store: read never opens SQLite.
    expect(existsSync(tmp.dbPath)).toBe(false);
  });

  it('read of a silent device shows the errors and exits 1', async () => {
    const { pty, sim } = await rig();
    sim.setSilent(7, true);
    const { code, out } = await cli(['read', '--config', stationFile(pty.agentPath), '--device', 'nutrient']);
    expect(code, out).toBe(1);
    expect(out).toContain('MODBUS_TIMEOUT');
    expect(out).toContain('poll failed');
    expect(row(out, 'cod')[4]).toBe('—');
  });

  it('read of an unknown device exits 2 and lists the devices', async () => {
    const { pty } = await rig();
    const { code, out } = await cli(['read', '--config', stationFile(pty.agentPath), '--device', 'nope']);
    expect(code).toBe(2);
    expect(out).toContain('no device "nope"');
    expect(out).toContain('devices: nutrient');
  });

  it('a port locked by another process: one clear line naming it, exit 1 (scan and read)', async () => {
    const { pty } = await rig();
    const holder = new SerialPort({ path: pty.agentPath, baudRate: 38400, lock: true, autoOpen: false });
    await new Promise<void>((resolve, reject) => holder.open((err) => (err ? reject(err) : resolve())));
    cleanups.push(() => new Promise<void>((resolve) => holder.close(() => resolve())));

    const scan = await cli(['scan', '--port', pty.agentPath, '--units', '1-3']);
    expect(scan.code).toBe(1);
    expect(scan.out.trim()).toBe(
      `station-agent: serial port ${pty.agentPath} is in use by another process (it is locked): stop the other program or configure another port`,
    );
    const read = await cli(['read', '--config', stationFile(pty.agentPath), '--device', 'nutrient']);
    expect(read.code).toBe(1);
    expect(read.out).toContain(`serial port ${pty.agentPath} is in use by another process`);
    expect(read.out).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('a missing port: exit 1 and a line naming it', async () => {
    const { code, out } = await cli(['scan', '--port', '/dev/ttyUSB-missing-42', '--units', '1']);
    expect(code).toBe(1);
    expect(out.trim()).toBe(
      'station-agent: serial port /dev/ttyUSB-missing-42 does not exist (unplugged, or a wrong name?)',
    );
  });

  it('scan --tcp finds the units behind a Modbus TCP gateway', async () => {
    const port = await freePort();
    const sim = await startSimulator({ mapFile: DEMO_MAP, port, seed: 5 });
    cleanups.push(() => sim.stop());
    const { code, out } = await cli([
      'scan',
      '--tcp',
      `127.0.0.1:${port}`,
      '--units',
      '1-8',
      '--timeout',
      '100ms',
    ]);
    expect(code, out).toBe(0);
    expect([...out.matchAll(/^unit (\d+): /gm)].map((m) => Number(m[1]))).toEqual([1, 7]);
  });

  it('scan --tcp to a closed port: exit 1 naming it', async () => {
    const port = await freePort();
    const { code, out } = await cli(['scan', '--tcp', `127.0.0.1:${port}`, '--units', '1']);
    expect(code).toBe(1);
    expect(out.trim()).toMatch(
      new RegExp(
        `^station-agent: cannot connect to Modbus TCP gateway 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`,
      ),
    );
  });

  it('ports exits 0 and lists ports or says none were found', async () => {
    const { code, out } = await cli(['ports']);
    expect(code, out).toBe(0);
    expect(out).toMatch(/\/dev\/|no serial ports found/);
    expect(out).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it.each([['scan'], ['read'], ['ports']])('%s --help shows an example', async (cmd) => {
    const { code, out } = await cli([cmd, '--help']);
    expect(code).toBe(0);
    expect(out).toContain('Example:');
    expect(out).toContain(`station-agent ${cmd}`);
  });

  it('scan refuses a bad unit list with a clear error, exit 2 (a usage error)', async () => {
    const { code, out } = await cli(['scan', '--port', '/dev/ttyUSB0', '--units', '7-3']);
    expect(code).toBe(2);
    expect(out).toContain('range "7-3" runs backwards');
  });
});
