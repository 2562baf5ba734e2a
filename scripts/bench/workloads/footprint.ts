import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import type { StationConfig } from '../../../agent/config/schema.js';
import { systemClock } from '../../../agent/core/clock.js';
import { silentLogger } from '../../../agent/core/log.js';
import { createDevicePoller } from '../../../drivers/modbus/devicePoller.js';
import { freePort } from '../../support/freePort.js';
import { startMosquitto } from '../../support/mosquitto.js';
import {
  built,
  type Child,
  REPO_ROOT,
  spawnNode,
  startTcpSimulator,
  writeReferenceMap,
} from '../benchProcesses.js';
import type { BenchOptions, Workload, WorkloadResult } from '../benchTypes.js';
import { figure, median, ratio, round } from '../figures.js';
import { validConfig } from '../inProcessAgent.js';
import { cpuPercent, type ProcSample, startSampling } from '../procSampler.js';
import { referenceStationConfig } from '../referenceStation.js';

/**
 * Workload 6, footprint: the reference station at 1 s as the real built agent process (store, checks,
 * aggregation, MQTT, status server, watchdog: everything a station runs) side by side with the plain
 * script (baselines/plainScript.mjs), each against its own simulator process, both publishing to one
 * mosquitto. RSS and CPU time come from /proc every second; the first minute's seconds are start-up
 * and are left out of the medians and the CPU figure (10 % of the run in quick mode).
 */

const INTERVAL_MS = 1000;

/** Where the agent's memory went (2026-11-29) and what changed: kept with the workload, shown beside its figures. */
const MEMORY_NOTES = [
  "Memory breakdown before (idle reference station, 20 s after start, --max-semi-space-size=2): RSS ~97 MB = ~52 MB file-backed (node binary, native addons; the plain script maps the same) + ~45 MB anonymous, of which V8 heap 27–33 MB (heapUsed 25–29 MB) and ~13 MB malloc outside it. Heap snapshot: 6.3 MB were mqtt-packet's cache of 65 536 two-byte Buffers (mqtt.js writeCache, on by default; the plain script has it too); the rest is module code, sources and zod schemas (no JSON Schema is built at run time; the YAML Document is dropped after load).",
  "Import costs, measured one module after another on bare node after a GC: modbus-serial + mqtt (what the plain script loads) 63 MB RSS; + zod and our config schemas +7.5 MB, yaml +0.6, pino +0.6, better-sqlite3 +0.1, prom-client +1.1 to +1.8, the agent's own modules ~+4; the CLI-only commands (scan, read, ports, export, backlog, status, reload, audit) +0.3 MB and no measurable start-up time, so they stay statically imported. pino-pretty loads only on a TTY. A minified single-file bundle of the agent: no RSS gain.",
  "Changes: writeCache: false for the MQTT client (heapUsed −6.5 MB); node --v8-pool-size=1 in the wrapper (4 V8 helper threads → 1, each with its own malloc arena: −10 MB RSS); SQLite page cache 2 MB instead of better-sqlite3's 16 MB (matters on a large store, workload 4). Idle RSS of the same 20 s run after: ~80–82 MB. MALLOC_ARENA_MAX=2 or UV_THREADPOOL_SIZE=1 on top: within the noise (±3 MB), not shipped.",
];

/**
 * The node flags of the installed wrapper (scripts/install.sh: `NODE_FLAGS="…"`, written into the
 * wrapper's `exec "$NODE_BIN" $NODE_FLAGS …main.js`), so the benchmark runs the agent as a station does.
 */
export function wrapperNodeFlags(): string[] {
  const script = readFileSync(join(REPO_ROOT, 'scripts/install.sh'), 'utf8');
  const m = /^NODE_FLAGS="([^"$]*)"$/m.exec(script);
  if (!m || !/^exec "\$NODE_BIN" \$NODE_FLAGS "\$APP_DIR\/dist\/agent\/cli\/main\.js"/m.test(script)) {
    throw new Error('scripts/install.sh: NODE_FLAGS="…" and the wrapper line using it were not found');
  }
  return m[1]!.split(/\s+/).filter(Boolean);
}

