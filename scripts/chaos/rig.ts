import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AgentProcess, runAgentCli } from '../support/agentProcess.js';
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js';
import { writeYaml } from '../support/stationFixture.js';
import { type BlackholeProxy, startBlackholeProxy } from './blackholeProxy.js';
import { type DeliveryLog, startDeliveryLog } from './deliveryLog.js';
import { type StoreSnapshot, snapshot } from './storeProbe.js';

/**
 * One station under test: a real mosquitto (persistent, so a subscriber's session survives broker
 * restarts), optionally the blackhole proxy between agent and broker, the delivery log subscribed
 * directly to the broker, a temp folder with the config and the database, and the built agent as a
 * child process. The scenario brings the analyzers (a simulator) and the buses/devices config.
 */

export const STATION = 'CHAOS01';
export const TOPIC_PREFIX = 'chaos';
export const UPLINK = 'center';

export interface RigOptions {
  scenario: string;
  now: () => number;
  buses: unknown[];
  devices: unknown[];
  /** Agent → proxy → broker instead of agent → broker. */
  viaProxy?: boolean;
  keepalive?: string;
  /** Extra `storage:` settings (the disk budget). */
  storage?: Record<string, unknown>;
  /** Extra environment for the agent process (libfaketime), given the rig's folder. */
  agentEnv?: (dir: string) => NodeJS.ProcessEnv;
}

export interface Rig {
  readonly dir: string;
  readonly dbPath: string;
  readonly broker: MosquittoHandle;
  readonly proxy: BlackholeProxy | null;
  readonly log: DeliveryLog;
  /** Exits we did not cause (a crash, the watchdog), with the end of the agent's output. */
  readonly unexpectedExits: string[];
  startAgent(): AgentProcess;
  /** SIGKILL the running agent and wait for it to be gone. */
  killAgent(): Promise<void>;
  /** SIGTERM the running agent; resolves with its exit code or signal. */
  stopAgent(): Promise<number | string | null>;
  /** Resolves once the running agent logged that it is ready (false if it exited or timed out). */
  agentReady(timeoutMs: number): Promise<boolean>;
  store(withSeqs?: boolean): StoreSnapshot;
  /** The delivery log's key for this store's seqs: its db id when payloads carry one. */
  keyOf(dbId: string): string;
  /**
   * From `faultEnd`: waits until every seq up to the store's max at that moment has arrived.
   * Returns the recovery time, the time to the first newer reading, or nulls on timeout.
   */
  recovery(
    faultEnd: number,
    timeoutMs: number,
  ): Promise<{ recoverMs: number | null; firstLiveMs: number | null }>;
  /**
   * Stops the agent, then runs it once more without devices until its whole store is confirmed:
   * what the final count compares is then exactly what was produced, nothing left pending.
   */
  drain(timeoutMs?: number): Promise<StoreSnapshot>;
  dispose(): Promise<void>;
}

