import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type CodecOptions, decodeFrame } from '../../drivers/hj212/codec.js';
import { formatDataSegment } from '../../drivers/hj212/dataSegment.js';
import { dataUpload, heartbeat, type StationIdentity } from '../../drivers/hj212/messages.js';
import { sm4KeyFromText } from '../../drivers/hj212/sm4.js';
import { layoutLabel, resolveLayout, SM4_PRESETS, type Sm4Layout } from '../../drivers/hj212/sm4Layout.js';
import { type PlatformHandle, startPlatform } from '../../scripts/platform/platformServer.js';
import type { PlatformEvent } from '../../scripts/platform/records.js';
import { waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { TinyStation } from '../helpers/tinyStation.js';
import { frameOf } from '../unit/hj212/vectors.js';

/**
 * The platform simulator set up for one SM4 layout (a platform family) over real TCP: it reads
 * stations' frames in its own layout and in any other, names the layout of each, answers in its
 * own; and it reads frames that deviate from the standard as real stations send them, reporting
 * each deviation once per station. The runnable simulator (its CLI) says the same on stdout.
 */

const MN = '010000A8900016F000169DC0';
const PW = '123456';
const KEY = 'HJ212-2025-key16';
const STATION: StationIdentity = { version: '2025', st: '32', pw: PW, mn: MN };
const PLATFORM_CLI = fileURLToPath(new URL('../../dist-tools/scripts/platform/main.js', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function platformFor(
  layout: Partial<Sm4Layout>,
  events: PlatformEvent[] = [],
): Promise<PlatformHandle> {
  const platform = await startPlatform({
    port: await freePort(),
    version: '2025',
    mn: MN,
    pw: PW,
    ack: true,
    sm4Key: KEY,
    layout,
    onEvent: (e) => events.push(e),
  });
  cleanups.push(() => platform.stop());
  return platform;
}

async function stationOn(platform: PlatformHandle, codec: CodecOptions = {}): Promise<TinyStation> {
  const station = await TinyStation.connect(platform.port, STATION, codec);
  cleanups.push(() => station.close());
  await platform.waitForStation({ after: platform.stations.length - 1 });
  return station;
}

describe('platform simulator set up for one SM4 layout', () => {
  for (const [preset, parts] of Object.entries(SM4_PRESETS)) {
    it(`${preset}: reads uploads in its layout and in another, answers in its own`, async () => {
      const layout = resolveLayout(parts);
      const platform = await platformFor(layout);
      const other = preset === 'standard' ? SM4_PRESETS['crc-as-sent'] : SM4_PRESETS.standard;
      for (const sent of [layout, other]) {
        const station = await stationOn(platform, { sm4: { key: sm4KeyFromText(KEY), ...sent } });
        const up = station.upload();
        const got = await platform.waitFor((f) => f.segment.qn === up.qn);
        expect(got).toMatchObject({ encrypted: true, variant: layoutLabel(sent), tolerated: [] });
        expect(got.segment.cp.factors.get('w01018')?.get('Rtd')).toBe('25.5');
        await station.waitFor((s) => s.cn === '9014' && s.qn === up.qn);
      }
      // What the platform sends goes in its own layout: a 1014 (encrypted) to the last station.
      platform.send({ kind: 'key-exchange', skCreateTime: '20240601120000', newSk: 'NEWKEY-012345678' });
      const sent = platform.sent.at(-1)!;
      expect(decodeFrame(sent.raw, { sm4: { key: sm4KeyFromText(KEY) } })).toMatchObject({
        ok: true,
        variant: layoutLabel(layout),
      });
      expect(platform.variants.get(layoutLabel(layout))).toBe(1);
      expect(platform.rejections).toEqual([]);
      expect(platform.faults).toEqual([]);
    });
  }
});

describe('platform simulator: liberal on receipt', () => {
  it('no QN, empty MN, a length in characters, a lowercase CRC, no final CRLF: recorded, answered, reported once', async () => {
    const events: PlatformEvent[] = [];
    const platform = await platformFor({}, events);
    const station = await stationOn(platform);
    const upload = (qn: string) =>
      formatDataSegment(
        dataUpload(STATION, {
          cn: '3020',
          qn,
          dataTime: '20240601120000',
          factors: { i11001: { Info: '设备正常' } },
          ack: true,
        }),
      );

    // No QN, twice: answered 9014 under a QN of the platform's own, counted twice, reported once.
    const noQn = upload('1').replace('QN=1;', '');
    station.sendRaw(frameOf(noQn));
    station.sendRaw(frameOf(noQn));
    await waitFor(() => station.received.filter((s) => s.cn === '9014').length === 2, 5000, 'two 9014');
    expect(station.received.every((s) => /^\d{17}$/.test(s.qn))).toBe(true);

    // An empty MN: the 9014 carries the MN the platform expects.
    station.sendRaw(frameOf(upload('20240601120000002').replace(`MN=${MN}`, 'MN=')));
    await station.waitFor((s) => s.cn === '9014' && s.qn === '20240601120000002');

    // A length in characters (Chinese text), a lowercase CRC, and the last frame without CRLF.
    const text = frameOf(upload('20240601120000003')).toString('utf8');
    const chars = `##${String(text.length - 12).padStart(4, '0')}${text.slice(6, -6)}${text.slice(-6, -2).toLowerCase()}`;
    station.sendRaw(chars);
    await new Promise((r) => setTimeout(r, 200));
    station.close();
    await waitFor(() => platform.frames.length === 4, 5000, 'the last frame, read when the station closed');

    expect(platform.frames.map((f) => f.tolerated)).toEqual([
      ['no-qn'],
      ['no-qn'],
      ['empty-mn'],
      expect.arrayContaining(['length-in-chars', 'no-crlf']),
    ]);
    expect(platform.variants.get('no-qn')).toBe(2);
    const reported = events.filter((e) => e.kind === 'variant').map((e) => e.kind === 'variant' && e.variant);
    expect(reported.filter((v) => v === 'no-qn')).toHaveLength(1);
    expect(platform.rejections).toEqual([]);
    expect(platform.faults).toEqual([]);
  });
});

describe('platform simulator CLI', () => {
  let proc: ChildProcess | undefined;
  afterEach(() => {
    if (proc?.pid !== undefined && proc.exitCode === null) proc.kill('SIGTERM');
  });

  it('--sm4-preset crc-as-sent: sends hex ciphertext with the CRC as sent; prints each layout and deviation it meets', async () => {
    const port = await freePort();
    proc = spawn(
      process.execPath,
      [
        PLATFORM_CLI,
        '--port',
        String(port),
        '--version',
        '2025',
        '--sm4-key',
        KEY,
        '--sm4-preset',
        'crc-as-sent',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    await waitFor(() => out.includes('platform listening on'), 10_000, 'the platform to listen');

    const station = await TinyStation.connect(port, STATION, {
      sm4: { key: sm4KeyFromText(KEY), ...SM4_PRESETS['crc-as-sent-raw'] },
    });
    cleanups.push(() => station.close());
    const up = station.upload();
    await station.waitFor((s) => s.cn === '9014' && s.qn === up.qn);
    station.sendRaw(frameOf(formatDataSegment(heartbeat(STATION, '1')).replace('QN=1;', '')));
    await waitFor(() => out.includes('no-qn'), 5000, 'the no-qn line');
    expect(out).toMatch(/~ \[1\] sm4-raw-crc-ciphertext: SM4 layout/);
    expect(out).toMatch(/~ \[1\] no-qn: no QN/);
    expect(out).toMatch(/< \[1\] \(sm4\) QN=\d{17};ST=32;CN=2011/);

    // A command typed at the console goes out in the platform's own layout (hex, CRC as sent).
    proc.stdin?.write('key NEWKEY-012345678\n');
    await waitFor(() => station.received.some((s) => s.cn === '1014'), 5000, 'the 1014 at the station');
    expect(out).toMatch(/> \[1\] QN=\d{17};ST=32;CN=1014/);
    expect(station.events.find((e) => e.segment.cn === '1014')).toMatchObject({
      encrypted: true,
      variant: 'sm4-hex-crc-ciphertext',
    });
  });
});
