/**
 * Issue 2's promise end to end, with real parts: the project's simulator → the built agent process →
 * a real mosquitto → a subscriber. Nothing may be lost across a broker outage or a kill -9.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type SimulatorHandle, startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { type AgentProcess, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import {
  collectReadings,
  type MosquittoHandle,
  type ReadingCollector,
  startMosquitto,
} from '../../scripts/support/mosquitto.js';
import {
  DEMO_MAP,
  maxStoredSeq,
  nutrientDevice,
  readStored,
  sleep,
  sondeDevice,
  tempStation,
  writeYaml,
} from '../../scripts/support/stationFixture.js';

const STATION = '320700W001';
const TOPIC = `it/${STATION}/readings`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function station(brokerUrl: string, interval = '500ms') {
  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  const port = await freePort();
  const sim = await startSimulator({ mapFile: DEMO_MAP, port });
  cleanups.push(() => sim.stop());
  writeYaml(tmp.configPath, {
    version: 1,
    station: { id: STATION, name: 'integration', timezone: 'Asia/Shanghai' },
    storage: { path: tmp.dbPath },
    log: { level: 'info' },
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '500ms', retries: 1 }],
    devices: [nutrientDevice('lan', interval), sondeDevice('lan', interval)],
    uplinks: [
      {
        id: 'center',
        type: 'mqtt',
        url: brokerUrl,
        topicPrefix: 'it',
        batch: { maxReadings: 50, maxDelay: '200ms' },
        reconnect: { min: '200ms', max: '2s' },
      },
    ],
  });
  return { ...tmp, sim };
}

function startAgent(configPath: string): AgentProcess {
  const agent = runAgentCli(['run', '--config', configPath]);
  cleanups.push(async () => {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.kill('SIGKILL');
      await agent.exited;
    }
  });
  return agent;
}

async function stopAgent(agent: AgentProcess): Promise<number | string> {
  agent.kill('SIGTERM');
  return agent.exited;
}

/** Every seq from 1 to `last` must have arrived; returns what is missing for the failure message. */
function gaps(sub: ReadingCollector, last: number): number[] {
  const missing: number[] = [];
  for (let s = 1; s <= last; s++) if (!sub.unique.has(s)) missing.push(s);
  return missing;
}

describe('store and forward through a real broker', () => {
  let broker: MosquittoHandle;

  it('loses nothing while the broker is down for 20 s and polling goes on', async () => {
    broker = await startMosquitto({ persistence: true });
    cleanups.push(() => broker.dispose());
    // A persistent session, as a platform consumer keeps: it must not miss what arrives while it reconnects.
    const sub = await collectReadings(broker.url, TOPIC, { clientId: 'it-outage-consumer' });
    cleanups.push(() => sub.close());
    const st = await station(broker.url);
    const agent = startAgent(st.configPath);

    await waitFor(() => sub.unique.size >= 20, 15_000, 'readings before the outage');
    await broker.stop();
    const outageStart = Date.now();
    await sleep(20_000);
    const storedDuringOutage = readStored(st.dbPath).filter((r) => r.ts > outageStart + 1000);
    await broker.restart();

    // Polling went on: 7 channels every 500 ms over ~19 s is ~266 readings; allow a loaded machine its slack.
    expect(storedDuringOutage.length).toBeGreaterThan(150);
    const target = maxStoredSeq(st.dbPath);
    await waitFor(() => gaps(sub, target).length === 0, 30_000, `all seqs up to ${target} upstream`);
    expect(await stopAgent(agent)).toBe(0);

    expect(gaps(sub, target)).toEqual([]);
    // The store itself has no gap either: seq is dense from 1.
    const rows = readStored(st.dbPath);
    expect(rows.length).toBe(rows.at(-1)?.seq);
    console.info(`broker outage: ${target} readings delivered, ${sub.duplicates()} duplicates`);
  });

  it('loses nothing when the agent is killed with SIGKILL mid-run and restarted', async () => {
    broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const sub = await collectReadings(broker.url, TOPIC);
    cleanups.push(() => sub.close());
    const st = await station(broker.url, '200ms');

    const kills = 3;
    for (let k = 0; k < kills; k++) {
      const agent = startAgent(st.configPath);
      const before = sub.unique.size;
      await waitFor(() => sub.unique.size >= before + 30, 15_000, `readings in run ${k + 1}`);
      // A random moment within a poll/commit/publish cycle.
      await sleep(Math.floor(Math.random() * 400));
      agent.kill('SIGKILL');
      expect(await agent.exited).toBe('SIGKILL');
    }
    const last = startAgent(st.configPath);
    const target = maxStoredSeq(st.dbPath) + 20;
    await waitFor(() => maxStoredSeq(st.dbPath) >= target, 15_000, 'polling after the restarts');
    await waitFor(() => gaps(sub, target).length === 0, 30_000, `all seqs up to ${target} upstream`);
    expect(await stopAgent(last)).toBe(0);

    expect(gaps(sub, target)).toEqual([]);
    const duplicates = sub.duplicates();
    // Repeats come only from batches in flight at a kill: at most maxInFlight (4) × maxReadings (50) each.
    expect(duplicates).toBeLessThanOrEqual(kills * 4 * 50);
    console.info(
      `kill -9 ×${kills}: ${target} readings delivered, ${duplicates} duplicates (allowed around kills)`,
    );
  });
});

describe('one silent analyzer', () => {
  it('gets B readings while the analyzer on the other bus keeps its interval', async () => {
    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    const sims: SimulatorHandle[] = [];
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      ports.push(port);
      const sim = await startSimulator({ mapFile: DEMO_MAP, port });
      sims.push(sim);
      cleanups.push(() => sim.stop());
    }
    writeYaml(tmp.configPath, {
      version: 1,
      station: { id: STATION },
      storage: { path: tmp.dbPath },
      buses: [
        { id: 'bus-a', type: 'tcp', host: '127.0.0.1', port: ports[0], timeout: '300ms', retries: 1 },
        { id: 'bus-b', type: 'tcp', host: '127.0.0.1', port: ports[1], timeout: '300ms', retries: 1 },
      ],
      devices: [nutrientDevice('bus-a', '500ms', 'quiet'), sondeDevice('bus-b', '500ms', 'steady')],
    });
    const agent = startAgent(tmp.configPath);
    await waitFor(
      () => readStored(tmp.dbPath).some((r) => r.device === 'quiet' && r.flag === 'N'),
      15_000,
      'first good reading of the device that will go silent',
    );
    sims[0]!.setSilent(7, true);
    const silentFrom = Date.now() + 1500; // past the poll in progress and its retry
    await sleep(6500);
    const silentTo = Date.now();
    expect(await stopAgent(agent)).toBe(0);

    const rows = readStored(tmp.dbPath).filter((r) => r.ts >= silentFrom && r.ts <= silentTo);
    const quiet = rows.filter((r) => r.device === 'quiet');
    expect(quiet.length).toBeGreaterThan(0);
    expect(quiet.every((r) => r.flag === 'B' && r.value === null)).toBe(true);

    const steady = rows.filter((r) => r.device === 'steady');
    expect(steady.every((r) => r.flag === 'N' && r.value !== null)).toBe(true);
    const polls = new Set(steady.map((r) => r.ts)).size;
    const expected = (silentTo - silentFrom) / 500;
    expect(polls).toBeGreaterThanOrEqual(Math.floor(expected * 0.9));
  });
});
