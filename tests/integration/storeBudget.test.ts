/**
 * Issue 8's bounded store with the real built agent: a tiny storage.maxSize, an uplink that never
 * confirms (its broker is down), the project's Modbus TCP simulator. The database must stay under
 * the cap while acquisition goes on, and the data-loss events must account exactly for every
 * unconfirmed reading evicted: produced = remaining + reported.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agent/core/log.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { type AgentProcess, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import {
  DEMO_MAP,
  maxStoredSeq,
  nutrientDevice,
  sondeDevice,
  tempStation,
  writeYaml,
} from '../../scripts/support/stationFixture.js';

const MAX_SIZE = 512 * 1024;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Fills the store with unconfirmed readings up to 95 % of the cap, as a long outage would. */
function prefill(dbPath: string): number {
  const db = openDatabase({ path: dbPath, log: silentLogger() });
  const store = new ReadingStore({ db });
  const t0 = Date.now() - 3_600_000;
  let i = 0;
  const dataBytes = () =>
    ((db.pragma('page_count', { simple: true }) as number) -
      (db.pragma('freelist_count', { simple: true }) as number)) *
    (db.pragma('page_size', { simple: true }) as number);
  while (dataBytes() < MAX_SIZE * 0.95) {
    store.append(
      Array.from({ length: 100 }, () => {
        i++;
        return {
          ts: t0 + i * 100,
          device: 'sonde',
          channel: 'temp',
          code: 'w01010',
          value: 20,
          unit: null,
          flag: 'N' as const,
        };
      }),
    );
  }
  db.close();
  return i;
}

interface LossRow {
  table: string;
  count: number;
  seqFrom: number;
  seqTo: number;
  reason: string;
}

function inspect(dbPath: string) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const num = (sql: string) => db.prepare(sql).pluck().get() as number;
    const losses = (
      db.prepare("SELECT data FROM events WHERE kind = 'data-loss' ORDER BY id").pluck().all() as string[]
    ).map((d) => JSON.parse(d) as LossRow);
    return {
      lastSeq: num("SELECT seq FROM sqlite_sequence WHERE name = 'readings'"),
      remaining: num('SELECT count(*) FROM readings'),
      minSeq: num('SELECT min(seq) FROM readings'),
      maxSeq: num('SELECT max(seq) FROM readings'),
      fileBytes: num('PRAGMA page_count') * num('PRAGMA page_size'),
      losses,
    };
  } finally {
    db.close();
  }
}

describe('store budget with the real agent', () => {
  it('keeps the database under maxSize and reports every evicted unconfirmed reading', async () => {
    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    const port = await freePort();
    const sim = await startSimulator({ mapFile: DEMO_MAP, port });
    cleanups.push(() => sim.stop());
    // Nothing listens here: the uplink never connects, so nothing is ever confirmed.
    const deadBroker = await freePort();
    const prefilled = prefill(tmp.dbPath);
    writeYaml(tmp.configPath, {
      version: 1,
      station: { id: '320700W001', name: 'budget', timezone: 'Asia/Shanghai' },
      storage: { path: tmp.dbPath, maxSize: '512KB', minFreeDisk: 0, checkInterval: '1s' },
      log: { level: 'info' },
      http: { enabled: false },
      buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '500ms', retries: 1 }],
      devices: [nutrientDevice('lan', '100ms'), sondeDevice('lan', '100ms')],
      uplinks: [
        {
          id: 'center',
          type: 'mqtt',
          url: `mqtt://127.0.0.1:${deadBroker}`,
          topicPrefix: 'it',
          reconnect: { min: '1s', max: '2s' },
        },
      ],
    });

    const agent: AgentProcess = runAgentCli(['run', '--config', tmp.configPath]);
    cleanups.push(async () => {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.kill('SIGKILL');
        await agent.exited;
      }
    });
    await waitFor(
      () => agent.output().includes('unconfirmed data evicted'),
      60_000,
      'an eviction of unconfirmed data',
    );
    // Acquisition goes on after the eviction, and the cap holds while it does.
    const after = maxStoredSeq(tmp.dbPath) + 300;
    await waitFor(() => maxStoredSeq(tmp.dbPath) >= after, 60_000, 'readings stored after the eviction');
    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);

    const s = inspect(tmp.dbPath);
    expect(s.lastSeq).toBeGreaterThan(prefilled + 300);
    expect(s.fileBytes).toBeLessThanOrEqual(MAX_SIZE);
    // Readings are evicted as a seq prefix: what remains is one run up to the newest.
    expect(s.maxSeq).toBe(s.lastSeq);
    expect(s.maxSeq - s.minSeq + 1).toBe(s.remaining);
    // Every evicted seq is in exactly one data-loss event, and nothing else is gone.
    const readingLosses = s.losses.filter((e) => e.table === 'readings');
    expect(readingLosses.length).toBeGreaterThan(0);
    expect(readingLosses.every((e) => e.reason === 'storage-cap')).toBe(true);
    const reported = readingLosses.reduce((n, e) => n + e.count, 0);
    expect(s.lastSeq).toBe(s.remaining + reported);
    expect(Math.min(...readingLosses.map((e) => e.seqFrom))).toBe(1);
    expect(Math.max(...readingLosses.map((e) => e.seqTo))).toBe(s.minSeq - 1);
  }, 150_000);
});
