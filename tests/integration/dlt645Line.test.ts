import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDlt645Client, type Dlt645Client } from '../../drivers/dlt645/client.js';
import { createLineTransport } from '../../drivers/dlt645/lineTransport.js';
import { readValues } from '../../drivers/dlt645/readValues.js';
import { type ByteConnection, serialTransport } from '../../drivers/serial/byteTransport.js';
import { createPtyPair, type PtyPair } from '../../scripts/support/pty.js';

/**
 * The DL/T 645 client reading three meters on one line: the built meter simulator
 * (node dist-tools/scripts/simulator/dlt645Main.js) on one end of a real socat pty pair, the client on
 * the other through the agent's serial transport, both at 2400 baud 8E1. Mid-run one meter is
 * unplugged (taken off the simulated line): its reads time out while the other two keep answering,
 * and it answers again once plugged back. The facility switch drops a meter's current to zero.
 */

const CLI = fileURLToPath(new URL('../../dist-tools/scripts/simulator/dlt645Main.js', import.meta.url));
const M1 = '000000000001';
const M2 = '000000000002';
const M3 = '000000000003';

let main: Line;
let client: Dlt645Client;
const simOut = () => main.output();

interface Line {
  pty: PtyPair;
  sim: ChildProcess;
  output(): string;
  connection: ByteConnection;
  client: Dlt645Client;
  close(): Promise<void>;
}

/** A socat pty pair with the built simulator on one end and a client (2400 8E1) on the other. */
async function startLine(simArgs: string[]): Promise<Line> {
  const pair = await createPtyPair();
  const child = spawn(process.execPath, [CLI, '--serial', pair.simPath, ...simArgs], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor(
    'simulator ready',
    () => /^dlt645 simulator serving /m.test(out),
    30_000,
    () => out,
  );
  let conn: ByteConnection | undefined;
  const line = createLineTransport((bytes) => conn!.write(Buffer.from(bytes)));
  conn = await serialTransport({
    path: pair.agentPath,
    baudRate: 2400,
    parity: 'even',
    dataBits: 8,
    stopBits: 1,
  }).open({ onData: (chunk) => line.receive(chunk), onLost: () => {} });
  const c = createDlt645Client({
    transport: line.transport,
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h) },
    options: { timeoutMs: 1000, retries: 1 },
  });
  return {
    pty: pair,
    sim: child,
    output: () => out,
    connection: conn,
    client: c,
    async close() {
      c.close();
      await conn?.close();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await pair.stop();
    },
  };
}

async function waitFor(what: string, ok: () => boolean, timeoutMs = 30_000, output = simOut): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends a stdin command to the simulator and waits for its answer line. */
async function simCommand(text: string): Promise<string> {
  const before = simOut().length;
  main.sim.stdin!.write(`${text}\n`);
  await waitFor(`answer to "${text}"`, () => /\n/.test(simOut().slice(before)));
  return simOut().slice(before).split('\n')[0]!;
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
  main = await startLine(['--meters', `${M1},${M2}:1p,${M3}`]);
  client = main.client;
});

afterAll(async () => {
  await main?.close();
});

describe('DL/T 645 line with three meters (simulator over a socat pty, 2400 8E1)', () => {
  it('prints what it serves', () => {
    expect(simOut()).toContain(
      `dlt645 simulator serving 3 meters (${M1}, ${M2}, ${M3}) on ${main.pty.simPath} at 2400 8E1`,
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

describe('DL/T 645 line with one meter and short frames (--max-data 8)', () => {
  let one: Line;
  beforeAll(async () => {
    one = await startLine(['--meters', '202611110002', '--max-data', '8']);
  });
  afterAll(async () => {
    await one?.close();
  });

  it('finds the only meter by the broadcast read-address request', async () => {
    expect(await one.client.readAddress()).toBe('202611110002');
  });

  it('reads a block that needs follow-up frames', async () => {
    // 0203FF00: 12 value bytes; 4 fit the first frame, then 3 per follow-up frame: 4 requests.
    const power = await readValues(one.client, '202611110002', 0x0203ff00);
    expect(power).toHaveLength(4);
    expect(power[0]).toBeGreaterThan(0);
    // Rounded per phase by the meter: the total is the sum of the phases within a few 0.0001 kW.
    expect(Math.abs(power[0]! - (power[1]! + power[2]! + power[3]!))).toBeLessThan(0.001);
    expect(one.client.counters()).toMatchObject({ requests: 5, answers: 5, timeouts: 0 });
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
