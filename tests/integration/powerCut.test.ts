/**
 * Issue 14 part 7 end to end: a power cut under `storage.synchronous: normal` never makes a receiver
 * drop real data. Real parts: the project's Modbus simulator, the built agent process, a real
 * mosquitto and a platform's subscriber that keys readings by (db, seq), as the MQTT contract tells
 * it to. The cut is made the way it leaves the disk: the agent is killed with SIGKILL, and its WAL
 * is replaced by a copy taken a few seconds earlier (a prefix of it: what had been synced), while the
 * database file is unchanged (no checkpoint happened in between, checked) and the unclean-stop
 * marker stays. Readings published in those seconds are then gone from the store; the restarted
 * agent must not give their seqs to other readings.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { connect as mqttConnect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { type AgentProcess, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { startMosquitto } from '../../scripts/support/mosquitto.js';
import {
  DEMO_MAP,
  nutrientDevice,
  sondeDevice,
  tempStation,
  writeYaml,
} from '../../scripts/support/stationFixture.js';

const STATION = '320700W014';
const PREFIX = 'it';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Delivered {
  /** (db, seq) -> each distinct reading delivered under it (JSON of its fields). */
  readings: Map<string, Set<string>>;
  /** (db, id) -> each distinct event delivered under it. */
  events: Map<string, Set<string>>;
  dbs: Set<string>;
  kinds: { db: string; id: number; kind: string; [field: string]: unknown }[];
  maxSeq: number;
}

