import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { StationConfig } from '../../../agent/config/schema.js';
import { systemClock } from '../../../agent/core/clock.js';
import { silentLogger } from '../../../agent/core/log.js';
import { createDevicePoller } from '../../../drivers/modbus/devicePoller.js';
import { startMosquitto } from '../../support/mosquitto.js';
import { createPtyPair } from '../../support/pty.js';
import { built, type Child, spawnNode, writeReferenceMap } from '../benchProcesses.js';
import type { BenchOptions, Workload, WorkloadResult } from '../benchTypes.js';
import { figure, ratio, round } from '../figures.js';
import { measurePipeline, validConfig } from '../inProcessAgent.js';
import { REFERENCE_ITEMS, referenceStationConfig } from '../referenceStation.js';

/**
 * Workload 2, line efficiency: the reference station on a simulated RS-485 line at 9600 baud that
 * costs real wire time (wireLine.ts), polled back to back by the whole agent. The poll cycle (time
 * per round of all 8 devices) is compared with the theoretical wire time of the planned requests:
 * Σ (request + response bytes) × 11 / baud + 3.5 characters after each frame + the device turnaround.
 */

const BAUD = 9600;
/** Device turnaround: a quick analyzer; real ones take 5 to 50 ms, which only dilutes our overhead. */
const TURNAROUND_MS = 5;
const CHAR_MS = (11 / BAUD) * 1000;

export const lineEfficiency: Workload = {
  id: 2,
  name: 'Line efficiency',
  async run(opts: BenchOptions): Promise<WorkloadResult> {
    const windowMs = opts.quick ? 2000 : 10_000;
    const warmupMs = opts.quick ? 1000 : 2000;
    const mapFile = writeReferenceMap(opts.workDir);
    const toAgent = await createPtyPair(mkdtempSync(join(opts.workDir, 'pty-agent-')));
    const toSim = await createPtyPair(mkdtempSync(join(opts.workDir, 'pty-sim-')));
    const broker = await startMosquitto();
    let line: Child | undefined;
    const cycles: number[] = [];
    const lateness: number[] = [];
    const failures: number[] = [];
    let theoreticalMs = 0;
    let requests = 0;
    try {
      line = await spawnNode(
        [
          built('scripts/bench/wireLine.js'),
          toAgent.simPath,
          toSim.agentPath,
          toSim.simPath,
          mapFile,
          String(BAUD),
          String(TURNAROUND_MS),
        ],
        /wire line ready/,
        { ipc: true },
      );
      for (let run = 0; run < opts.runs; run++) {
        const raw = referenceStationConfig({
          bus: {
            id: 'rs485',
            type: 'serial',
            port: toAgent.agentPath,
            baudRate: BAUD,
            timeout: '1s',
            retries: 1,
          },
          interval: '1s', // replaced by back-to-back polling (inProcessAgent.ts)
          dbPath: join(opts.workDir, `w2-run${run}.db`),
          mqttUrl: broker.url,
          clientId: `bench-w2-${run}`,
        });
        const config = validConfig(raw);
        ({ theoreticalMs, requests } = theoreticalCycle(config));
        const before = await lineStats(line);
        const counts = await measurePipeline(raw, windowMs, warmupMs);
        const after = await lineStats(line);
        const cyclesDone = counts.transactions / requests;
        const cycleMs = counts.elapsedMs / cyclesDone;
        cycles.push(cycleMs);
        failures.push(counts.failures);
        // Emulator lateness over the whole line session (warm-up included) per cycle: an upper bound.
        const lateTotal = after.lateMs - before.lateMs;
        const sessionCycles = (after.frames - before.frames) / (2 * requests);
        lateness.push(sessionCycles > 0 ? lateTotal / sessionCycles : 0);
        opts.log(
          `  run ${run + 1}/${opts.runs}: cycle ${cycleMs.toFixed(1)} ms (theoretical ${theoreticalMs.toFixed(1)} ms), ` +
            `emulator lateness ${lateness.at(-1)?.toFixed(1)} ms/cycle, failed polls ${counts.failures}`,
        );
      }
    } finally {
      await line?.stop();
      await broker.dispose();
      await toAgent.stop();
      await toSim.stop();
    }
    const cycle = figure('poll cycle (all 8 devices)', 'ms', cycles);
    const r = ratio(cycle.value, theoreticalMs);
    const fewer = round(REFERENCE_ITEMS / requests);
    const pauseMs = Math.max(2, Math.ceil(3.5 * CHAR_MS));
    return {
      id: 2,
      name: 'Line efficiency',
      measured: [
        cycle,
        figure('emulator timer lateness per cycle (part of the cycle above)', 'ms', lateness),
        figure('requests per cycle', 'requests', [requests]),
        figure('failed polls per run', 'polls', failures),
      ],
      baseline: [
        figure('theoretical wire time of the planned requests', 'ms', [theoreticalMs]),
        figure('requests per cycle, one per channel or status word', 'requests', [REFERENCE_ITEMS]),
      ],
      targets: [
        { what: 'poll cycle ÷ theoretical wire time', bound: 'ratio <= 1.1', actual: r, met: r <= 1.1 },
        {
          what: 'one-request-per-item ÷ planned requests',
          bound: 'ratio >= 4',
          actual: fewer,
          met: fewer >= 4,
        },
      ],
      notes: [
        `${BAUD} baud, 11 bits per character, device turnaround ${TURNAROUND_MS} ms; median of ${opts.runs} run(s) of ${windowMs / 1000} s with the line kept busy (devices polled back to back), cycle = window ÷ (requests done ÷ ${requests}).`,
        `The agent's pause between exchanges on a serial line is ceil(3.5 characters) = ${pauseMs} ms at ${BAUD} baud against ${(3.5 * CHAR_MS).toFixed(2)} ms in the theoretical figure (serialLine.ts, lineFromConfig.ts).`,
      ],
    };
  },
};

/** Wire time of one station cycle, from the agent's own plan of each device's requests. */
export function theoreticalCycle(config: StationConfig): { theoreticalMs: number; requests: number } {
  const noBus = { read: () => Promise.reject(new Error('planning only')) };
  let ms = 0;
  let requests = 0;
  for (const device of config.devices) {
    const { plan } = createDevicePoller({ device, bus: noBus, clock: systemClock, log: silentLogger() });
    for (const req of plan) {
      requests++;
      const bitTable = req.table === 'coil' || req.table === 'discrete';
      const responseBytes = 5 + (bitTable ? Math.ceil(req.count / 8) : 2 * req.count);
      ms += (8 + responseBytes) * CHAR_MS + 2 * 3.5 * CHAR_MS + TURNAROUND_MS;
    }
  }
  return { theoreticalMs: ms, requests };
}

function lineStats(line: Child): Promise<{ frames: number; lateMs: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the wire line did not report its stats')), 5000);
    line.proc.once('message', (msg: { frames: number; lateMs: number }) => {
      clearTimeout(timer);
      resolve(msg);
    });
    line.proc.send({ kind: 'stats' });
  });
}
