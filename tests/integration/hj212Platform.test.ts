import { afterEach, describe, expect, it } from 'vitest';
import { type CodecOptions, encodeMessage } from '../../drivers/hj212/codec.js';
import { readCommand } from '../../drivers/hj212/commands.js';
import { emptyCp } from '../../drivers/hj212/cp.js';
import type { DataSegment } from '../../drivers/hj212/dataSegment.js';
import {
  commandAnswer,
  dataUpload,
  executionResult,
  heartbeat,
  readAnswer,
  requestAnswer,
  type StationIdentity,
  timeCalibrationRequest,
} from '../../drivers/hj212/messages.js';
import { sm4KeyFromText } from '../../drivers/hj212/sm4.js';
import {
  type PlatformHandle,
  type PlatformOptions,
  startPlatform,
} from '../../scripts/platform/platformServer.js';
import { freePort } from '../../scripts/support/freePort.js';
import { TinyStation } from '../helpers/tinyStation.js';

const MN = '010000A8900016F000169DC0';
const PW = '123456';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  opts: Partial<PlatformOptions> = {},
  station: Partial<StationIdentity> = {},
  codec: CodecOptions = {},
): Promise<{ platform: PlatformHandle; station: TinyStation }> {
  const port = await freePort();
  const platform = await startPlatform({ port, version: '2017', mn: MN, pw: PW, ack: true, ...opts });
  cleanups.push(() => platform.stop());
  const s = await TinyStation.connect(port, { version: '2017', st: '32', pw: PW, mn: MN, ...station }, codec);
  cleanups.push(() => s.close());
  await platform.waitForStation();
  return { platform, station: s };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('platform simulator', () => {
  it('acknowledges an upload that asks with 9014 (same QN), and records its CP', async () => {
    const { platform, station } = await setup();
    const up = station.upload(true);
    const ack = await station.waitFor((s) => s.cn === '9014');
    expect(ack.qn).toBe(up.qn);
    const rec = await platform.waitFor((f) => f.segment.qn === up.qn);
    expect(rec.segment.cp.factors.get('w01018')?.get('Rtd')).toBe('25.5');
    expect(platform.stations[0]).toMatchObject({ mn: MN, st: '32' });
    expect(platform.faults).toEqual([]);
  });

  it('does not acknowledge when the upload does not ask, or when acks are off', async () => {
    const { platform, station } = await setup();
    station.upload(false);
    platform.setAck(false);
    const asked = station.upload(true);
    await platform.waitFor((f) => f.segment.qn === asked.qn);
    await sleep(200);
    expect(station.received.filter((s) => s.cn === '9014')).toEqual([]);
  });

  it('answers a 2025 heartbeat with 9013', async () => {
    const { station } = await setup({ version: '2025' }, { version: '2025' });
    const hb = heartbeat(station.id, station.nextQn());
    station.send(hb);
    const ans = await station.waitFor((s) => s.cn === '9013');
    expect(ans).toMatchObject({ qn: hb.qn, st: '91', flag: 8 });
  });

  it('wrong password: QnRtn 3; wrong MN: QnRtn 4', async () => {
    const { station } = await setup();
    station.id = { ...station.id, pw: '000000' };
    const a = station.upload();
    expect(readAnswer(await station.waitFor((s) => s.qn === a.qn))).toMatchObject({ cn: '9011', qnRtn: 3 });
    station.id = { ...station.id, pw: PW, mn: 'FFFF' };
    const b = station.upload();
    expect(readAnswer(await station.waitFor((s) => s.qn === b.qn))).toMatchObject({ cn: '9011', qnRtn: 4 });
  });

  it('bad CRC: QnRtn 9 with the frame’s QN, and the rejection is recorded', async () => {
    const { platform, station } = await setup();
    const qn = station.nextQn();
    const seg = dataUpload(station.id, {
      cn: '2011',
      qn,
      dataTime: '20240601120000',
      factors: {},
      ack: true,
    });
    const frame = encodeMessage(seg)[0]!.toString('latin1');
    const wrongCrc = frame.slice(-6, -2) === '0000' ? '0001' : '0000';
    station.sendRaw(`${frame.slice(0, -6)}${wrongCrc}\r\n`);
    const ans = await station.waitFor((s) => s.qn === qn);
    expect(readAnswer(ans)).toMatchObject({ cn: '9011', qnRtn: 9 });
    expect((await platform.waitForRejection()).rejection.reason).toBe('bad-crc');
  });

  it('unknown CN: QnRtn 8', async () => {
    const { station } = await setup();
    const seg = { ...heartbeat(station.id, station.nextQn()), cn: '1099' };
    station.send(seg);
    expect(readAnswer(await station.waitFor((s) => s.qn === seg.qn))).toMatchObject({ cn: '9011', qnRtn: 8 });
  });

  it('garbage between frames is recorded and costs no frame', async () => {
    const { platform, station } = await setup();
    station.sendRaw('noise\r\n');
    const up = station.upload();
    await station.waitFor((s) => s.qn === up.qn);
    expect(platform.rejections.map((r) => r.rejection.reason)).toEqual(['garbage']);
  });

  it('a split upload: every part is acknowledged and recorded', async () => {
    const { platform, station } = await setup();
    const factors: Record<string, Record<string, string>> = {};
    for (let i = 1; i <= 40; i++) factors[`w${String(i).padStart(5, '0')}`] = { Rtd: '12345.678', Flag: 'N' };
    station.send(
      dataUpload(station.id, {
        cn: '2011',
        qn: station.nextQn(),
        dataTime: '20240601120000',
        factors,
        ack: true,
      }),
    );
    const p2 = await platform.waitFor((f) => f.segment.pno === 2);
    expect(p2.segment.pnum).toBe(2);
    await station.waitFor((s) => s.cn === '9014' && s.qn === p2.segment.qn);
    expect(station.received.filter((s) => s.cn === '9014')).toHaveLength(2);
  });
});

/** Answers a platform command as a station should: 9011, the data, 9012. */
function serveCommands(station: TinyStation, uploads: (cmd: DataSegment) => DataSegment[]): void {
  let handled = 0;
  const loop = () => {
    const commands = station.received.filter((s) => readAnswer(s) === undefined);
    for (const cmd of commands.slice(handled)) {
      handled++;
      const read = readCommand(cmd);
      if (read.kind !== 'command') {
        station.send(requestAnswer(cmd, station.id.version, 8));
        continue;
      }
      station.send(requestAnswer(cmd, station.id.version, 1));
      const data = uploads(cmd);
      for (const d of data) station.send(d);
      station.send(
        executionResult(
          cmd,
          station.id.version,
          data.length === 0 && read.command.kind === 'history' ? 100 : 1,
        ),
      );
      if (read.command.kind === 'set-password') station.id = { ...station.id, pw: read.command.newPw };
      if (read.command.kind === 'key-exchange') {
        station.codec.sm4 = { ...station.codec.sm4, key: sm4KeyFromText(read.command.newSk) };
      }
    }
  };
  const timer = setInterval(loop, 10);
  cleanups.push(() => clearInterval(timer));
}

describe('platform commands', () => {
  it('history request: 9011, the uploads, 9012', async () => {
    const { platform, station } = await setup();
    serveCommands(station, (cmd) => {
      const read = readCommand(cmd);
      if (read.kind !== 'command' || read.command.kind !== 'history') return [];
      return ['20240601000000', '20240601010000'].map((dataTime) =>
        dataUpload(station.id, {
          cn: '2061',
          qn: station.nextQn(),
          dataTime,
          factors: { w01018: { Avg: '20.1' } },
          ack: true,
        }),
      );
    });
    const r = await platform.requestHistory('2061', '20240601000000', '20240601015959');
    expect(r).toMatchObject({ cn: '2061', qnRtn: 1, exeRtn: 1 });
    expect(r.uploads.map((u) => u.segment.cp.dataTime)).toEqual(['20240601000000', '20240601010000']);
    // The station saw the request with its times.
    const seen = await station.waitFor((s) => s.cn === '2061' && readAnswer(s) === undefined);
    expect(seen.cp.fields.get('BeginTime')).toBe('20240601000000');
    // Each upload was acknowledged.
    await station.waitFor((s) => s.cn === '9014' && s.qn === r.uploads[1]!.segment.qn);
  });

  it('history request without data ends with ExeRtn 100', async () => {
    const { platform, station } = await setup();
    serveCommands(station, () => []);
    const r = await platform.requestHistory('2051', '20240601000000', '20240601000959');
    expect(r).toMatchObject({ qnRtn: 1, exeRtn: 100, uploads: [] });
  });

  it('get time: the answer carries SystemTime under the request’s QN', async () => {
    const { platform, station } = await setup();
    serveCommands(station, (cmd) =>
      cmd.cn === '1011' ? [commandAnswer(cmd, station.id, { SystemTime: '20240601120000' })] : [],
    );
    const r = await platform.request({ kind: 'get-time' });
    expect(r.answers.map((a) => a.segment.cp.fields.get('SystemTime'))).toEqual(['20240601120000']);
    expect(r.exeRtn).toBe(1);
  });

  it('1072: the platform expects the new password once the station executed it', async () => {
    const { platform, station } = await setup();
    serveCommands(station, () => []);
    const r = await platform.request({ kind: 'set-password', newPw: '654321' });
    expect(r.exeRtn).toBe(1);
    expect(platform.password).toBe('654321');
    const up = station.upload();
    expect((await station.waitFor((s) => s.qn === up.qn)).cn).toBe('9014');
  });

  it('1013: the platform answers 9013, then sets the time with 1012', async () => {
    const { station } = await setup();
    station.send(timeCalibrationRequest(station.id, station.nextQn()));
    await station.waitFor((s) => s.cn === '9013');
    const set = await station.waitFor((s) => s.cn === '1012');
    expect(readCommand(set)).toMatchObject({ kind: 'command', command: { kind: 'set-time' } });
  });

  it('each command of the table reaches the station as itself', async () => {
    const { platform, station } = await setup();
    serveCommands(station, () => []);
    for (const cmd of [
      { kind: 'set-time', systemTime: '20240601120000' },
      { kind: 'get-rtd-interval' },
      { kind: 'set-rtd-interval', seconds: 60 },
      { kind: 'get-min-interval' },
      { kind: 'set-min-interval', minutes: 5 },
      { kind: 'set-timeouts', overTimeS: 10, reCount: 3 },
      { kind: 'start-realtime' },
      { kind: 'stop-realtime' },
    ] as const) {
      const r = await platform.request(cmd);
      expect(r.exeRtn).toBe(1);
      const sent = await station.waitFor((s) => s.qn === r.qn);
      expect(readCommand(sent)).toEqual({ kind: 'command', command: cmd });
    }
  });

  it('an unknown command answered with QnRtn 8 ends the exchange', async () => {
    const { platform, station } = await setup();
    serveCommands(station, () => []);
    const { st, pw, mn } = platform.identity();
    const qn = platform.send({ qn: platform.nextQn(), st, cn: '1099', pw, mn, flag: 5, cp: emptyCp() });
    const ans = await platform.waitFor((f) => f.segment.qn === qn && f.segment.cn === '9011');
    expect(readAnswer(ans.segment)).toMatchObject({ qnRtn: 8 });
  });
});

describe('platform with SM4 (2025)', () => {
  for (const encoding of ['raw', 'hex'] as const) {
    it(`${encoding}: decrypts uploads, and a 1014 key exchange switches both sides`, async () => {
      const sm4Key = 'HJ212-2025-key16';
      const codec: CodecOptions = { sm4: { key: sm4KeyFromText(sm4Key), encoding } };
      const { platform, station } = await setup(
        { version: '2025', sm4Key, layout: { encoding } },
        { version: '2025' },
        codec,
      );
      const up = station.upload();
      expect((await platform.waitFor((f) => f.segment.qn === up.qn)).encrypted).toBe(true);

      serveCommands(station, () => []);
      const r = await platform.request({
        kind: 'key-exchange',
        skCreateTime: '20240601120000',
        newSk: 'NEWKEY-012345678',
      });
      expect(r.exeRtn).toBe(1);
      expect(platform.sm4Key).toBe('NEWKEY-012345678');
      const after = station.upload();
      const rec = await platform.waitFor((f) => f.segment.qn === after.qn);
      expect(rec.encrypted).toBe(true);
      expect(platform.rejections).toEqual([]);
    });
  }
});

describe('platform availability', () => {
  it('setDown refuses connections, setDown(false) accepts them again on the same port', async () => {
    const { platform, station } = await setup();
    await platform.setDown(true);
    await expect(TinyStation.connect(platform.port, station.id)).rejects.toThrow(/ECONNREFUSED/);
    await platform.setDown(false);
    const again = await TinyStation.connect(platform.port, station.id);
    cleanups.push(() => again.close());
    const conn = await platform.waitForStation({ after: 1 });
    expect(conn.id).toBe(2);
    expect(platform.stations[0]?.closedAt).toBeDefined();
  });
});
