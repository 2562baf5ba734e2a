import { join } from 'node:path';
import { freePort } from '../../support/freePort.js';
import { startMosquitto } from '../../support/mosquitto.js';
import { measureBareLoop } from '../bareModbusLoop.js';
import { startTcpSimulator, writeReferenceMap } from '../benchProcesses.js';
import type { BenchOptions, Workload, WorkloadResult } from '../benchTypes.js';
import { figure, ratio } from '../figures.js';
import { measurePipeline, validConfig } from '../inProcessAgent.js';
import { referenceStationConfig } from '../referenceStation.js';

/**
 * Workload 1, pipeline overhead: the reference station on Modbus TCP loopback, polled back to back
 * with the whole pipeline on (decode, checks, SQLite commit, aggregation, MQTT QoS 1 to a real
 * mosquitto with PUBACK confirmation), against a bare modbus-serial loop asking the same planned
 * requests of the same simulator process. Runs alternate agent/bare so drift on a shared machine
 * hits both alike; the figure is the median of the per-run ratios' inputs (medians of each side).
 */
export const pipelineOverhead: Workload = {
  id: 1,
  name: 'Pipeline overhead',
  async run(opts: BenchOptions): Promise<WorkloadResult> {
    const windowMs = opts.quick ? 1500 : 10_000;
    const warmupMs = opts.quick ? 500 : 2000;
    const mapFile = writeReferenceMap(opts.workDir);
    const port = await freePort();
    const sim = await startTcpSimulator(mapFile, port);
    const broker = await startMosquitto();
    const agentRates: number[] = [];
    const normalRates: number[] = [];
    const bareRates: number[] = [];
    const confirmedRates: number[] = [];
    const failures: number[] = [];
    try {
      for (let run = 0; run < opts.runs; run++) {
        const raw = referenceStationConfig({
          bus: { id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '1s', retries: 1 },
          interval: '1s', // replaced by back-to-back polling (inProcessAgent.ts)
          dbPath: join(opts.workDir, `w1-run${run}.db`),
          mqttUrl: broker.url,
          clientId: `bench-w1-${run}`,
        });
        const agent = await measurePipeline(raw, windowMs, warmupMs);
        // The same with storage.synchronous: normal (no fsync per commit; survives a crash of the agent,
        // not a power cut): how much of the gap is the disk, not the code.
        const normal = await measurePipeline(
          { ...raw, storage: { path: join(opts.workDir, `w1-run${run}-normal.db`), synchronous: 'normal' } },
          windowMs,
          warmupMs,
        );
        const bare = await measureBareLoop(validConfig(raw), '127.0.0.1', port, windowMs, warmupMs);
        const a = (agent.transactions / agent.elapsedMs) * 1000;
        const b = (bare.transactions / bare.elapsedMs) * 1000;
        agentRates.push(a);
        normalRates.push((normal.transactions / normal.elapsedMs) * 1000);
        bareRates.push(b);
        confirmedRates.push((agent.confirmed / agent.elapsedMs) * 1000);
        failures.push(agent.failures);
        opts.log(
          `  run ${run + 1}/${opts.runs}: agent ${a.toFixed(0)} tx/s (synchronous normal: ${normalRates.at(-1)?.toFixed(0)}), bare ${b.toFixed(0)} tx/s, ` +
            `confirmed ${confirmedRates.at(-1)?.toFixed(0)} readings/s, failed polls ${agent.failures}, backlog at end ${agent.backlogAtEnd}`,
        );
      }
    } finally {
      await broker.dispose();
      await sim.stop();
    }
    const perRun = agentRates.map((a, i) => a / bareRates[i]!);
    const measured = [
      figure('transactions/s (full pipeline)', 'tx/s', agentRates),
      figure('readings confirmed by the broker/s', 'readings/s', confirmedRates),
      figure('transactions/s with storage.synchronous: normal', 'tx/s', normalRates),
      figure('failed polls per run', 'polls', failures),
      figure('agent ÷ bare loop, per run', 'ratio', perRun),
    ];
    const baseline = [figure('transactions/s (bare modbus-serial loop)', 'tx/s', bareRates)];
    const r = ratio(measured[0]!.value, baseline[0]!.value);
    const rNormal = ratio(measured[2]!.value, baseline[0]!.value);
    return {
      id: 1,
      name: 'Pipeline overhead',
      measured,
      baseline,
      targets: [
        {
          what: 'agent tx/s ÷ bare loop tx/s (default storage.synchronous: full)',
          bound: 'ratio >= 0.9',
          actual: r,
          met: r >= 0.9,
        },
        {
          what: 'the same with storage.synchronous: normal',
          bound: 'ratio >= 0.9',
          actual: rNormal,
          met: rNormal >= 0.9,
        },
      ],
      notes: [
        `Median of ${opts.runs} run(s) of ${windowMs / 1000} s each (after ${warmupMs / 1000} s warm-up), agent (synchronous full, then normal) and bare loop alternating against one simulator process; the agent runs in-process with device intervals set to 1 ms after validation (the schema floor is 100 ms).`,
      ],
    };
  },
};
