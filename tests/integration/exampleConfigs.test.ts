/**
 * Issue 13: the example configs read real values. Every file of config/examples is run the way the
 * README's "Try an example on the simulator" tells a maintainer to: the built simulator started
 * with the map shipped for the example (Modbus TCP; Modbus RTU and C-Link ASCII on socat ptys), the
 * built DL/T 645 meter simulator for a meter line (on a socat pty), then the built CLI
 * `station-agent read --config <example> --device <id>` for every device. Each channel's printed
 * value must lie in the range the simulator generates there (an analyzer's: read from the map
 * file; a meter's: derived from the meter simulator's generators, tests/helpers/meterRange.ts),
 * must not be 0, and must carry the flag N (every simulated analyzer is in its normal state, every
 * simulated meter's facility runs).
 *
 * What the test changes in an example, and only that: a TCP bus's port in a copy (the simulator
 * runs on a free port, not on 5020, so tests can run side by side); a serial bus's port through
 * the environment variable the example's `${NAME:-/dev/tty…}` names, as the README does.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { formatProblems, loadConfig } from '../../agent/config/load.js';
import type { BusConfig, ChannelConfig, DeviceConfig, StationConfig } from '../../agent/config/schema.js';
import { loadAsciiDefinition } from '../../scripts/simulator/asciiServer.js';
import { loadSimulatorMap } from '../../scripts/simulator/simulatorConfig.js';
import { runAgentCli } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { createPtyPair } from '../../scripts/support/pty.js';
import { generatorRange } from '../helpers/generatorRange.js';
import { meterValueRange } from '../helpers/meterRange.js';
import { readTable } from '../helpers/readOutput.js';
import { startMeterSimulatorProcess, startSimulatorProcess } from '../helpers/simulatorProcess.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES_DIR = join(ROOT, 'config/examples');

/** What plays one bus of an example: the README's simulator command for it. */
type BusRig =
  | { kind: 'tcp'; map: string }
  | { kind: 'rtu'; map: string; portEnv: string }
  | { kind: 'ascii'; definition: string; portEnv: string }
  /** `npm run simulate:meters -- --serial <pty> --meters <addresses>`: three-phase meters. */
  | { kind: 'meters'; addresses: string[]; portEnv: string };

const RIGS: Record<string, Record<string, BusRig>> = {
  'water-station.yaml': { lan: { kind: 'tcp', map: 'scripts/simulator/maps/water-station.yaml' } },
  'air-station.yaml': {
    rs485: { kind: 'rtu', map: 'scripts/simulator/maps/air-station.yaml', portEnv: 'RS485_PORT' },
    com1: { kind: 'ascii', definition: 'scripts/simulator/ascii/thermo-49i.yaml', portEnv: 'COM1_PORT' },
  },
  'enterprise-station.yaml': {
    rs485: { kind: 'rtu', map: 'scripts/simulator/maps/enterprise-station.yaml', portEnv: 'RS485_PORT' },
    meters: { kind: 'meters', addresses: ['000000000001', '000000000002'], portEnv: 'METER_PORT' },
  },
};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const p = runAgentCli(args, env);
  const code = await p.exited;
  return { code, out: p.output() };
}

async function load(file: string, env: NodeJS.ProcessEnv): Promise<StationConfig> {
  const loaded = await loadConfig(file, env);
  if (!loaded.ok) throw new Error(formatProblems(loaded.problems));
  return loaded.config;
}

/** What the simulator serves at a channel: the range its generators give, the unit's state, the encoding. */
interface Served {
  range: [number, number];
  state: number;
  /** Rounding of the served value: an integer register holds multiples of its scale. */
  resolution: number;
}

type ServedLookup = (device: DeviceConfig, ch: ChannelConfig) => Served;

