import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDlt645Client, type Dlt645Client } from '../../drivers/dlt645/client.js';
import { createLineTransport } from '../../drivers/dlt645/lineTransport.js';
import { readValues } from '../../drivers/dlt645/readValues.js';
import { type ByteConnection, serialTransport } from '../../drivers/serial/byteTransport.js';
import { createPtyPair, type PtyPair } from '../helpers/pty.js';

/**
 * The DL/T 645 client reading three meters on one line: the built meter simulator
 * (node dist/scripts/simulator/dlt645Main.js) on one end of a real socat pty pair, the client on
 * the other through the agent's serial transport, both at 2400 baud 8E1. Mid-run one meter is
 * unplugged (taken off the simulated line): its reads time out while the other two keep answering,
 * and it answers again once plugged back. The facility switch drops a meter's current to zero.
 */

const CLI = fileURLToPath(new URL('../../dist/scripts/simulator/dlt645Main.js', import.meta.url));
const M1 = '000000000001';
const M2 = '000000000002';
const M3 = '000000000003';

let pty: PtyPair;
let sim: ChildProcess;
let simOut = '';
let connection: ByteConnection;
let client: Dlt645Client;

async function waitFor(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms:\n${simOut}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends a stdin command to the simulator and waits for its answer line. */
async function simCommand(text: string): Promise<string> {
  const before = simOut.length;
  sim.stdin!.write(`${text}\n`);
  await waitFor(`answer to "${text}"`, () => /\n/.test(simOut.slice(before)));
  return simOut.slice(before).split('\n')[0]!;
}

type Outcome = { values: number[] } | { code: string };

async function read(address: string, di: number): Promise<Outcome> {
  try {
    return { values: await readValues(client, address, di) };
  } catch (err) {
    return { code: (err as { code?: string }).code ?? String(err) };
  }
}

beforeAll(async () => {
  expect(existsSync(CLI), `${CLI} missing: run npx tsc -p tsconfig.build.json`).toBe(true);
  pty = await createPtyPair();
  sim = spawn(process.execPath, [CLI, '--serial', pty.simPath, '--meters', `${M1},${M2}:1p,${M3}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  sim.stdout!.on('data', (d: Buffer) => {
    simOut += d.toString();
  });
  sim.stderr!.on('data', (d: Buffer) => {
    simOut += d.toString();
  });
  await waitFor('simulator ready', () => /^dlt645 simulator serving /m.test(simOut));
  const line = createLineTransport((bytes) => connection.write(Buffer.from(bytes)));
  connection = await serialTransport({
    path: pty.agentPath,
    baudRate: 2400,
    parity: 'even',
    dataBits: 8,
    stopBits: 1,
  }).open({ onData: (chunk) => line.receive(chunk), onLost: () => {} });
  client = createDlt645Client({
    transport: line.transport,
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h) },
    options: { timeoutMs: 1000, retries: 1 },
  });
});

afterAll(async () => {
  client?.close();
  await connection?.close();
  if (sim && sim.exitCode === null) {
    const exited = new Promise((r) => sim.once('exit', r));
    sim.kill('SIGTERM');
    await exited;
  }
  await pty?.stop();
});

describe('DL/T 645 line with three meters (simulator over a socat pty, 2400 8E1)', () => {
  it('prints what it serves', () => {
    expect(simOut).toContain(
      `dlt645 simulator serving 3 meters (${M1}, ${M2}, ${M3}) on ${pty.simPath} at 2400 8E1`,
    );
  });

  it('reads every meter, keeps reading two while the third is unplugged, and the third again once back', async () => {
    // A full round: energy, the voltage block, current and total power of each meter.
    const round = async () => {
      const out: Record<string, Outcome[]> = {};
      for (const m of [M1, M2, M3]) {
        out[m] = [
          await read(m, 0x00010000),
          await read(m, 0x0201ff00),
          await read(m, 0x0202ff00),
          await read(m, 0x02030000),
        ];
      }
      return out;
    };
    const first = await round();
    for (const m of [M1, M2, M3]) {
      const [energy, volts, amps, power] = first[m]!.map((o) => ('values' in o ? o.values : o.code));
      expect(energy, m).toEqual([expect.any(Number)]);
      expect((energy as number[])[0]).toBeGreaterThan(999);
      // The single-phase meter M2 reads 0 V on phases B and C.
      const phases = m === M2 ? 1 : 3;
      expect(
        (volts as number[]).slice(0, phases).every((v) => v > 200 && v < 260),
        `${m} ${volts}`,
      ).toBe(true);
      expect(
        (amps as number[]).slice(0, phases).every((a) => a > 0),
        `${m} ${amps}`,
      ).toBe(true);
      expect((power as number[])[0], m).toBeGreaterThan(0);
    }

    expect(await simCommand(`unplug ${M2}`)).toBe(`ok unplugged ${M2}`);
    for (let i = 0; i < 2; i++) {
      const r = await round();
      expect(
        r[M2]!.every((o) => 'code' in o && o.code === 'DLT645_TIMEOUT'),
        JSON.stringify(r[M2]),
      ).toBe(true);
      for (const m of [M1, M3])
        expect(
          r[m]!.every((o) => 'values' in o),
          `${m} ${JSON.stringify(r[m])}`,
        ).toBe(true);
    }
    expect(client.counters().timeouts).toBeGreaterThanOrEqual(16);

    expect(await simCommand(`plug ${M2}`)).toBe(`ok plugged ${M2}`);
    const back = await read(M2, 0x0201ff00);
    expect('values' in back && back.values[0]! > 200).toBe(true);
    // Stray bytes are possible on a pty at start-up, but nothing on this line may fail a checksum.
    expect(client.counters().badChecksum).toBe(0);
  });

  it('reads zero current and power once the facility is switched off, and its meter still answers', async () => {
    expect(await simCommand(`facility ${M3} off`)).toBe(`ok facility ${M3} off`);
    expect(await read(M3, 0x0202ff00)).toEqual({ values: [0, 0, 0] });
    expect(await read(M3, 0x02030000)).toEqual({ values: [0] });
    expect(await simCommand(`facility ${M3} on`)).toBe(`ok facility ${M3} on`);
    const amps = await read(M3, 0x0202ff00);
    expect('values' in amps && amps.values.every((a) => a > 0)).toBe(true);
  });

  it('answers an unknown identifier with an error answer the client names', async () => {
    expect(await read(M1, 0x02800002)).toEqual({ values: [50] });
    await expect(client.readRaw(M1, 0x04000401)).rejects.toMatchObject({
      code: 'DLT645_METER_ERROR',
      meterErrors: ['no-such-data'],
    });
  });
});

describe('dlt645 simulator CLI', () => {
  it('refuses a bad meter address with exit code 2 and says why', () => {
    const r = spawnSync(process.execPath, [CLI, '--serial', '/dev/null', '--meters', '12345'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('meter address "12345" is not 12 digits');
    expect(r.stderr).toContain('usage: dlt645Main');
  });
});
