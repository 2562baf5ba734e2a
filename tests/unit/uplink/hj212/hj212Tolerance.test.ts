import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../../drivers/hj212/codec.js';
import { buildCommand } from '../../../../drivers/hj212/commands.js';
import { formatDataSegment } from '../../../../drivers/hj212/dataSegment.js';
import { dataAnswer, readAnswer, type StationIdentity } from '../../../../drivers/hj212/messages.js';
import { sm4KeyFromText } from '../../../../drivers/hj212/sm4.js';
import { SM4_PRESETS } from '../../../../drivers/hj212/sm4Layout.js';
import { flush } from '../../../helpers/fakeClock.js';
import { frameOf } from '../../hj212/vectors.js';
import type { FakePlatform } from './fakePlatform.js';
import { MN, T0, UplinkHarness } from './uplinkHarness.js';

/**
 * A platform that does not write frames as the standard does: the uplink answers all the same,
 * counts each deviation per frame, and logs it once (not once per frame).
 */

const KEY = 'HJ212-2025-key16';
const PLATFORM: StationIdentity = { version: '2025', st: '21', pw: '123456', mn: MN };

const harnesses: UplinkHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

async function observed(config: Record<string, unknown> = {}, codec = {}) {
  const logs: Record<string, unknown>[] = [];
  const counted: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const h = new UplinkHarness(config, undefined, {
    log,
    metrics: { hj212FrameVariant: (p) => counted.push(`${p.uplink}:${p.variant}`) },
  });
  harnesses.push(h);
  h.uplink.start();
  const p = await h.connect(codec);
  p.autoAck = true;
  const warned = (variant: string) => logs.filter((l) => l.variant === variant);
  return { h, p, counted, warned };
}

/** The station's answers to a command, by CN/code, and the QN they carry. */
async function answersTo(p: FakePlatform, frame: Buffer) {
  const before = p.frames.length;
  p.sendRaw(frame);
  await flush();
  return p.frames.slice(before).map((f) => {
    const a = readAnswer(f);
    const code = a?.cn === '9011' ? `9011:${a.qnRtn}` : a?.cn === '9012' ? `9012:${a.exeRtn}` : f.cn;
    return { code, qn: f.qn, mn: f.mn };
  });
}

/** A 1061 (get real-time interval) as text, to be edited into what a careless platform sends. */
const GET_RTD = formatDataSegment(buildCommand(PLATFORM, '20240601080000001', { kind: 'get-rtd-interval' }));

describe('HJ 212 uplink: liberal on receipt', () => {
  it('a command without a QN is answered under a QN of the station’s own; counted per frame, logged once', async () => {
    const { p, counted, warned } = await observed();
    const noQn = frameOf(GET_RTD.replace('QN=20240601080000001;', ''));
    for (let i = 0; i < 2; i++) {
      const answers = await answersTo(p, noQn);
      expect(answers.map((a) => a.code)).toEqual(['9011:1', '1061', '9012:1']);
      // One generated QN, the same on the 9011, the answer and the 9012.
      expect(new Set(answers.map((a) => a.qn)).size).toBe(1);
      expect(answers[0]!.qn).toMatch(/^\d{17}$/);
    }
    expect(counted).toEqual(['up:no-qn', 'up:no-qn']);
    expect(warned('no-qn')).toHaveLength(1);
  });

  it('a 9014 without a QN answers the one upload waiting for it', async () => {
    const { h, p, counted } = await observed({ timeout: '5s' });
    p.autoAck = false;
    h.poll(T0 + 1000);
    await h.until(T0 + 33_000); // the 30 s interval is over, 3 s settle: one 2011 goes out
    const [upload] = p.uploads();
    expect(upload).toBeDefined();
    expect(h.cursor('realtime')).toBe(0);
    p.sendRaw(frameOf(formatDataSegment(dataAnswer(upload!, '2025')).replace(`QN=${upload!.qn};`, '')));
    await flush();
    expect(counted).toEqual(['up:no-qn']);
    // Delivered: the cursor moved past the readings, and no re-send follows the timeout.
    expect(h.cursor('realtime')).toBe(2);
    await h.until(T0 + 45_000);
    expect(p.uploads().filter((f) => f.qn === upload!.qn)).toHaveLength(1);
  });

  it('an empty MN is answered (echoed empty), a lowercase MN is ours; another MN is still refused', async () => {
    const { p, counted } = await observed();
    const empty = await answersTo(p, frameOf(GET_RTD.replace(`MN=${MN}`, 'MN=')));
    expect(empty.map((a) => [a.code, a.mn])).toEqual([
      ['9011:1', ''],
      ['1061', MN],
      ['9012:1', ''],
    ]);
    const lower = await answersTo(p, frameOf(GET_RTD.replace(`MN=${MN}`, `MN=${MN.toLowerCase()}`)));
    expect(lower.map((a) => a.code)).toEqual(['9011:1', '1061', '9012:1']);
    const blanks = await answersTo(p, frameOf(GET_RTD.replace(`MN=${MN}`, 'MN=0100 00A8')));
    // Another station's MN, and one that cannot be echoed: refused, answered with ours.
    expect(blanks.map((a) => [a.code, a.mn])).toEqual([['9011:4', MN]]);
    expect(counted).toEqual(['up:empty-mn', 'up:odd-mn', 'up:odd-mn']);
  });

  it('a lowercase CRC and no CRLF before the next frame: both frames answered', async () => {
    const { p, counted } = await observed();
    const text = frameOf(GET_RTD).toString('latin1');
    const sloppy = `${text.slice(0, -6)}${text.slice(-6, -2).toLowerCase()}`;
    const answers = await answersTo(
      p,
      Buffer.from(
        sloppy +
          encodeFrame(buildCommand(PLATFORM, '20240601080000002', { kind: 'get-time' })).toString('latin1'),
        'latin1',
      ),
    );
    expect(answers.map((a) => a.code)).toEqual(['9011:1', '1061', '9012:1', '9011:1', '1011', '9012:1']);
    expect(counted).toContain('up:no-crlf');
  });

  it('a key exchange in another SM4 layout (hex, CRC as sent) is read and executed; the layout is counted', async () => {
    const codec = { sm4: { key: sm4KeyFromText(KEY), ...SM4_PRESETS['crc-as-sent'] } };
    const { h, p, counted, warned } = await observed(
      { encryption: { type: 'sm4', key: KEY, rotate: '0s' } },
      codec,
    );
    const cmd = buildCommand(PLATFORM, '20240601080000003', {
      kind: 'key-exchange',
      skCreateTime: '20240601080000',
      newSk: 'NEWKEY-012345678',
    });
    const frame = encodeFrame(cmd, codec);
    expect(frame.toString('latin1')).toMatch(/CP=&&[0-9A-F]{64}/);
    expect((await answersTo(p, frame)).map((a) => a.code)).toEqual(['9011:1', '9012:1']);
    expect(h.settings.get('up', 'sm4Key')?.value).toBe('NEWKEY-012345678');
    expect(counted).toEqual(['up:sm4-hex-crc-ciphertext']);
    expect(warned('sm4-hex-crc-ciphertext')).toMatchObject([{ level: 30 }]);
  });
});