/** Starts the simulator of one bus; returns the lookup into its map and the config change it needs. */
async function startBus(
  bus: BusConfig,
  rig: BusRig,
): Promise<{ lookup: ServedLookup; env?: Record<string, string>; tcpPort?: number }> {
  if (rig.kind === 'meters') return startMeterLine(bus, rig);
  const file = join(ROOT, rig.kind === 'ascii' ? rig.definition : rig.map);
  if (rig.kind === 'tcp') {
    expect(bus.type, `bus ${bus.id}`).toBe('tcp');
    // The example points at the simulator's default address: the README's command needs no override.
    expect(bus.type === 'tcp' && bus.host, `bus ${bus.id} host`).toBe('127.0.0.1');
    const port = await freePort();
    const sim = await startSimulatorProcess(['--map', file, '--port', String(port)]);
    cleanups.push(() => sim.stop());
    return { lookup: await modbusLookup(file), tcpPort: port };
  }
  expect(bus.type, `bus ${bus.id}`).toBe('serial');
  if (bus.type !== 'serial') throw new Error('unreachable');
  const pty = await createPtyPair();
  cleanups.push(() => pty.stop());
  const line = ['--serial', pty.simPath, '--baud', String(bus.baudRate)];
  const sim =
    rig.kind === 'rtu'
      ? await startSimulatorProcess(['--map', file, ...line, '--parity', bus.parity])
      : await startSimulatorProcess(['--ascii', file, ...line]);
  cleanups.push(() => sim.stop());
  const env = { [rig.portEnv]: pty.agentPath };
  return { lookup: rig.kind === 'rtu' ? await modbusLookup(file) : await asciiLookup(file), env };
}

async function modbusLookup(file: string): Promise<ServedLookup> {
  const map = await loadSimulatorMap(file);
  return (device, ch) => {
    const reg = ch.register!;
    const unit = map.units.find((u) => u.unit === device.unit);
    if (!unit) throw new Error(`${file} has no unit ${device.unit} (device ${device.id})`);
    const point = unit.points.find((p) => p.table === reg.table && p.address === reg.address);
    if (!point)
      throw new Error(
        `${file}: unit ${unit.unit} has nothing at ${reg.table} ${reg.address} (${device.id}/${ch.id})`,
      );
    // The example and the map describe the same register the same way.
    const where = `${device.id}/${ch.id} against ${file} ${point.name}`;
    expect(point.type, where).toBe(reg.type);
    if (!['int16', 'uint16', 'bool'].includes(reg.type)) expect(point.order, where).toBe(reg.order ?? 'ABCD');
    expect([point.scale, point.offset], where).toEqual([ch.scale, ch.offset]);
    const integer = !reg.type.startsWith('float');
    return {
      range: generatorRange(point.generator, unit.state),
      state: unit.state,
      resolution: integer ? Math.abs(point.scale) : 0,
    };
  };
}

async function asciiLookup(file: string): Promise<ServedLookup> {
  const def = await loadAsciiDefinition(file);
  return (device, ch) => {
    const generator = ch.field === undefined ? undefined : def.values[ch.field];
    if (!generator) throw new Error(`${file} serves no value "${ch.field}" (${device.id}/${ch.id})`);
    // The status word is the analyzer's state: 0 = no alarm, no service mode.
    return { range: generatorRange(generator, def.status), state: def.status, resolution: 0 };
  };
}

/** The meter simulator on a pty, at the line's speed and parity (a meters-only bus: 2400 8E1). */
async function startMeterLine(
  bus: BusConfig,
  rig: Extract<BusRig, { kind: 'meters' }>,
): Promise<{ lookup: ServedLookup; env: Record<string, string> }> {
  expect(bus.type, `bus ${bus.id}`).toBe('serial');
  if (bus.type !== 'serial') throw new Error('unreachable');
  const pty = await createPtyPair();
  cleanups.push(() => pty.stop());
  const sim = await startMeterSimulatorProcess([
    ...['--serial', pty.simPath, '--meters', rig.addresses.join(',')],
    ...['--baud', String(bus.baudRate), '--parity', bus.parity],
  ]);
  cleanups.push(() => sim.stop());
  const lookup: ServedLookup = (device, ch) => {
    const where = `${device.id}/${ch.id}`;
    expect(rig.addresses, `${where}: the simulator serves meter ${device.meter?.address}`).toContain(
      device.meter?.address,
    );
    const range = ch.di === undefined ? undefined : meterValueRange(ch.di, ch.element);
    if (!range || !ch.format)
      throw new Error(`the meter simulator serves no range for ${where} (di ${ch.di})`);
    // BCD with fixed decimals: the value is a multiple of 10^-decimals, scaled as configured.
    const resolution = 10 ** -ch.format.decimals * Math.abs(ch.scale);
    // A running meter's state is "normal"; its facility is never switched off here.
    const [a, b] = range.map((v) => v * ch.scale + ch.offset) as [number, number];
    return { range: [Math.min(a, b), Math.max(a, b)], state: 0, resolution };
  };
  return { lookup, env: { [rig.portEnv]: pty.agentPath } };
}