const STOP_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRig(opts: RigOptions): Promise<Rig> {
  const { now } = opts;
  const dir = mkdtempSync(join(tmpdir(), `chaos-${opts.scenario}-`));
  const dbPath = join(dir, 'agent.db');
  const configPath = join(dir, 'station.yaml');
  const drainPath = join(dir, 'drain.yaml');
  const broker = await startMosquitto({ persistence: true });
  const proxy = opts.viaProxy ? await startBlackholeProxy(broker.port, now) : null;
  const log = await startDeliveryLog({
    url: broker.url,
    topicPrefix: TOPIC_PREFIX,
    station: STATION,
    clientId: `chaos-${opts.scenario}-${process.pid}`,
    now,
  });
  const config = (buses: unknown[], devices: unknown[]) => ({
    version: 1,
    station: { id: STATION, name: `chaos ${opts.scenario}`, timezone: 'Asia/Shanghai' },
    storage: { path: dbPath, ...opts.storage },
    log: { level: 'info' },
    http: { enabled: false },
    buses,
    devices,
    uplinks: [
      {
        id: UPLINK,
        type: 'mqtt',
        url: proxy?.url ?? broker.url,
        topicPrefix: TOPIC_PREFIX,
        keepalive: opts.keepalive ?? '30s',
        batch: { maxReadings: 100, maxDelay: '200ms' },
        reconnect: { min: '200ms', max: '2s' },
      },
    ],
  });
  writeYaml(configPath, config(opts.buses, opts.devices));
  // No devices: nothing new is produced, so "backlog 0" is reachable; no watchdog (nothing polls).
  writeYaml(drainPath, { ...config([], []), watchdog: { enabled: false } });

  const unexpectedExits: string[] = [];
  let agent: AgentProcess | null = null;
  const ended = new WeakSet<AgentProcess>(); // processes we signalled ourselves

  const spawnAgent = (path: string, env: NodeJS.ProcessEnv = {}): AgentProcess => {
    const proc = runAgentCli(['run', '--config', path], env);
    agent = proc;
    void proc.exited.then((code) => {
      if (!ended.has(proc)) {
        unexpectedExits.push(`exit ${code}: ${proc.output().slice(-2000)}`);
      }
      if (agent === proc) agent = null;
    });
    return proc;
  };

  const endAgent = async (signal: NodeJS.Signals): Promise<number | string | null> => {
    const proc = agent;
    if (proc === null) return null;
    ended.add(proc);
    proc.kill(signal);
    // The agent promises to stop within 5 s of SIGTERM; one that hangs must not hang the run.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS);
    });
    const first = await Promise.race([proc.exited, late]);
    clearTimeout(timer);
    if (first !== 'late') return first;
    unexpectedExits.push(
      `did not exit within ${STOP_TIMEOUT_MS / 1000} s of ${signal}: ${proc.output().slice(-2000)}`,
    );
    proc.kill('SIGKILL');
    return proc.exited;
  };

  const keyOf = (dbId: string) => (log.sawDbField() ? dbId : '');

  const rig: Rig = {
    dir,
    dbPath,
    broker,
    proxy,
    log,
    unexpectedExits,
    startAgent: () => spawnAgent(configPath, opts.agentEnv?.(dir)),
    killAgent: async () => {
      await endAgent('SIGKILL');
    },
    stopAgent: () => endAgent('SIGTERM'),
    async agentReady(timeoutMs) {
      const proc = agent;
      const deadline = now() + timeoutMs;
      while (proc !== null && agent === proc && now() < deadline) {
        if (proc.output().includes('station agent ready')) return true;
        await sleep(20);
      }
      return false;
    },
    store: (withSeqs = true) => snapshot(dbPath, UPLINK, withSeqs),
    keyOf,
    async recovery(faultEnd, timeoutMs) {
      const target = snapshot(dbPath, UPLINK, false);
      let recoverMs: number | null = null;
      const deadline = now() + timeoutMs;
      let evicted = new Set<number>();
      let lastScan = 0;
      while (now() < deadline) {
        if (log.hasAll(keyOf(target.dbId), target.maxSeq, evicted)) {
          recoverMs = now() - faultEnd;
          break;
        }
        // Seqs the budget evicted never come; they are accounted for as policy loss, not awaited.
        if (now() - lastScan > 500) {
          evicted = holes(snapshot(dbPath, UPLINK));
          lastScan = now();
        }
        await sleep(50);
      }
      // A reading newer than the fault's end: wait a little for one if the backlog came first.
      const liveDeadline = now() + 10_000;
      let live = log.firstAfter(keyOf(target.dbId), target.maxSeq, faultEnd);
      while (live === null && now() < liveDeadline && agent !== null) {
        await sleep(50);
        live = log.firstAfter(keyOf(target.dbId), target.maxSeq, faultEnd);
      }
      return { recoverMs, firstLiveMs: live === null ? null : live - faultEnd };
    },
    async drain(timeoutMs = 60_000) {
      await endAgent('SIGTERM');
      spawnAgent(drainPath);
      const deadline = now() + timeoutMs;
      let snap = snapshot(dbPath, UPLINK);
      while (now() < deadline) {
        snap = snapshot(dbPath, UPLINK);
        const last = snap.present.at(-1) ?? 0;
        // Evicted seqs (budget policy) never come: only what the store still holds is awaited.
        if (snap.cursor >= last && log.hasAll(keyOf(snap.dbId), snap.maxSeq, holes(snap))) break;
        await sleep(100);
      }
      await endAgent('SIGTERM');
      return snapshot(dbPath, UPLINK);
    },
    async dispose() {
      await endAgent('SIGKILL');
      await log.close();
      await proxy?.close();
      await broker.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** Seqs given out but no longer in the store (evicted by the budget). */
function holes(snap: StoreSnapshot): Set<number> {
  const held = new Set(snap.present);
  const out = new Set<number>();
  for (let s = 1; s <= snap.maxSeq; s++) if (!held.has(s)) out.add(s);
  return out;
}
