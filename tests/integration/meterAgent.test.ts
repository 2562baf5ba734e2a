/**
 * Issue 17: the built agent reads three DL/T 645 meters (the built simulator, dlt645Main.js) on one
 * socat pty line, the serial bus writing no speed or parity (a meters-only bus takes 2400 8E1), and
 * publishes to a real mosquitto. Energy, voltage, current and power reach MQTT. One meter unplugged
 * mid-run: the other two keep being read every poll while it fails (flag B), and it is read again
 * once plugged back. Then the production and treatment meters as facilities: the treatment meter's
 * facility switched off at the simulator raises facility-alarm-start, on ends it. Every wait has a
 * deadline; nothing asserts timings.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect as mqttConnect } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { type MosquittoHandle, startMosquitto } from '../../scripts/support/mosquitto.js';
import { createPtyPair } from '../../scripts/support/pty.js';
import { tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

const SIM = fileURLToPath(new URL('../../dist-tools/scripts/simulator/dlt645Main.js', import.meta.url));
const STATION = '320700M001';
const DEADLINE = 40_000;
const PRODUCTION = '000000000001';
const TREATMENT = '000000000002';
const SPARE = '000000000003';
const DEVICE: Record<string, string> = { [PRODUCTION]: 'prod', [TREATMENT]: 'wwtp', [SPARE]: 'spare' };

interface Reading {
  ts: string | number;
  device: string;
  channel: string;
  value: number | null;
  flag: string;
}
interface ReceivedEvent {
  id: number;
  kind: string;
  [key: string]: unknown;
}

const cleanups: (() => Promise<void> | void)[] = [];
const readings: Reading[] = [];
const events: ReceivedEvent[] = [];
let broker: MosquittoHandle;
let sim: ChildProcess;
let simOut = '';
let agent: AgentProcess;

/** Sends a command to the simulator and waits for its "ok" answer. */
async function simCommand(text: string): Promise<void> {
  const before = simOut.length;
  sim.stdin!.write(`${text}\n`);
  await waitFor(() => /^ok /m.test(simOut.slice(before)), 10_000, `simulator: ${text}`);
}

/** Polls of `device` published with a value for energy, since `from` (index in readings). */
const goodPolls = (device: string, from = 0) =>
  new Set(
    readings
      .slice(from)
      .filter((r) => r.device === device && r.channel === 'energy' && r.value !== null)
      .map((r) => String(r.ts)),
  ).size;
const kinds = () => events.map((e) => e.kind).filter((k) => k.startsWith('facility-'));

beforeAll(async () => {
  broker = await startMosquitto();
  cleanups.push(() => broker.stop());
  const client = mqttConnect(broker.url, { clientId: `it-meters-${process.pid}`, reconnectPeriod: 100 });
  client.on('error', () => {});
  client.on('message', (topic, message) => {
    const payload = JSON.parse(message.toString()) as { readings?: Reading[]; events?: ReceivedEvent[] };
    if (topic.endsWith('/readings')) readings.push(...(payload.readings ?? []));
    for (const e of payload.events ?? []) if (!events.some((r) => r.id === e.id)) events.push(e);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      const topics = [`stations/${STATION}/readings`, `stations/${STATION}/events`];
      client.subscribe(topics, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
    });
  });
  cleanups.push(() => client.endAsync(true));

  const pair = await createPtyPair();
  cleanups.push(() => pair.stop());
  sim = spawn(
    process.execPath,
    [SIM, '--serial', pair.simPath, '--meters', `${PRODUCTION},${TREATMENT},${SPARE}`],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const collect = (d: Buffer) => {
    simOut += d.toString();
  };
  sim.stdout!.on('data', collect);
  sim.stderr!.on('data', collect);
  cleanups.push(async () => {
    if (sim.exitCode === null) {
      const exited = new Promise((r) => sim.once('exit', r));
      sim.kill('SIGTERM');
      await exited;
    }
  });
  await waitFor(() => /^dlt645 simulator serving /m.test(simOut), 30_000, 'simulator serving');

  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  const meter = (address: string) => ({
    id: DEVICE[address],
    bus: 'line',
    profile: 'dlt645/generic/three-phase',
    interval: '4s',
    meter: { address },
    isolation: { after: 2, interval: '20s' },
  });
  writeYaml(tmp.configPath, {
    version: 1,
    station: { id: STATION, timezone: 'Asia/Shanghai' },
    storage: { path: tmp.dbPath },
    // No baudRate or parity: a bus of meters only runs at their 2400 8E1.
    buses: [{ id: 'line', type: 'serial', port: pair.agentPath, timeout: '500ms', retries: 1 }],
    devices: [meter(PRODUCTION), meter(TREATMENT), meter(SPARE)],
    facilities: [
      {
        id: 'line1',
        role: 'production',
        power: [{ device: 'prod', channel: 'power' }],
        threshold: 0.5,
        minDuration: '1s',
        requires: ['wwtp'],
        delay: '2s',
      },
      {
        id: 'wwtp',
        role: 'treatment',
        power: [{ device: 'wwtp', channel: 'power' }],
        threshold: 0.5,
        minDuration: '1s',
      },
    ],
    uplinks: [
      {
        id: 'center',
        type: 'mqtt',
        url: broker.url,
        batch: { maxReadings: 50, maxDelay: '200ms' },
        reconnect: { min: '200ms', max: '1s' },
      },
    ],
  });
  agent = runAgentCli(['run', '--config', tmp.configPath]);
  cleanups.push(async () => {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.kill('SIGKILL');
      await agent.exited;
    }
  });
}, 90_000);

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