describe('example configs against the simulator (built CLI, real ptys)', () => {
  const examples = readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('ships a simulator for every example', () => {
    expect(examples).toEqual(Object.keys(RIGS).sort());
  });

  it.each(examples)('%s: validate exits 0 as shipped', async (file) => {
    const { code, out } = await cli(['validate', '--config', join(EXAMPLES_DIR, file)]);
    expect(out).toContain('valid');
    expect(code, out).toBe(0);
  });

  it.each(examples)(
    '%s: no HJ 212 factor code on two channels (a platform takes one per station)',
    async (file) => {
      const station = await load(join(EXAMPLES_DIR, file), {});
      const codes = station.devices.flatMap((d) =>
        d.channels.flatMap((c) => (c.code === undefined ? [] : [`${c.code} (${d.id}/${c.id})`])),
      );
      const seen = new Map<string, string>();
      for (const entry of codes) {
        const code = entry.split(' ')[0]!;
        expect(seen.get(code), `${entry} repeats ${seen.get(code)}`).toBeUndefined();
        seen.set(code, entry);
      }
      expect(codes.length).toBeGreaterThan(0);
    },
  );

  it.each(examples)(
    '%s: every channel of every device reads a value the simulator serves, flagged N',
    async (file) => {
      const example = join(EXAMPLES_DIR, file);
      const rig = RIGS[file]!;
      const shipped = await load(example, {});
      expect(shipped.buses.map((b) => b.id).sort()).toEqual(Object.keys(rig).sort());

      const env: Record<string, string> = {};
      const lookups = new Map<string, ServedLookup>();
      const tcpPorts = new Map<number, number>(); // bus index -> simulator port
      for (const [i, bus] of shipped.buses.entries()) {
        const started = await startBus(bus, rig[bus.id]!);
        lookups.set(bus.id, started.lookup);
        Object.assign(env, started.env);
        if (started.tcpPort !== undefined) tcpPorts.set(i, started.tcpPort);
      }

      // A copy with only the TCP ports changed, next to nothing else (profiles come from the program).
      let config = example;
      if (tcpPorts.size > 0) {
        const doc = parseDocument(readFileSync(example, 'utf8'));
        for (const [i, port] of tcpPorts) doc.setIn(['buses', i, 'port'], port);
        const dir = mkdtempSync(join(tmpdir(), 'sa-example-'));
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
        config = join(dir, file);
        writeFileSync(config, doc.toString());
      }
      const { code: valid, out: validOut } = await cli(['validate', '--config', config], env);
      expect(valid, validOut).toBe(0);
      const station = await load(config, env);

      expect(station.devices.length).toBeGreaterThan(0);
      for (const device of station.devices) {
        const { code, out } = await cli(['read', '--config', config, '--device', device.id], env);
        const what = `${file} --device ${device.id}:\n${out}`;
        expect(code, what).toBe(0);
        expect(out, what).toContain('errors: none');
        expect(out, what).toContain('poll ok');
        expect(out, what).not.toContain('hint:');
        if (device.measurementTime) expect(out, what).toMatch(/^measured at: \d{4}-\d\d-\d\dT/m);
        else expect(out, what).not.toMatch(/^measured at:/m);
        const rows = readTable(out);
        expect(
          rows.map((r) => r.channel),
          what,
        ).toEqual(device.channels.map((c) => c.id));
        for (const ch of device.channels) {
          const row = rows.find((r) => r.channel === ch.id)!;
          const served = lookups.get(device.bus)!(device, ch);
          const [lo, hi] = served.range;
          // A range holding 0 could not tell a register read at the wrong place from a real value.
          expect(
            lo > 0 || hi < 0,
            `${device.id}/${ch.id}: the simulator's range [${lo}, ${hi}] holds 0`,
          ).toBe(true);
          const value = Number(row.value);
          const tolerance = served.resolution + 1e-5 * Math.max(Math.abs(lo), Math.abs(hi));
          expect(value, `${device.id}/${ch.id} value`).not.toBe(0);
          expect(value, `${device.id}/${ch.id} in [${lo}, ${hi}]\n${what}`).toBeGreaterThanOrEqual(
            lo - tolerance,
          );
          expect(value, `${device.id}/${ch.id} in [${lo}, ${hi}]\n${what}`).toBeLessThanOrEqual(
            hi + tolerance,
          );
          expect(served.state, `${device.id}: the simulated analyzer is in its normal state`).toBe(0);
          expect(row.flag, `${device.id}/${ch.id} flag\n${what}`).toBe('N');
          expect(row.unit, `${device.id}/${ch.id} unit`).toBe(ch.unit ?? '');
          // `read` leaves the code column out when no channel of the device has one (so2-backup: code null).
          expect(row.code ?? '', `${device.id}/${ch.id} code`).toBe(ch.code ?? '');
        }
      }
    },
  );
});
