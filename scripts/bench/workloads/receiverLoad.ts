import { publishLoad, stationId } from '../../receiver/loadPublisher.js';
import { startMosquitto } from '../../support/mosquitto.js';
import { startPostgres } from '../../support/postgres.js';
import { createBareTable, prefillBare, timeBareCopy } from '../bareCopy.js';
import { built, type Child, spawnNode } from '../benchProcesses.js';
import type { BenchOptions, Figure, Workload, WorkloadResult } from '../benchTypes.js';
import { machineCpuSeconds, treeCpuSeconds } from '../cpuAccount.js';
import { figure, ratio, round } from '../figures.js';
import { fleetDb, publishFleet } from '../pacedFleet.js';
import { batchLatencies, countRows, partitionedBytes, percentile, startCommitProbe } from '../pgProbe.js';

/**
 * Workload 7, receiver load (issue 18): a fleet of simulated stations publishing in real time
 * (pacedFleet.ts: channels × 1 reading/s, a batch every 2 s, every 50th batch delivered twice) through
 * mosquitto into two `receiver --postgres` processes sharing one subscription (4 connections each),
 * into a PostgreSQL started for the run (Debian's binaries, fsync off as in the tests). Then a backlog
 * flood (every station resends 500-reading batches as fast as the broker takes them) measures the
 * receivers at saturation against a bare COPY of the same rows into a table of the same shape, side by
 * side in the same server. Size: --stations, --channels, --seconds (bench main.ts).
 */

const FLEET_DB_WHERE = `right(db, 24) = '${'f'.repeat(24)}'`;
const FLOOD_DB_WHERE = `right(db, 24) = '${'0'.repeat(24)}'`;
const BATCH_SECONDS = 2;
const PROBES = 20;
const PROBE_EVERY_MS = 100;