export const footprint: Workload = {
  id: 6,
  name: 'Footprint',
  async run(opts: BenchOptions): Promise<WorkloadResult> {
    const durationMs = opts.quick ? 8000 : 600_000;
    const settleMs = opts.quick ? 3000 : 60_000;
    const mapFile = writeReferenceMap(opts.workDir);
    const simPorts = [await freePort(), await freePort(), await freePort()];
    // One simulator per client (two agents, the plain script): no client waits in another's queue.
    const children: Child[] = [];
    for (const port of simPorts) children.push(await startTcpSimulator(mapFile, port));
    const plainSimPort = simPorts[2]!;
    const broker = await startMosquitto();
    try {
      const stationConfig = async (i: number) =>
        referenceStationConfig({
          bus: { id: 'lan', type: 'tcp', host: '127.0.0.1', port: simPorts[i]! },
          interval: `${INTERVAL_MS}ms`,
          dbPath: join(opts.workDir, `w6-agent${i}.db`),
          mqttUrl: broker.url,
          clientId: `bench-w6-agent${i}`,
          http: { enabled: true, listen: `127.0.0.1:${await freePort()}` },
          logLevel: 'info',
        });
      const planFile = join(opts.workDir, 'w6-plain-plan.json');
      writeFileSync(planFile, JSON.stringify(plainPlan(validConfig(await stationConfig(2)))));

      // Started together, so all see the same machine load over the same minutes. The agent runs as the
      // installed wrapper runs it (its node flags); a second agent with node's defaults shows what they buy.
      const installedFlags = wrapperNodeFlags();
      const variants = [
        {
          label: `as installed (node ${installedFlags.join(' ') || 'without flags'})`,
          flags: installedFlags,
        },
        { label: "node's default heap settings", flags: [] as string[] },
      ];
      const agentRuns = variants.map(async (v, i) => {
        const dbPath = join(opts.workDir, `w6-agent${i}.db`);
        const configFile = join(opts.workDir, `w6-station${i}.yaml`);
        writeFileSync(configFile, stringify(await stationConfig(i)));
        const startedAt = Date.now();
        const child = await spawnNode(
          [
            ...v.flags,
            built('agent/cli/main.js'),
            'run',
            '--config',
            configFile,
            '--pid-file',
            join(opts.workDir, `w6-${i}.pid`),
          ],
          /station agent ready/,
          { timeoutMs: 30_000 },
        );
        children.push(child);
        const sampler = startSampling(child.pid, 1000);
        const firstPollMs = (await firstStoredTs(dbPath, 10_000)) - startedAt;
        return { ...v, dbPath, sampler, firstPollMs };
      });
      const plainStartedAt = Date.now();
      const plain = await spawnNode(
        [
          join(REPO_ROOT, 'scripts/bench/baselines/plainScript.mjs'),
          planFile,
          '127.0.0.1',
          String(plainSimPort),
          broker.url,
          String(INTERVAL_MS),
        ],
        /first reading at (\d+)/,
        { timeoutMs: 30_000 },
      );
      children.push(plain);
      const plainSampler = startSampling(plain.pid, 1000);
      const plainFirstPoll = Number(plain.match[1]) - plainStartedAt;
      const agents = await Promise.all(agentRuns);
      opts.log(
        `  first poll after spawn: ${agents.map((a) => `agent ${a.label} ${a.firstPollMs} ms`).join(', ')}, plain script ${plainFirstPoll} ms`,
      );

      await sleep(durationMs);
      for (const a of agents) a.sampler.stop();
      plainSampler.stop();
      const p = summarize(plainSampler.samples, settleMs);
      const measured = agents.flatMap((agent, i) => {
        const a = summarize(agent.sampler.samples, settleMs);
        const stored = countStored(agent.dbPath);
        opts.log(
          `  agent ${agent.label}: RSS median ${a.rssMedian.toFixed(1)} MB, peak ${a.rssPeak.toFixed(1)} MB, ` +
            `CPU ${a.cpu.toFixed(2)} %, stored ${stored} readings`,
        );
        const figures = [
          figure(`RSS, median (agent ${agent.label})`, 'MB', a.rss),
          figure(`RSS, peak (agent ${agent.label})`, 'MB', [a.rssPeak]),
          figure(`CPU, % of one core (agent ${agent.label})`, '%', [a.cpu]),
        ];
        if (i === 0) {
          figures.push(figure('first poll after process start', 'ms', [agent.firstPollMs]));
          figures.push(figure('readings stored', 'readings', [stored]));
        }
        return figures;
      });
      opts.log(
        `  plain: RSS median ${p.rssMedian.toFixed(1)} MB, peak ${p.rssPeak.toFixed(1)} MB, CPU ${p.cpu.toFixed(2)} %`,
      );
      const installed = summarize(agents[0]!.sampler.samples, settleMs);
      const rssRatio = ratio(installed.rssMedian, p.rssMedian);
      const cpuRatio = ratio(installed.cpu, p.cpu);
      const firstPoll = agents[0]!.firstPollMs;
      return {
        id: 6,
        name: 'Footprint',
        measured,
        baseline: [
          figure('RSS, median (plain script)', 'MB', p.rss),
          figure('RSS, peak (plain script)', 'MB', [p.rssPeak]),
          figure('CPU, % of one core (plain script)', '%', [p.cpu]),
          figure('first poll after process start (plain script)', 'ms', [plainFirstPoll]),
        ],
        targets: [
          {
            what: 'RSS median ÷ plain script',
            bound: 'ratio <= 1.05',
            actual: rssRatio,
            met: rssRatio <= 1.05,
          },
          { what: 'CPU ÷ plain script', bound: 'ratio <= 1.0', actual: cpuRatio, met: cpuRatio <= 1.0 },
          {
            what: 'first poll after process start',
            bound: '<= 1000 ms',
            actual: firstPoll,
            met: firstPoll <= 1000,
          },
        ],
        notes: [
          `One run of ${durationMs / 1000} s at a ${INTERVAL_MS / 1000} s interval, sampled every second from /proc; RSS median and CPU exclude the first ${settleMs / 1000} s (start-up). The agents run as the built CLI (\`station-agent run\`, log level info, status server on), each with its own simulator; the plain script reads the same blocks and publishes one QoS 1 message per reading.`,
          ...MEMORY_NOTES,
        ],
      };
    } finally {
      for (const c of children.reverse()) await c.stop();
      await broker.dispose();
    }
  },
};