describe('meters on one line, end to end', () => {
  it('energy, voltage, current and power of every meter reach MQTT', async () => {
    const wanted = ['energy', 'ua', 'ia', 'power'];
    const arrived = (device: string, channel: string) =>
      readings.some(
        (r) => r.device === device && r.channel === channel && r.value !== null && r.flag === 'N',
      );
    await waitFor(
      () => Object.values(DEVICE).every((d) => wanted.every((c) => arrived(d, c))),
      DEADLINE,
      `energy, voltage, current and power of every meter (agent output:\n${agent.output().slice(-2000)})`,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${agent.output().slice(-3000)}`);
    });
    const ua = readings.find((r) => r.device === 'prod' && r.channel === 'ua' && r.value !== null)!;
    expect(ua.value).toBeGreaterThan(200);
    expect(ua.value).toBeLessThan(260);
  }, 60_000);

  it('an unplugged meter fails alone: the other two keep being read, it returns when plugged', async () => {
    await simCommand(`unplug ${SPARE}`);
    const from = readings.length;
    // The spare's polls fail (flag B) while the others go on.
    await waitFor(
      () => readings.slice(from).some((r) => r.device === 'spare' && r.flag === 'B'),
      DEADLINE,
      'the unplugged meter flagged B',
    );
    const window = readings.length;
    // Four good polls of each other meter while the spare is off the line (its interval is 4s).
    await waitFor(
      () => goodPolls('prod', window) >= 4 && goodPolls('wwtp', window) >= 4,
      DEADLINE,
      'the other meters read on',
    );
    expect(goodPolls('spare', window)).toBe(0);

    await simCommand(`plug ${SPARE}`);
    const back = readings.length;
    // Isolated meanwhile (after 2 silent polls): probed every 20s, answered at the next probe.
    await waitFor(() => goodPolls('spare', back) >= 1, DEADLINE, 'the plugged meter read again');
  }, 120_000);

  it('treatment meter off while production runs: facility-alarm-start, then on: facility-alarm-end', async () => {
    await simCommand(`facility ${TREATMENT} off`);
    await waitFor(() => kinds().includes('facility-alarm-start'), DEADLINE, 'facility-alarm-start on MQTT');
    expect(events.find((e) => e.kind === 'facility-alarm-start')).toMatchObject({
      production: 'line1',
      treatment: 'wwtp',
      treatmentPower: 0,
    });
    await simCommand(`facility ${TREATMENT} on`);
    await waitFor(() => kinds().includes('facility-alarm-end'), DEADLINE, 'facility-alarm-end on MQTT');
  }, 90_000);
});