export const receiverLoad: Workload = {
  id: 7,
  name: 'Receiver load',
  async run(opts: BenchOptions): Promise<WorkloadResult> {
    const stations = opts.fleet?.stations ?? (opts.quick ? 10 : 1000);
    const channels = opts.fleet?.channels ?? (opts.quick ? 4 : 40);
    const seconds = opts.fleet?.seconds ?? (opts.quick ? 4 : 120);
    const floodBatches = opts.quick ? 1 : Math.max(1, Math.ceil(1_000_000 / stations / 500));
    const offered = stations * channels;
    opts.log(
      `  ${stations} stations × ${channels} channels, 1 reading/s, ${seconds} s: ${offered} readings/s offered`,
    );
    const cleanups: (() => Promise<void>)[] = [];
    try {
      const broker = await startMosquitto();
      cleanups.push(() => broker.dispose());
      const db = await startPostgres();
      cleanups.push(() => db.dispose());
      const receivers: Child[] = [];
      for (const i of [0, 1]) {
        const rx = await spawnNode(
          [
            built('scripts/receiver/main.js'),
            ...['--url', broker.url, '--postgres', db.url, '--prefix', 'fleet'],
            ...['--share', 'archive', '--client-id', `bench-rx-${i}`, '--connections', '4'],
          ],
          /into PostgreSQL/,
          { timeoutMs: 30_000, readyOnStderr: true },
        );
        cleanups.push(() => rx.stop());
        receivers.push(rx);
      }
      const cpu = cpuMeter(
        receivers.map((r) => r.pid),
        broker.pid() ?? -1,
        db.pid,
      );

      // Real time: does the pair keep up, and how late is a reading committed?
      const probe = await startCommitProbe(
        db.url,
        Array.from({ length: Math.min(PROBES, stations) }, (_, s) => [stationId(s), fleetDb(s)]),
        PROBE_EVERY_MS,
      );
      cleanups.push(async () => void (await probe.stop()));
      const t0 = Date.now();
      const fleet = await publishFleet({
        url: broker.url,
        prefix: 'fleet',
        stations,
        channels,
        seconds,
        batchSeconds: BATCH_SECONDS,
        repeatEvery: 50,
        probes: PROBES,
        startMs: Date.UTC(2026, 11, 15),
      });
      const published = Date.now();
      const atEnd = await countRows(db.url, 'readings', FLEET_DB_WHERE);
      const backlog = fleet.readings - atEnd;
      // A fleet the receivers cannot keep up with drains at their saturated rate: the drain time says so.
      await waitForRows(db.url, FLEET_DB_WHERE, fleet.readings, 600_000);
      const drained = Date.now();
      const pacedCpu = cpu.read();
      const latencies = batchLatencies(fleet.probeBatches, await probe.stop());
      const sustained = fleet.readings / ((drained - t0) / 1000);
      opts.log(
        `  paced: ${fleet.readings} readings in ${fleet.messages} messages (${fleet.repeats} repeats), ` +
          `backlog ${backlog} at the end of publishing, drained ${((drained - published) / 1000).toFixed(1)} s later; ` +
          `${sustained.toFixed(0)} readings/s; publisher lag at worst ${fleet.maxLagMs} ms; CPU ${describeCpu(pacedCpu)}`,
      );

      // Saturation: a backlog as fast as the broker takes it, then a bare COPY of the same rows.
      const floodStart = Date.now();
      const flood = await publishLoad({
        url: broker.url,
        prefix: 'fleet',
        stations,
        batchesPerStation: floodBatches,
        perBatch: 500,
        channels,
        encoding: 'mixed',
        startMs: Date.UTC(2026, 11, 1),
      });
      await waitForRows(db.url, FLOOD_DB_WHERE, flood.readings, 600_000);
      const sinkRate = flood.readings / ((Date.now() - floodStart) / 1000);
      const floodCpu = cpu.read();
      await createBareTable(db.url);
      await prefillBare(db.url, FLEET_DB_WHERE);
      const copy = await timeBareCopy(db.url, db.dataDir, FLOOD_DB_WHERE);
      if (copy.rows !== flood.readings)
        throw new Error(`bare COPY loaded ${copy.rows} rows, want ${flood.readings}`);
      const copyRate = copy.rows / copy.seconds;
      opts.log(
        `  flood: ${flood.readings} readings, receivers ${sinkRate.toFixed(0)}/s, bare COPY ${copyRate.toFixed(0)}/s; CPU ${describeCpu(floodCpu)}`,
      );

      const rows = await countRows(db.url, 'readings');
      const mbPerMillion = (await partitionedBytes(db.url, 'readings')) / rows;
      const bareMbPerMillion = (await partitionedBytes(db.url, 'readings_bare')) / rows;
      const measured: Figure[] = [
        figure('readings committed/s, real-time fleet (published → all committed)', 'readings/s', [
          sustained,
        ]),
        figure('backlog when publishing ended', 'readings', [backlog]),
        figure('drain after publishing ended', 's', [(drained - published) / 1000]),
        ...[50, 95, 99, 100].map((p) =>
          figure(`latency publish → committed, ${p === 100 ? 'max' : `p${p}`}`, 'ms', [
            percentile(latencies, p),
          ]),
        ),
        figure('readings committed/s, backlog flood (2 receivers)', 'readings/s', [sinkRate]),
        figure('database size per million readings (readings, all partitions and indexes)', 'MB', [
          mbPerMillion,
        ]),
        ...cpuFigures('real time', pacedCpu),
        ...cpuFigures('flood', floodCpu),
      ];
      const baseline: Figure[] = [
        figure('readings/s offered by the fleet', 'readings/s', [offered]),
        figure('readings/s the publisher achieved (its own schedule)', 'readings/s', [
          fleet.readings / ((published - t0) / 1000),
        ]),
        figure('readings/s, bare COPY of the flood rows (psql \\copy, one transaction)', 'readings/s', [
          copyRate,
        ]),
        figure('database size per million readings (bare table, same rows)', 'MB', [bareMbPerMillion]),
      ];
      const keptUp = ratio(sustained, offered);
      const vsCopy = ratio(sinkRate, copyRate);
      const vsBareSize = ratio(mbPerMillion, bareMbPerMillion);
      return {
        id: 7,
        name: 'Receiver load',
        measured,
        baseline,
        targets: [
          {
            what: 'committed ÷ offered readings/s, real time',
            bound: 'ratio >= 0.95',
            actual: keptUp,
            met: keptUp >= 0.95,
          },
          {
            what: 'receivers ÷ bare COPY readings/s, flood',
            bound: 'ratio >= 0.5',
            actual: vsCopy,
            met: vsCopy >= 0.5,
          },
          {
            what: 'receivers ÷ bare table bytes, same rows',
            bound: 'ratio <= 1.1',
            actual: vsBareSize,
            met: vsBareSize <= 1.1,
          },
        ],
        notes: [
          `Size: ${stations} stations × ${channels} channels × 1 reading/s for ${seconds} s (${offered} readings/s offered, a batch of ${channels * BATCH_SECONDS} readings per station every ${BATCH_SECONDS} s, every 50th delivered twice, JSON and columnar-deflate alternating by station); flood ${flood.readings} readings in 500-reading batches. One run (no repetitions): every figure is from this run.`,
          `Two receivers (--share, 4 connections each), mosquitto and PostgreSQL 15 (fsync off) on the same machine as the publisher. Latency: publish → the first poll (every ${PROBE_EVERY_MS} ms, of ${Math.min(PROBES, stations)} stations) that sees the batch's last seq committed, over ${latencies.length} batches. Publisher behind schedule at worst ${fleet.maxLagMs} ms.`,
        ],
      };
    } finally {
      for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    }
  },
};

