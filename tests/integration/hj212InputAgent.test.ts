/**
 * Issue 16 part 2, end to end: the BUILT agent with an hj212-server bus (two logger devices, one per
 * MN, on one port) and an MQTT uplink to a real mosquitto; the logger stand-in
 * (`dist-tools/scripts/tools/loggerStandInMain.js`, a child process) sends 2011 and 2051 in 2017, then
 * in 2025 with SM4, each with a re-send of its 2011. The readings must reach MQTT with the logger's
 * values, flags and DataTime; the re-sends must not (checked against a later marker upload: readings
 * are published in store order, so once the marker is on MQTT anything before it would be too); the
 * unknown code must be counted in /api/status and /metrics; every upload gets its 9014; the logger's
 * 2051 records are kept in logger_aggregates. Every wait has a deadline; nothing asserts timings.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationsStatus } from '../../agent/http/statusReport.js';
import { type AgentProcess, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import {
  collectReadings,
  type MosquittoHandle,
  type ReadingCollector,
  startMosquitto,
  until,
} from '../../scripts/support/mosquitto.js';
import { tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

const STAND_IN = fileURLToPath(
  new URL('../../dist-tools/scripts/tools/loggerStandInMain.js', import.meta.url),
);
const run = promisify(execFile);

const STATION = '320700W009';
const DEADLINE = 30_000;
const MN_2017 = 'LOGGER2017MN0001';
const MN_2025 = '010000A8900016F000169DC0';
const PW = '123456';
const SM4_KEY = '0123456789abcdef';

interface MqttReading {
  seq: number;
  ts: string;
  device: string;
  channel: string;
  code: string | null;
  value: number | null;
  flag: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
let broker: MosquittoHandle;
let readings: ReadingCollector;
let agent: AgentProcess;
let inputPort: number;
let httpBase: string;
let dbPath: string;
let configPath: string;

const logger = (id: string, mn: string, version: '2017' | '2025') => ({
  id,
  bus: 'logger-in',
  interval: '30s',
  logger: { mn, pw: PW, version, ...(version === '2025' ? { sm4Key: SM4_KEY } : {}) },
  channels: [
    { id: 'cod', code: 'w01018', unit: 'mg/L' },
    { id: 'nh3n', code: 'w21003', unit: 'mg/L' },
  ],
});

beforeAll(async () => {
  broker = await startMosquitto();
  cleanups.push(() => broker.stop());
  readings = await collectReadings(broker.url, `stations/${STATION}/readings`);
  cleanups.push(() => readings.close());

  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  dbPath = tmp.dbPath;
  inputPort = await freePort();
  const httpPort = await freePort();
  httpBase = `http://127.0.0.1:${httpPort}`;
  writeYaml(tmp.configPath, {
    version: 1,
    station: { id: STATION, timezone: 'Asia/Shanghai' },
    storage: { path: dbPath },
    buses: [{ id: 'logger-in', type: 'hj212-server', host: '127.0.0.1', port: inputPort }],
    devices: [logger('logger17', MN_2017, '2017'), logger('logger25', MN_2025, '2025')],
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
  configPath = tmp.configPath;
  await startAgent();
}, 60_000);

async function startAgent(): Promise<void> {
  const started = runAgentCli(['run', '--config', configPath]);
  agent = started;
  cleanups.push(async () => {
    if (started.child.exitCode === null && started.child.signalCode === null) {
      started.kill('SIGKILL');
      await started.exited;
    }
  });
  await waitFor(
    () => started.output().includes('hj212 input: listening for the data logger'),
    DEADLINE,
    'the HJ 212 input to listen',
  );
}

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

/** Runs the stand-in as a logger; its JSON lines (frames sent, answers read, summary last). */
async function standIn(mn: string, version: '2017' | '2025', args: string[]) {
  const key = version === '2025' ? ['--sm4-key', SM4_KEY] : [];
  const { stdout } = await run(process.execPath, [
    STAND_IN,
    '--port',
    String(inputPort),
    '--mn',
    mn,
    '--pw',
    PW,
    '--version',
    version,
    ...key,
    ...args,
  ]);
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function uploads(dataTime: string): string[] {
  return [
    '--send',
    `2011:DataTime=${dataTime};w01018-Rtd=25.5,w01018-Flag=M;w21003-Rtd=0.31,w21003-Flag=N;w99999-Rtd=1`,
    '--send',
    `2051:DataTime=${dataTime};w01018-Min=20.1,w01018-Avg=25.5,w01018-Max=30.2,w01018-Flag=N`,
    '--resend',
    '1',
  ];
}

const onMqtt = (device: string, ts: string): MqttReading[] =>
  (readings.payloads as { readings: MqttReading[] }[])
    .flatMap((p) => p.readings)
    .filter((r) => r.device === device && r.ts === ts);

async function apiStatus(): Promise<OperationsStatus> {
  const res = await fetch(`${httpBase}/api/status`);
  expect(res.status).toBe(200);
  return (await res.json()) as OperationsStatus;
}

describe('the agent as one more HJ 212 platform of the data logger', () => {
  it('forwards the logger readings with its values, flags and times, drops re-sends, counts unknown codes', async () => {
    const editions = [
      // 12:00 and 12:01 Beijing time.
      { device: 'logger17', mn: MN_2017, version: '2017' as const, dataTime: '20261207120000' },
      { device: 'logger25', mn: MN_2025, version: '2025' as const, dataTime: '20261207120100' },
    ];
    const isoOf = (dataTime: string) => `2026-12-07T04:${dataTime.slice(10, 12)}:00.000Z`;
    for (const e of editions) {
      const lines = await standIn(e.mn, e.version, uploads(e.dataTime));
      // Three uploads (2011, 2051, the 2011 again), each answered 9014 by the agent.
      const answers = lines.filter((l) => l.kind === 'answer').map((l) => (l.answer as { cn: string }).cn);
      expect(answers).toEqual(['9014', '9014', '9014']);
      expect(lines.at(-1)).toEqual({ kind: 'summary', sent: 3, answered9014: 3, refused: 0, unanswered: 0 });
      const ts = isoOf(e.dataTime);
      await until(() => onMqtt(e.device, ts).length >= 2, DEADLINE, `${e.device}'s readings on MQTT`);
    }

    // A marker after both re-sends were answered (so handled): once it is on MQTT, a duplicate
    // reading committed before it would be there too.
    await standIn(MN_2017, '2017', ['--send', '2011:DataTime=20261207120500;w01018-Rtd=26,w01018-Flag=N']);
    await until(
      () => onMqtt('logger17', '2026-12-07T04:05:00.000Z').length === 1,
      DEADLINE,
      'the marker reading on MQTT',
    );

    for (const e of editions) {
      const got = onMqtt(e.device, isoOf(e.dataTime)).map((r) => [r.channel, r.code, r.value, r.flag]);
      expect(got).toEqual([
        ['cod', 'w01018', 25.5, 'M'],
        ['nh3n', 'w21003', 0.31, 'N'],
      ]);
    }

    const status = await apiStatus();
    for (const e of editions) {
      const d = status.devices.find((x) => x.id === e.device);
      expect(d?.input?.received).toBeGreaterThanOrEqual(3);
      expect(d?.input?.duplicates).toBe(2);
      expect(d?.input?.unknownCodes).toEqual({ w99999: 1 });
      expect(d?.input?.deviceAggregates).toBe(1);
    }
    const metrics = await (await fetch(`${httpBase}/metrics`)).text();
    expect(metrics).toMatch(/station_agent_input_unknown_codes\{device="logger25",code="w99999"\} 1\n/);

    // The logger's 2051 records are kept beside the agent's own, under its own flag and DataTime.
    agent.kill('SIGTERM');
    await agent.exited;
    const db = new Database(dbPath, { readonly: true });
    try {
      const rows = db
        .prepare(
          'SELECT device, channel, period, data_time, min, avg, max, flag FROM logger_aggregates ORDER BY device',
        )
        .raw()
        .all();
      expect(rows).toEqual([
        ['logger17', 'cod', 'minute', '20261207120000', 20.1, 25.5, 30.2, 'N'],
        ['logger25', 'cod', 'minute', '20261207120100', 20.1, 25.5, 30.2, 'N'],
      ]);
    } finally {
      db.close();
    }

    // After a restart the logger re-sends an upload it got no 9014 for: the store remembers it was taken.
    await startAgent();
    const again = await standIn(MN_2017, '2017', [
      '--send',
      '2011:DataTime=20261207120000;w01018-Rtd=25.5,w01018-Flag=M;w21003-Rtd=0.31,w21003-Flag=N',
      '--send',
      '2011:DataTime=20261207120600;w01018-Rtd=27,w01018-Flag=N',
    ]);
    expect(again.at(-1)).toMatchObject({ answered9014: 2, unanswered: 0 });
    await until(
      () => onMqtt('logger17', '2026-12-07T04:06:00.000Z').length === 1,
      DEADLINE,
      'the marker reading after the restart on MQTT',
    );
    expect(onMqtt('logger17', isoOf(editions[0]!.dataTime))).toHaveLength(2);
    const after = (await apiStatus()).devices.find((x) => x.id === 'logger17');
    expect(after?.input?.duplicates).toBe(2);
  }, 120_000);
});
