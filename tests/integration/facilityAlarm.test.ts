/**
 * Issue 17: the built agent watches a production line and its treatment facility through two
 * channels of a Modbus TCP simulator (standing in for separately metered circuits). Switching the
 * treatment's power off through the simulator's control API must raise facility-alarm-start on the
 * MQTT events topic (real mosquitto), on /api/status and on the status page (headless Chromium);
 * switching it back on ends it. An alarm open at a restart is taken over, not raised twice. Every
 * wait has a deadline; nothing asserts timings.
 */
import { connect as mqttConnect } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationsStatus } from '../../agent/http/statusReport.js';
import { launchChromium } from '../../scripts/screenshot/headlessChromium.js';
import { type ControlServer, startControlServer } from '../../scripts/simulator/control.js';
import { type SimulatorHandle, startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { type AgentProcess, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { type MosquittoHandle, startMosquitto } from '../../scripts/support/mosquitto.js';
import { readStored, tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

const STATION = '320700F001';
const DEADLINE = 30_000;
const PRODUCTION_KW = 42.5;
const TREATMENT_KW = 12;

interface ReceivedEvent {
  id: number;
  kind: string;
  [key: string]: unknown;
}

const cleanups: (() => Promise<void> | void)[] = [];
let broker: MosquittoHandle;
let sim: SimulatorHandle;
let control: ControlServer;
let httpBase: string;
let configPath: string;
let dbPath: string;
const received: ReceivedEvent[] = [];

function startAgent(): AgentProcess {
  const agent = runAgentCli(['run', '--config', configPath]);
  cleanups.push(async () => {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.kill('SIGKILL');
      await agent.exited;
    }
  });
  return agent;
}

async function apiStatus(): Promise<OperationsStatus | null> {
  try {
    const res = await fetch(`${httpBase}/api/status`);
    return res.ok ? ((await res.json()) as OperationsStatus) : null;
  } catch {
    return null; // not listening yet
  }
}

async function setTreatmentPower(value: number | null): Promise<void> {
  const res = await fetch(`http://${control.host}:${control.port}/units/1/points/treat_kw`, {
    method: 'POST',
    body: JSON.stringify({ value }),
  });
  expect(res.status).toBe(200);
}

const kinds = () => received.map((e) => e.kind).filter((k) => k.startsWith('facility-'));

beforeAll(async () => {
  broker = await startMosquitto();
  cleanups.push(() => broker.stop());
  const client = mqttConnect(broker.url, { clientId: `it-facilities-${process.pid}`, reconnectPeriod: 100 });
  client.on('error', () => {});
  client.on('message', (_topic, message) => {
    const payload = JSON.parse(message.toString()) as { events: ReceivedEvent[] };
    for (const e of payload.events) if (!received.some((r) => r.id === e.id)) received.push(e);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      client.subscribe(`stations/${STATION}/events`, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
    });
  });
  cleanups.push(() => client.endAsync(true));

  const simPort = await freePort();
  const constant = (name: string, address: number, value: number) => ({
    name,
    table: 'input' as const,
    address,
    type: 'float32' as const,
    unit: 'kW',
    generator: { kind: 'constant' as const, value },
  });
  sim = await startSimulator({
    port: simPort,
    map: {
      name: 'meters',
      updateInterval: '200ms',
      units: [
        {
          unit: 1,
          points: [constant('prod_kw', 0, PRODUCTION_KW), constant('treat_kw', 2, TREATMENT_KW)],
        },
      ],
    },
  });
  cleanups.push(() => sim.stop());
  control = await startControlServer(sim, { port: 0 });
  cleanups.push(() => control.close());

  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  ({ configPath, dbPath } = tmp);
  const httpPort = await freePort();
  httpBase = `http://127.0.0.1:${httpPort}`;
  const channel = (id: string, address: number) => ({
    id,
    unit: 'kW',
    register: { table: 'input', address, type: 'float32' },
  });
  writeYaml(configPath, {
    version: 1,
    station: { id: STATION, timezone: 'Asia/Shanghai' },
    storage: { path: dbPath },
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: simPort, timeout: '500ms', retries: 1 }],
    devices: [
      {
        id: 'meters',
        bus: 'lan',
        unit: 1,
        interval: '300ms',
        channels: [channel('prod', 0), channel('treat', 2)],
      },
    ],
    facilities: [
      {
        id: 'line1',
        name: '1号生产线',
        role: 'production',
        power: [{ device: 'meters', channel: 'prod' }],
        threshold: 10,
        minDuration: '1s',
        requires: ['wwtp'],
        delay: '2s',
      },
      {
        id: 'wwtp',
        name: '污水处理站',
        role: 'treatment',
        power: [{ device: 'meters', channel: 'treat' }],
        threshold: 5,
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
    http: { listen: `127.0.0.1:${httpPort}` },
  });
}, 60_000);

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

describe('facility alarm, end to end', () => {
  it('treatment off while production runs: alarm start and end on MQTT and /api/status; taken over at a restart', async () => {
    let agent = startAgent();
    const facilities = async () => (await apiStatus())?.facilities ?? [];
    await waitFor(
      async () => (await facilities()).map((f) => f.state).join() === 'running,running',
      DEADLINE,
      'both facilities running',
    );

    await setTreatmentPower(0);
    await waitFor(() => kinds().includes('facility-alarm-start'), DEADLINE, 'facility-alarm-start on MQTT');
    const start = received.find((e) => e.kind === 'facility-alarm-start')!;
    expect(start).toMatchObject({
      production: 'line1',
      productionName: '1号生产线',
      treatment: 'wwtp',
      fault: 'stopped',
      productionPower: PRODUCTION_KW,
      treatmentPower: 0,
    });
    const [line1] = await facilities();
    expect(line1!.alarms).toEqual([{ treatment: 'wwtp', since: start.since, fault: 'stopped' }]);
    // The status page shows it: the production row in alarm, naming the stopped treatment.
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${httpBase}/`);
    const row = page.locator('#facilities tr.alarm[data-facility="line1"]');
    await row.waitFor({ timeout: DEADLINE });
    expect(await row.textContent()).toContain('1号生产线');
    expect(await row.locator('td').nth(4).textContent()).toContain('wwtp 停运');
    expect(await page.locator('#facilities tr[data-facility="wwtp"] td').nth(2).textContent()).toContain(
      '停运',
    );
    expect(pageErrors).toEqual([]);
    await browser.close();

    await setTreatmentPower(null); // back to its generator: 12 kW
    await waitFor(() => kinds().includes('facility-alarm-end'), DEADLINE, 'facility-alarm-end on MQTT');
    expect(received.find((e) => e.kind === 'facility-alarm-end')).toMatchObject({
      production: 'line1',
      treatment: 'wwtp',
      since: start.since,
      reason: 'treatment-resumed',
    });
    await waitFor(
      async () => (await facilities())[0]?.alarms.length === 0,
      DEADLINE,
      'no alarm on /api/status',
    );

    // A second alarm, open while the agent restarts: the new process takes it over without a second start.
    await setTreatmentPower(0);
    await waitFor(
      () => kinds().filter((k) => k === 'facility-alarm-start').length === 2,
      DEADLINE,
      'a second start',
    );
    const second = received.filter((e) => e.kind === 'facility-alarm-start')[1]!;
    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    agent = startAgent();
    await waitFor(
      async () => (await facilities())[0]?.alarms[0]?.since === second.since,
      DEADLINE,
      'the open alarm on /api/status after the restart',
    );
    await waitFor(
      async () => (await facilities()).map((f) => f.state).join() === 'running,stopped',
      DEADLINE,
      'run states measured again after the restart',
    );
    await setTreatmentPower(null);
    await waitFor(() => kinds().length === 4, DEADLINE, 'the second alarm ended');
    expect(kinds()).toEqual([
      'facility-alarm-start',
      'facility-alarm-end',
      'facility-alarm-start',
      'facility-alarm-end',
    ]);
    expect(received.at(-1)).toMatchObject({ since: second.since, reason: 'treatment-resumed' });

    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    // The run state and the alarm are readings of their own, stored like measured ones.
    const rows = readStored(dbPath);
    const values = (device: string, channel: string) =>
      new Set(
        rows
          .filter((r) => r.device === device && r.channel === channel && r.value !== null)
          .map((r) => r.value),
      );
    expect(values('facilities', 'line1')).toEqual(new Set([1]));
    expect(values('facilities', 'wwtp')).toEqual(new Set([0, 1]));
    expect(values('facility-alarms', 'line1')).toEqual(new Set([0, 1]));
  }, 120_000);
});
