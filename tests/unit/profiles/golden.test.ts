import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblems, loadConfigText } from '../../../agent/config/load.js';
import { openProfileLibrary } from '../../../agent/config/profiles.js';
import { type DeviceConfig, REGISTER_TABLES, type RegisterTable } from '../../../agent/config/schema.js';
import { silentLogger } from '../../../agent/core/log.js';
import { parseEscapes } from '../../../drivers/ascii/asciiCommand.js';
import { type ByteExchange, createAsciiDevicePoller } from '../../../drivers/ascii/asciiDevicePoller.js';
import { decodeIdentifier, formatIdentifier } from '../../../drivers/dlt645/dataIdentifiers.js';
import { decodeFrame } from '../../../drivers/dlt645/frame.js';
import { createMeterPoller } from '../../../drivers/dlt645/meterPoller.js';
import { createSharedLineClient, type MeterLine } from '../../../drivers/dlt645/sharedLineClient.js';
import {
  createDevicePoller,
  type PollResult,
  type RegisterReader,
} from '../../../drivers/modbus/devicePoller.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/**
 * Golden folders for the analyzer profiles (drivers/profiles/<vendor>/<model>.yaml):
 * tests/golden/<vendor>-<model>/ holds a recorded dump (registers.json for Modbus profiles,
 * responses.json for ascii ones; meter profiles dlt645/<vendor>/<model>: dlt645-<vendor>-<model>/
 * frames.json, the answer frames per identifier) and expected.json, the readings the real poller must produce from
 * it. Every profile must have a folder: a new profile without its golden case fails here.
 */

const GOLDEN = fileURLToPath(new URL('../../golden/', import.meta.url));
const library = openProfileLibrary();
const profiles = library.names();

interface Expected {
  state: number | null;
  measuredAt?: string | null;
  readings: {
    channel: string;
    code: string | null;
    unit: string | null;
    value: number | null;
    flag: string;
  }[];
}

