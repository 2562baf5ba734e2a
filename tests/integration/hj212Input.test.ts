/**
 * The HJ 212 input (agent/acquisition/hj212Input/) against the logger stand-in run as a real process
 * (`dist-tools/scripts/tools/loggerStandInMain.js`, built by `npm run build:tools`): 2011 and 2051 in
 * 2017 and in 2025 with SM4, a re-sent upload, a factor code the input does not know.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHj212InputServer,
  type Hj212InputServer,
} from '../../agent/acquisition/hj212Input/hj212InputServer.js';
import type {
  LoggerAggregates,
  LoggerConfig,
  LoggerPollResult,
} from '../../agent/acquisition/hj212Input/inputTypes.js';
import { silentLogger } from '../../agent/core/log.js';

const STAND_IN = fileURLToPath(
  new URL('../../dist-tools/scripts/tools/loggerStandInMain.js', import.meta.url),
);
const run = promisify(execFile);

/** 2026-12-07 12:00:00 Beijing time. */
const NOON = Date.UTC(2026, 11, 7, 4, 0, 0);

const LOGGER: LoggerConfig = {
  device: 'logger1',
  mn: '010000A8900016F000169DC0',
  pw: '123456',
  channels: [
    { id: 'cod', code: 'w01018', unit: 'mg/L' },
    { id: 'nh3n', code: 'w21003', unit: 'mg/L' },
  ],
};

let server: Hj212InputServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function startInput(logger: LoggerConfig) {
  const realtime: LoggerPollResult[] = [];
  const aggregates: LoggerAggregates[] = [];
  server = createHj212InputServer({
    host: '127.0.0.1',
    port: 0,
    loggers: [logger],
    log: silentLogger(),
    onRealtime: (r) => {
      realtime.push(r);
    },
    onAggregates: (r) => {
      aggregates.push(r);
    },
  });
  const { port } = await server.start();
  return { port, realtime, aggregates };
}

async function standIn(port: number, args: string[]) {
  const { stdout } = await run(process.execPath, [
    STAND_IN,
    '--port',
    String(port),
    '--mn',
    LOGGER.mn,
    ...args,
  ]);
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const UPLOADS = [
  '--send',
  '2011:DataTime=20261207120000;w01018-Rtd=25.5,w01018-Flag=M;w21003-Rtd=0.31,w21003-Flag=N;w99999-Rtd=1',
  '--send',
  '2051:DataTime=20261207120000;w01018-Min=20.1,w01018-Avg=25.5,w01018-Max=30.2,w01018-Flag=N',
  '--resend',
  '1',
];

describe('HJ 212 input with the logger stand-in', () => {
  for (const edition of [
    { name: '2017', args: ['--version', '2017'] },
    {
      name: '2025 + SM4',
      args: ['--version', '2025', '--sm4-key', '0123456789abcdef'],
      key: '0123456789abcdef',
    },
  ]) {
    it(`takes 2011 and 2051 in ${edition.name}, drops the re-send, counts the unknown code, answers 9014`, async () => {
      const input = await startInput({ ...LOGGER, ...(edition.key ? { sm4Key: edition.key } : {}) });
      const lines = await standIn(input.port, ['--pw', LOGGER.pw, ...edition.args, ...UPLOADS]);
      await server!.drained();

      const answers = lines.filter((l) => l.kind === 'answer').map((l) => (l.answer as { cn: string }).cn);
      expect(answers).toEqual(['9014', '9014', '9014']);
      expect(lines.at(-1)).toEqual({ kind: 'summary', sent: 3, answered9014: 3, refused: 0, unanswered: 0 });

      expect(input.realtime).toHaveLength(1);
      const rt = input.realtime[0]!;
      expect([rt.device, rt.mn, rt.dataTime, rt.result.measuredAt]).toEqual([
        'logger1',
        LOGGER.mn,
        '20261207120000',
        NOON,
      ]);
      expect(rt.result.readings.map((r) => [r.channel, r.code, r.value, r.flag, r.ts])).toEqual([
        ['cod', 'w01018', 25.5, 'M', NOON],
        ['nh3n', 'w21003', 0.31, 'N', NOON],
      ]);
      expect(input.aggregates).toHaveLength(1);
      expect(
        input.aggregates[0]!.records.map((r) => [r.period, r.channel, r.min, r.avg, r.max, r.flag]),
      ).toEqual([['minute', 'cod', 20.1, 25.5, 30.2, 'N']]);
      expect(server!.counters()).toMatchObject({
        framesOk: 3,
        duplicates: 2,
        unknownCodes: { w99999: 1 },
        answered: 3,
        refused: {},
      });
    });
  }

  it('cannot read the 2025 uploads without the key: they really travel encrypted', async () => {
    const input = await startInput(LOGGER);
    const failed = await standIn(input.port, [
      '--pw',
      LOGGER.pw,
      '--version',
      '2025',
      '--sm4-key',
      '0123456789abcdef',
      '--answer-timeout-ms',
      '1000',
      ...UPLOADS.slice(0, 2),
    ]).then(
      () => undefined,
      (err: { code: number }) => err.code,
    );
    await server!.drained();
    expect(failed).toBe(1);
    expect(input.realtime).toEqual([]);
    const c = server!.counters();
    expect([c.framesOk, Object.values(c.refused).reduce((a, b) => a + (b ?? 0), 0)]).toEqual([0, 1]);
  });

  it('refuses a wrong PW with 9011 and takes nothing', async () => {
    const input = await startInput(LOGGER);
    const lines = await standIn(input.port, ['--pw', '654321', ...UPLOADS.slice(0, 2)]).catch(
      (err: { stdout: string; code: number }) => {
        expect(err.code).toBe(1);
        return err.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      },
    );
    await server!.drained();
    expect(lines.filter((l) => l.kind === 'answer').map((l) => l.answer)).toEqual([
      { cn: '9011', qn: expect.any(String), qnRtn: 3 },
    ]);
    expect(input.realtime).toEqual([]);
    expect(server!.counters().refused).toEqual({ 'wrong-pw': 1 });
  });
});