/** A platform's subscriber: readings and events, keyed as the contract says they are identified. */
async function subscribe(url: string) {
  const seen: Delivered = { readings: new Map(), events: new Map(), dbs: new Set(), kinds: [], maxSeq: 0 };
  const add = (map: Map<string, Set<string>>, key: string, content: string) => {
    const set = map.get(key) ?? new Set<string>();
    set.add(content);
    map.set(key, set);
  };
  const client = mqttConnect(url, { clientId: `it-power-cut-${process.pid}`, reconnectPeriod: 100 });
  client.on('error', () => {});
  client.on('message', (topic, message) => {
    const payload = JSON.parse(message.toString()) as {
      db: string;
      readings?: {
        seq: number;
        ts: string;
        device: string;
        channel: string;
        value: number | null;
        flag: string;
      }[];
      events?: { id: number; kind: string; [field: string]: unknown }[];
    };
    seen.dbs.add(payload.db);
    if (topic.endsWith('/readings')) {
      for (const r of payload.readings ?? []) {
        const { seq, ts, device, channel, value, flag } = r;
        add(seen.readings, `${payload.db}#${seq}`, JSON.stringify({ ts, device, channel, value, flag }));
        seen.maxSeq = Math.max(seen.maxSeq, seq);
      }
    } else {
      for (const e of payload.events ?? []) {
        const { id, ...content } = e;
        add(seen.events, `${payload.db}#${id}`, JSON.stringify(content));
        seen.kinds.push({ db: payload.db, ...e });
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      const topics = [`${PREFIX}/${STATION}/readings`, `${PREFIX}/${STATION}/events`];
      client.subscribe(topics, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
    });
  });
  cleanups.push(() => client.endAsync(true));
  return seen;
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

/** (db, seq) or (db, id) keys delivered with more than one content: the receiver dropped real data there. */
function conflicts(map: Map<string, Set<string>>): string[] {
  return [...map]
    .filter(([, contents]) => contents.size > 1)
    .map(([key, c]) => `${key}: ${[...c].join(' | ')}`);
}

describe('a power cut under synchronous: normal', () => {
  it('never delivers one (db, seq) with two different readings, nor one (db, id) with two events', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const seen = await subscribe(broker.url);
    const st = tempStation();
    cleanups.push(() => st.remove());
    const simPort = await freePort();
    const sim = await startSimulator({ mapFile: DEMO_MAP, port: simPort });
    cleanups.push(() => sim.stop());
    writeYaml(st.configPath, {
      version: 1,
      station: { id: STATION, name: 'power cut', timezone: 'Asia/Shanghai' },
      storage: { path: st.dbPath, synchronous: 'normal' },
      log: { level: 'info' },
      buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: simPort, timeout: '500ms', retries: 1 }],
      devices: [nutrientDevice('lan', '200ms'), sondeDevice('lan', '200ms')],
      uplinks: [
        {
          id: 'center',
          type: 'mqtt',
          url: broker.url,
          topicPrefix: PREFIX,
          batch: { maxReadings: 50, maxDelay: '200ms' },
          reconnect: { min: '200ms', max: '1s' },
        },
      ],
    });
    const wal = `${st.dbPath}-wal`;

    // The synced WAL is taken while readings flow; a checkpoint before the kill would have synced
    // what followed it (no cut could lose that), so such a round is run again.
    let synced: Buffer | null = null;
    for (let round = 1; round <= 4 && synced === null; round++) {
      const agent = startAgent(st.configPath);
      const before = seen.maxSeq;
      await waitFor(() => seen.maxSeq >= before + 30, 30_000, `readings delivered (round ${round})`);
      const dbFile = readFileSync(st.dbPath);
      const walCopy = readFileSync(wal);
      const atCopy = seen.maxSeq;
      // Published after the copy: these are what the cut takes from the store.
      await waitFor(() => seen.maxSeq >= atCopy + 60, 30_000, 'readings published after the synced point');
      agent.kill('SIGKILL');
      expect(await agent.exited).toBe('SIGKILL');
      const walNow = readFileSync(wal);
      const prefix = walNow.subarray(0, walCopy.length).equals(walCopy);
      if (readFileSync(st.dbPath).equals(dbFile) && prefix) synced = walCopy;
      else console.info(`round ${round}: the WAL was checkpointed before the kill; again`);
    }
    expect(synced, 'a round without a checkpoint between the copy and the kill').not.toBeNull();
    const publishedBeforeCut = seen.maxSeq;
    const keysBeforeCut = new Set(seen.readings.keys());
    const dbsBeforeCut = new Set(seen.dbs);

    // The power cut: the unsynced tail of the WAL is gone, the -shm (memory) too; the marker stays.
    rmSync(`${st.dbPath}-shm`, { force: true });
    writeFileSync(wal, synced as Buffer);
    const probe = new Database(st.dbPath);
    const survived = probe.prepare('SELECT max(seq) FROM readings').pluck().get() as number;
    probe.close();
    // Readings the platform has were lost from the store: without the ceiling their seqs come again.
    expect(survived).toBeLessThan(publishedBeforeCut);

    const restarted = startAgent(st.configPath);
    await waitFor(
      () => seen.kinds.some((e) => e.kind === 'store-seqs-skipped'),
      30_000,
      'the store-seqs-skipped event on the events topic',
    );
    await waitFor(() => seen.maxSeq >= publishedBeforeCut + 60, 30_000, 'new readings after the restart');
    restarted.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);

    expect(conflicts(seen.readings)).toEqual([]);
    expect(conflicts(seen.events)).toEqual([]);
    // The same store: the readings that survived keep their identity, duplicates stay duplicates.
    expect(seen.dbs).toEqual(dbsBeforeCut);
    expect(seen.dbs.size).toBe(1);
    const skip = seen.kinds.filter((e) => e.kind === 'store-seqs-skipped').at(-1);
    expect(skip).toMatchObject({ reason: 'unclean-stop', readings: { from: survived + 1 } });
    const range = skip?.readings as { from: number; to: number };
    expect(range.to).toBeGreaterThanOrEqual(publishedBeforeCut);
    // Readings taken after the restart were numbered above everything the platform had.
    const newSeqs = [...seen.readings.keys()]
      .filter((k) => !keysBeforeCut.has(k))
      .map((k) => Number(k.split('#')[1]));
    expect(newSeqs.length).toBeGreaterThan(0);
    expect(Math.min(...newSeqs)).toBeGreaterThan(range.to);
  });
});