async function waitForRows(url: string, where: string, want: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countRows(url, 'readings', where);
    if (n >= want) return;
    if (Date.now() > deadline)
      throw new Error(`receivers committed ${n} of ${want} readings in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface CpuShare {
  /** % of one core over the interval, per part. */
  receivers: number;
  postgres: number;
  mosquitto: number;
  publisher: number;
  /** % of all cores busy on the machine, other work included. */
  machine: number;
}

/** CPU used since the previous read(), per part of the workload. */
function cpuMeter(receiverPids: number[], brokerPid: number, pgPid: number): { read(): CpuShare } {
  const take = () => ({
    at: performance.now(),
    receivers: receiverPids.reduce((a, p) => a + treeCpuSeconds(p), 0),
    postgres: treeCpuSeconds(pgPid),
    mosquitto: treeCpuSeconds(brokerPid),
    publisher: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    machine: machineCpuSeconds(),
  });
  let last = take();
  return {
    read() {
      const now = take();
      const s = (now.at - last.at) / 1000;
      const pct = (a: number, b: number) => round(((b - a) / s) * 100);
      const share: CpuShare = {
        receivers: pct(last.receivers, now.receivers),
        postgres: pct(last.postgres, now.postgres),
        mosquitto: pct(last.mosquitto, now.mosquitto),
        publisher: pct(last.publisher, now.publisher),
        machine: round(
          ((now.machine.busy - last.machine.busy) / (now.machine.total - last.machine.total)) * 100,
        ),
      };
      last = now;
      return share;
    },
  };
}

function describeCpu(c: CpuShare): string {
  return `receivers ${c.receivers} %, postgres ${c.postgres} %, mosquitto ${c.mosquitto} %, publisher ${c.publisher} % of a core; machine ${c.machine} % busy`;
}

function cpuFigures(phase: string, c: CpuShare): Figure[] {
  return [
    figure(`CPU, ${phase}: both receivers`, '% of a core', [c.receivers]),
    figure(`CPU, ${phase}: PostgreSQL (all backends)`, '% of a core', [c.postgres]),
    figure(`CPU, ${phase}: mosquitto`, '% of a core', [c.mosquitto]),
    figure(`CPU, ${phase}: publisher (bench process)`, '% of a core', [c.publisher]),
    figure(`CPU, ${phase}: whole machine, other work included`, '% of all cores', [c.machine]),
  ];
}
