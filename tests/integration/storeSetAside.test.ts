/**
 * Issue 8 end to end, with real parts: the built agent process, real SQLite files damaged on disk, the
 * project's simulator and a real mosquitto. A damaged database never stops the station: it is set
 * aside (kept, renamed), a new one starts, and the `store-set-aside` event reaches the platform on the
 * events topic, which survives a broker restart like readings do.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { connect as mqttConnect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agent/core/log.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { type SimulatorHandle, startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { type AgentProcess, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { collectReadings, type MosquittoHandle, startMosquitto } from '../../scripts/support/mosquitto.js';
import {
  DEMO_MAP,
  maxStoredSeq,
  nutrientDevice,
  tempStation,
  writeYaml,
} from '../../scripts/support/stationFixture.js';
import { loadSchema, validateAgainst } from '../helpers/jsonSchemaCheck.js';

const STATION = '320700W001';
const PREFIX = 'it';
const eventsSchema = loadSchema('events.schema.json');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface ReceivedEvent {
  db: string;
  id: number;
  kind: string;
  [key: string]: unknown;
}

/** A platform's subscriber on the events topic: a persistent session, so a broker restart loses nothing. */
async function collectEvents(url: string) {
  const client = mqttConnect(url, {
    clientId: `it-events-${process.pid}`,
    clean: false,
    reconnectPeriod: 100,
  });
  client.on('error', () => {});
  const received: ReceivedEvent[] = [];
  const payloads: unknown[] = [];
  client.on('message', (_topic, message) => {
    const payload = JSON.parse(message.toString()) as { db: string; events: ReceivedEvent[] };
    payloads.push(payload);
    for (const e of payload.events) received.push({ ...e, db: payload.db });
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      client.subscribe(`${PREFIX}/${STATION}/events`, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
    });
  });
  cleanups.push(() => client.endAsync(true));
  return { received, payloads };
}

async function station(brokerUrl: string) {
  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  const port = await freePort();
  const sim: SimulatorHandle = await startSimulator({ mapFile: DEMO_MAP, port });
  cleanups.push(() => sim.stop());
  writeYaml(tmp.configPath, {
    version: 1,
    station: { id: STATION, name: 'integration', timezone: 'Asia/Shanghai' },
    storage: { path: tmp.dbPath },
    log: { level: 'info' },
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '500ms', retries: 1 }],
    devices: [nutrientDevice('lan', '300ms')],
    uplinks: [
      {
        id: 'center',
        type: 'mqtt',
        url: brokerUrl,
        topicPrefix: PREFIX,
        batch: { maxReadings: 50, maxDelay: '200ms' },
        reconnect: { min: '200ms', max: '1s' },
      },
    ],
  });
  return tmp;
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

function corruptFiles(dbPath: string): string[] {
  const dir = dbPath.slice(0, dbPath.lastIndexOf('/'));
  return (
    readdirSync(dir)
      // The set-aside database files themselves, not their -wal/-shm companions.
      .filter((f) => f.startsWith('agent.db.corrupt-') && !/-(wal|shm|journal)$/.test(f))
      .map((f) => `${dir}/${f}`)
  );
}

/** maxStoredSeq, but 0 while the file at the path is still the damaged one (not yet set aside). */
function storedSeq(dbPath: string): number {
  try {
    return maxStoredSeq(dbPath);
  } catch {
    return 0;
  }
}

function storedEventCount(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT count(*) FROM events').pluck().get() as number;
  } finally {
    db.close();
  }
}

/** Overwrites one page of the file with garbage, as a failing disk does. */
function overwritePage(path: string, pageno: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, (pageno - 1) * 4096);
  } finally {
    closeSync(fd);
  }
}

describe('the reporting tools never set a file aside', () => {
  it('backlog and export refuse a damaged file with a clear message and leave it as it is', async () => {
    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    writeYaml(tmp.configPath, {
      version: 1,
      station: { id: STATION, name: 'tools', timezone: 'Asia/Shanghai' },
      storage: { path: tmp.dbPath },
      buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: 5020 }],
      devices: [],
      uplinks: [{ id: 'center', type: 'mqtt', url: 'mqtt://127.0.0.1:1883' }],
    });
    const garbage = Buffer.alloc(8192, 0x5a);
    const fd = openSync(tmp.dbPath, 'w');
    writeSync(fd, garbage);
    closeSync(fd);
    for (const args of [
      ['backlog', '--config', tmp.configPath],
      ['export', '--config', tmp.configPath, '--from', '2026-01-01', '--to', '2026-01-02'],
    ]) {
      const tool = runAgentCli(args);
      expect(await tool.exited).toBe(1);
      expect(tool.output()).toContain('is damaged or not a database (SQLITE_NOTADB');
      expect(tool.output()).toContain('left unchanged');
    }
    expect(corruptFiles(tmp.dbPath)).toEqual([]);
    expect(readFileSync(tmp.dbPath).equals(garbage)).toBe(true);
  });
});