interface Summary {
  rss: number[];
  rssMedian: number;
  rssPeak: number;
  cpu: number;
}

function summarize(samples: ProcSample[], settleMs: number): Summary {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last) throw new Error('the process could not be sampled');
  const steady = samples.filter((s) => s.at - first.at >= settleMs);
  const from = steady[0] ?? first;
  const rss = steady.map((s) => s.rssMb);
  return {
    rss,
    rssMedian: median(rss),
    rssPeak: Math.max(...samples.map((s) => s.rssMb)),
    cpu: round(cpuPercent(from, last)),
  };
}

/** The agent's own request plan, as blocks with the channels to decode from each (status words left out). */
function plainPlan(config: StationConfig) {
  const noBus = { read: () => Promise.reject(new Error('planning only')) };
  return config.devices.flatMap((device) => {
    const { plan } = createDevicePoller({ device, bus: noBus, clock: systemClock, log: silentLogger() });
    return plan.map((req) => ({
      unit: device.unit,
      table: req.table,
      address: req.address,
      count: req.count,
      channels: req.items.flatMap(({ key, offset }) => {
        const ch = device.channels.find((c) => c.id === key);
        if (!ch?.register) return [];
        return [
          {
            id: ch.id,
            device: device.id,
            offset,
            type: ch.register.type,
            order: ch.register.order ?? 'ABCD',
            scale: ch.scale,
            add: ch.offset,
          },
        ];
      }),
    }));
  });
}

/** The ts (poll time) of the first reading the agent committed, watching its database file. */
async function firstStoredTs(dbPath: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare('SELECT min(ts) AS ts FROM readings').get() as { ts: number | null };
        if (row.ts !== null) return row.ts;
      } finally {
        db.close();
      }
    } catch {
      // not created or not migrated yet
    }
    await sleep(20);
  }
  throw new Error(`the agent stored no reading within ${timeoutMs} ms`);
}

function countStored(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