function folderOf(profile: string): string {
  return join(GOLDEN, profile.replaceAll('/', '-'));
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The profile as a station device: loaded through the real loader, so the merge is covered too. */
function deviceFor(profile: string): DeviceConfig {
  const text = [
    'version: 1',
    'station: { id: golden }',
    'storage: { path: ./golden.db }',
    'buses: [{ id: lan, type: rtu-over-tcp, host: 127.0.0.1, port: 4001 }]',
    // A meter needs its address, which no profile gives.
    `devices: [{ id: dut, bus: lan, interval: 10s, profile: ${profile}${
      profile.startsWith('dlt645/') ? ", meter: { address: '000000000001' }" : ''
    } }]`,
  ].join('\n');
  const result = loadConfigText(text, `${profile} (golden)`, {});
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return result.config.devices[0]!;
}

/** A register space from registers.json: table -> start address -> words ("0x4148" or numbers). */
function registerDump(file: string): RegisterReader {
  const dump = readJson<Record<string, unknown>>(file);
  const tables = new Map<RegisterTable, Map<number, number>>();
  for (const table of REGISTER_TABLES) {
    const blocks = (dump[table] ?? {}) as Record<string, (string | number)[]>;
    const words = new Map<number, number>();
    for (const [start, values] of Object.entries(blocks)) {
      values.forEach((v, i) => {
        words.set(Number(start) + i, Number(v));
      });
    }
    tables.set(table, words);
  }
  return {
    read: async (_unit, table, address, count) =>
      Array.from({ length: count }, (_, i) => tables.get(table)?.get(address + i) ?? 0),
  };
}

/** Answers recorded per command (without prefix byte and terminator), delivered as the wire would. */
function responseDump(file: string, device: DeviceConfig): ByteExchange {
  const answers = readJson<Record<string, string>>(file);
  const ascii = device.ascii!;
  const terminator = parseEscapes(ascii.terminator);
  return {
    async transact(request, frameLength) {
      let body = request.subarray(0, request.length - terminator.length);
      if (ascii.prefixByte !== undefined) {
        expect(body[0]).toBe(ascii.prefixByte);
        body = body.subarray(1);
      }
      const answer = answers[body.toString('latin1')];
      if (answer === undefined) throw Object.assign(new Error('no answer recorded'), { kind: 'timeout' });
      const bytes = Buffer.from(answer, 'latin1');
      const n = frameLength(bytes);
      if (n <= 0)
        throw Object.assign(new Error('the recorded answer is not a complete frame'), { kind: 'garbage' });
      return bytes.subarray(0, n);
    },
  };
}

/** Meter answers recorded per data identifier (frames.json: hex bytes as the meter sent them). */
function frameDump(file: string): MeterLine {
  const frames = readJson<Record<string, string>>(file);
  return {
    async transact(request, frameLength) {
      const asked = decodeFrame(request);
      const di = asked ? formatIdentifier('2007', decodeIdentifier(asked.data.subarray(0, 4))) : '';
      const answer = frames[di];
      if (answer === undefined)
        throw Object.assign(new Error(`no answer recorded for ${di}`), { kind: 'timeout' });
      const bytes = Buffer.from(answer.replaceAll(' ', ''), 'hex');
      expect(frameLength(bytes)).toBe(bytes.length);
      return bytes;
    },
  };
}

async function pollGolden(profile: string): Promise<PollResult> {
  const device = deviceFor(profile);
  const folder = folderOf(profile);
  const clock = new FakeClock({ wall: Date.UTC(2024, 4, 17, 2, 0, 0) });
  const log = silentLogger();
  if (device.meter) {
    const client = createSharedLineClient(frameDump(join(folder, 'frames.json')), { timeoutMs: 500 });
    return createMeterPoller({ device, client, clock, log }).poll();
  }
  if (device.ascii) {
    const line = responseDump(join(folder, 'responses.json'), device);
    return createAsciiDevicePoller({ device, line, clock, log }).poll();
  }
  const bus = registerDump(join(folder, 'registers.json'));
  return createDevicePoller({ device, bus, clock, log }).poll();
}

describe('analyzer profiles', () => {
  it('exist, and every one has a golden folder (and every golden folder a profile)', () => {
    expect(profiles.length).toBeGreaterThanOrEqual(5);
    const folders = readdirSync(GOLDEN).sort();
    expect(folders).toEqual(profiles.map((p) => p.replaceAll('/', '-')).sort());
  });

  describe.each(profiles)('%s', (profile) => {
    it('is a valid profile that says where its facts came from', () => {
      const loaded = library.get(profile)!;
      expect(formatProblems(loaded.problems)).toBe('0 problems; the agent did not start.');
      const text = readFileSync(loaded.file, 'utf8');
      expect(text).toMatch(/^verifiedOnHardware: (true|false)$/m);
      expect(text).toMatch(/^source:$/m);
    });

    it('decodes its golden dump to the expected readings', async () => {
      const folder = folderOf(profile);
      expect(existsSync(join(folder, 'expected.json')), `${folder}/expected.json`).toBe(true);
      const expected = readJson<Expected>(join(folder, 'expected.json'));
      const result = await pollGolden(profile);
      expect(result.errors.map((e) => e.message)).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.state).toBe(expected.state);
      if (expected.measuredAt !== undefined) {
        const at = result.measuredAt === null || result.measuredAt === undefined ? null : result.measuredAt;
        expect(at === null ? null : new Date(at).toISOString()).toBe(expected.measuredAt);
      }
      const got = result.readings.map((r) => ({
        channel: r.channel,
        code: r.code,
        unit: r.unit,
        // Exactly: a float32 decodes to the decimal the analyzer meant (decode.ts), no rounding here.
        value: r.value,
        flag: r.flag,
      }));
      expect(got).toEqual(expected.readings);
    });
  });
});