describe('a damaged database is set aside and the station keeps running', () => {
  let broker: MosquittoHandle;

  it('garbage over the file before start: kept renamed, new readings delivered, store-set-aside on the events topic, events survive a broker restart', async () => {
    broker = await startMosquitto({ persistence: true });
    cleanups.push(() => broker.dispose());
    const events = await collectEvents(broker.url);
    const readings = await collectReadings(broker.url, `${PREFIX}/${STATION}/readings`);
    cleanups.push(() => readings.close());
    const st = await station(broker.url);
    const damaged = Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(8176, 0x5a)]);
    // A real database first (with readings the old agent had), then its header and pages destroyed.
    const old = openDatabase({ path: st.dbPath, log: silentLogger() });
    new ReadingStore({ db: old }).append([
      { ts: Date.now(), device: 'nutrient', channel: 'cod', code: null, value: 1, unit: null, flag: 'N' },
    ]);
    old.close();
    const fd = openSync(st.dbPath, 'r+');
    writeSync(fd, damaged, 0, damaged.length, 0);
    closeSync(fd);
    const before = readFileSync(st.dbPath);

    const agent = startAgent(st.configPath);
    await waitFor(() => storedSeq(st.dbPath) >= 10, 20_000, 'readings in the new database');
    await readings.waitForAll(10);

    // The old file is kept, byte for byte, under its new name.
    const [kept, ...more] = corruptFiles(st.dbPath);
    expect(more).toEqual([]);
    expect(kept).toMatch(/agent\.db\.corrupt-\d{8}T\d{6}Z$/);
    expect(readFileSync(kept!).equals(before)).toBe(true);
    expect(agent.output()).toContain('STORE_CORRUPT');

    await waitFor(
      () => events.received.some((e) => e.kind === 'store-set-aside'),
      10_000,
      'the set-aside event',
    );
    const setAside = events.received.find((e) => e.kind === 'store-set-aside')!;
    expect(setAside).toMatchObject({ id: 1, file: kept, size: before.length });
    expect(String(setAside.reason)).toMatch(/^SQLITE_(NOTADB|CORRUPT)/);
    for (const p of events.payloads) expect(validateAgainst(eventsSchema, p)).toEqual([]);

    // Events recorded while the broker is down (two reloads: config-applied each) arrive after it is back.
    const storedBefore = storedEventCount(st.dbPath);
    await broker.stop();
    agent.kill('SIGHUP');
    await waitFor(() => storedEventCount(st.dbPath) >= storedBefore + 1, 10_000, 'the first reload');
    agent.kill('SIGHUP');
    await waitFor(() => storedEventCount(st.dbPath) >= storedBefore + 2, 10_000, 'the second reload');
    await broker.restart();
    const last = storedEventCount(st.dbPath);
    const ids = () => new Set(events.received.map((e) => e.id));
    await waitFor(() => ids().size >= last, 20_000, `event ids 1..${last} upstream`);
    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);

    // No event lost: every id from 1 to the last stored arrived; a repeat is the same event again.
    const all = [...ids()].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(all.length).toBeGreaterThanOrEqual(last);
    const byId = new Map<number, string>();
    for (const e of events.received) {
      const text = JSON.stringify(e);
      expect(byId.get(e.id) ?? text).toBe(text);
      byId.set(e.id, text);
    }
    expect(new Set(events.received.map((e) => e.db)).size).toBe(1);
    expect(events.received.filter((e) => e.kind === 'config-applied').length).toBeGreaterThanOrEqual(3);
  });

  it('damage met at run time: exit code 74, and the restart sets the file aside and runs', async () => {
    broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const events = await collectEvents(broker.url);
    const st = await station(broker.url);
    // The old agent's file, closed cleanly (no marker: no quick_check at the next start), then the leaf
    // page holding its newest readings destroyed: the header and schema read fine, the next write does not.
    const old = openDatabase({ path: st.dbPath, log: silentLogger() });
    const store = new ReadingStore({ db: old });
    for (let i = 0; i < 20; i++) {
      store.append(
        Array.from({ length: 500 }, (_, j) => ({
          ts: Date.now() - 3_600_000 + i * 500 + j,
          device: 'old',
          channel: 'x',
          code: null,
          value: j,
          unit: null,
          flag: 'N' as const,
        })),
      );
    }
    const lastLeaf = old
      .prepare(
        "SELECT pageno FROM dbstat WHERE name = 'readings' AND pagetype = 'leaf' ORDER BY path DESC LIMIT 1",
      )
      .pluck()
      .get() as number;
    old.close();
    overwritePage(st.dbPath, lastLeaf);

    const first = startAgent(st.configPath);
    expect(await first.exited).toBe(74);
    expect(first.output()).toContain('STORE_CORRUPT');
    expect(corruptFiles(st.dbPath)).toEqual([]); // at run time nothing is renamed: the next start does it
    const marker = JSON.parse(readFileSync(`${st.dbPath}.in-use`, 'utf8'));
    expect(marker.corrupt.reason).toMatch(/^SQLITE_CORRUPT/);

    const second = startAgent(st.configPath);
    await waitFor(
      () => existsSync(st.dbPath) && storedSeq(st.dbPath) >= 5,
      20_000,
      'readings after the restart',
    );
    expect(corruptFiles(st.dbPath)).toHaveLength(1);
    await waitFor(
      () => events.received.some((e) => e.kind === 'store-set-aside'),
      10_000,
      'the set-aside event',
    );
    expect(String(events.received.find((e) => e.kind === 'store-set-aside')!.reason)).toMatch(
      /^at run time: SQLITE_CORRUPT/,
    );
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(existsSync(`${st.dbPath}.in-use`)).toBe(false);
  });
});
