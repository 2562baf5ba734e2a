import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../../drivers/hj212/codec.js';
import { buildCommand, type PlatformCommand } from '../../../../drivers/hj212/commands.js';
import { cpFrom } from '../../../../drivers/hj212/cp.js';
import type { DataSegment } from '../../../../drivers/hj212/dataSegment.js';
import { readAnswer, type StationIdentity } from '../../../../drivers/hj212/messages.js';
import { sm4KeyFromText } from '../../../../drivers/hj212/sm4.js';
import { flush } from '../../../helpers/fakeClock.js';
import type { FakePlatform } from './fakePlatform.js';
import { MN, T0, UplinkHarness } from './uplinkHarness.js';

const S = 1000;
const harnesses: UplinkHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

const PLATFORM: StationIdentity = { version: '2025', st: '21', pw: '123456', mn: MN };
let qnCounter = 0;
const nextQn = () => `2024060108000${String(++qnCounter).padStart(4, '0')}`;

async function connected(config: Record<string, unknown> = {}, codec = {}) {
  const h = new UplinkHarness(config);
  harnesses.push(h);
  h.uplink.start();
  const p = await h.connect(codec);
  p.autoAck = true;
  return { h, p };
}

/** Sends a command; returns what the station answered with its QN: the CNs in order and the frames. */
async function ask(p: FakePlatform, cmd: PlatformCommand | DataSegment, id = PLATFORM) {
  const seg = 'kind' in cmd ? buildCommand(id, nextQn(), cmd) : cmd;
  const before = p.frames.length;
  p.send(seg);
  await flush();
  const mine = p.frames.slice(before).filter((f) => f.qn === seg.qn);
  const codes = mine.map((f) => {
    const a = readAnswer(f);
    if (a?.cn === '9011') return `9011:${a.qnRtn}`;
    if (a?.cn === '9012') return `9012:${a.exeRtn}`;
    return f.cn;
  });
  return { codes, frames: mine, all: p.frames.slice(before) };
}

describe('HJ 212 uplink: platform commands', () => {
  it('a wrong password, MN, CRC or an unknown CN gets its QnRtn, and the connection stays up', async () => {
    const { h, p } = await connected();
    expect((await ask(p, { kind: 'get-time' }, { ...PLATFORM, pw: '999999' })).codes).toEqual(['9011:3']);
    expect(
      (await ask(p, { kind: 'get-time' }, { ...PLATFORM, mn: 'FFFF00000000000000000000' })).codes,
    ).toEqual(['9011:4']);
    const unknown = { ...buildCommand(PLATFORM, nextQn(), { kind: 'get-time' }), cn: '1099' };
    expect((await ask(p, unknown)).codes).toEqual(['9011:8']);
    const bad = encodeFrame(buildCommand(PLATFORM, '20240601080000999', { kind: 'get-time' }));
    bad.write('0000', bad.length - 6, 'latin1'); // the CRC
    p.sendRaw(bad);
    await flush();
    expect(p.frames.at(-1)).toMatchObject({ qn: '20240601080000999', cn: '9011' });
    expect(readAnswer(p.frames.at(-1)!)).toMatchObject({ qnRtn: 9 });
    expect(h.sockets[0]!.destroyed).toBe(false);
  });

  it('a bad parameter is accepted as a request and fails its execution (ExeRtn 3)', async () => {
    const { p } = await connected();
    const seg = buildCommand(PLATFORM, nextQn(), { kind: 'set-rtd-interval', seconds: 60 });
    seg.cp = cpFrom({ fields: { RtdInterval: 5 } });
    expect((await ask(p, seg)).codes).toEqual(['9011:1', '9012:3']);
  });

  it('1011 gives the station time, 1012 is answered but not applied unless configured', async () => {
    const { h, p } = await connected();
    const get = await ask(p, { kind: 'get-time' });
    expect(get.codes).toEqual(['9011:1', '1011', '9012:1']);
    expect(get.frames[1]!.cp.fields.get('SystemTime')).toBe('20240601080000');
    expect((await ask(p, { kind: 'set-time', systemTime: '20240601090000' })).codes).toEqual([
      '9011:1',
      '9012:1',
    ]);
    expect(h.setTimes).toEqual([]);

    const applied = await connected({ applyTimeSet: true });
    await ask(applied.p, { kind: 'set-time', systemTime: '20240601090000' });
    expect(applied.h.setTimes).toEqual([T0 + 3600 * S]);
  });

  it('intervals and timeouts apply at once and survive a restart', async () => {
    const { h, p } = await connected();
    expect((await ask(p, { kind: 'set-rtd-interval', seconds: 60 })).codes).toEqual(['9011:1', '9012:1']);
    expect((await ask(p, { kind: 'set-min-interval', minutes: 10 })).codes).toEqual(['9011:1', '9012:1']);
    expect((await ask(p, { kind: 'set-timeouts', overTimeS: 5, reCount: 2 })).codes).toEqual([
      '9011:1',
      '9012:1',
    ]);
    const rtd = await ask(p, { kind: 'get-rtd-interval' });
    expect(rtd.frames[1]!.cp.fields.get('RtdInterval')).toBe('60');
    // The next real-time message covers 60 s.
    h.poll(T0 + 31 * S);
    await h.until(T0 + 63 * S);
    expect(p.uploads().map((u) => u.cp.dataTime)).toEqual(['20240601080100']);

    await h.stop();
    h.build();
    h.uplink.start();
    const p2 = await h.connect();
    p2.autoAck = true;
    expect((await ask(p2, { kind: 'get-rtd-interval' })).frames[1]!.cp.fields.get('RtdInterval')).toBe('60');
    expect((await ask(p2, { kind: 'get-min-interval' })).frames[1]!.cp.fields.get('MinInterval')).toBe('10');
    // OverTime 5 s, ReCount 2: an unanswered upload is sent 3 times 5 s apart.
    p2.autoAck = false;
    h.poll(T0 + 130 * S);
    await h.until(T0 + 183 * S);
    const up = p2.uploads().at(-1)!;
    await h.until(T0 + 183 * S + 14_999);
    expect(p2.uploads().filter((u) => u.qn === up.qn)).toHaveLength(3);
  });

  it('1072: the new password is used from the next frame on, and kept across a restart', async () => {
    const { h, p } = await connected();
    expect((await ask(p, { kind: 'set-password', newPw: 'abc123' })).codes).toEqual(['9011:1', '9012:1']);
    h.poll(T0 + 1 * S);
    await h.until(T0 + 33 * S);
    expect(p.uploads()[0]?.pw).toBe('abc123');
    expect((await ask(p, { kind: 'get-time' })).codes).toEqual(['9011:3']); // the old one is refused now
    await h.stop();
    h.build();
    h.uplink.start();
    const p2 = await h.connect();
    expect((await ask(p2, { kind: 'get-time' }, { ...PLATFORM, pw: 'abc123' })).codes[0]).toBe('9011:1');
  });

  it('history: 9011, the stored data with new QNs (each answered), 9012; ExeRtn 100 when there is none', async () => {
    const { h, p } = await connected();
    expect(
      (await ask(p, { kind: 'history', cn: '2051', beginTime: '20240601070000', endTime: '20240601075959' }))
        .codes,
    ).toEqual(['9011:1', '9012:100']);
    const minute = (channel: 'cod' | 'ph', start: number, avg: number) => ({
      device: 'nutrient',
      channel,
      code: channel === 'cod' ? 'w01018' : 'w01001',
      unit: channel === 'cod' ? 'mg/L' : null,
      period: 'minute' as const,
      start,
      end: start + 60 * S,
      min: avg,
      avg,
      max: avg,
      cou: null,
      count: 1,
      valid: 1,
      expected: 1,
      flag: 'N' as const,
      ok: true,
    });
    h.aggregates.upsert([
      minute('cod', T0 - 120 * S, 1),
      minute('ph', T0 - 120 * S, 7),
      minute('cod', T0 - 60 * S, 2),
    ]);
    await flush();
    const before = p.uploads('2051').length;
    const r = await ask(p, {
      kind: 'history',
      cn: '2051',
      beginTime: '20240601075800',
      endTime: '20240601075900',
    });
    expect(r.codes).toEqual(['9011:1', '9012:1']);
    const uploads = r.all.filter((f) => f.cn === '2051');
    expect(uploads.map((u) => [u.cp.dataTime, [...u.cp.factors.keys()].join()])).toEqual([
      ['20240601075800', 'w01018,w01001'],
      ['20240601075900', 'w01018'],
    ]);
    expect(p.uploads('2051').length - before).toBe(2);
    expect(uploads.every((u) => u.rf === undefined)).toBe(true);
  });

  it('a history request needing more than historyMaxRecords messages is refused (ExeRtn 3)', async () => {
    const { h, p } = await connected({ historyMaxRecords: 2, rtdInterval: '10s' });
    for (let t = 1; t < 60; t += 5) h.poll(T0 + t * S);
    await flush();
    const r = await ask(p, {
      kind: 'history',
      cn: '2011',
      beginTime: '20240601080000',
      endTime: '20240601080100',
    });
    expect(r.codes).toEqual(['9011:1', '9012:3']);
  });

  it('answers a platform heartbeat (9015) with 9013', async () => {
    const { p } = await connected();
    const hb = { ...buildCommand(PLATFORM, nextQn(), { kind: 'get-time' }), cn: '9015', cp: cpFrom({}) };
    expect((await ask(p, hb)).codes).toEqual(['9013']);
  });

  it('1014 (2025): the new SM4 key is used from the frame after the 9012, and persisted', async () => {
    const key = '0123456789abcdef';
    const codec = UplinkHarness.sm4(key);
    const { h, p } = await connected(
      { encryption: { type: 'sm4', key, rotate: '0s' }, heartbeat: '0s' },
      codec,
    );
    const newKey = 'ZYXWVUTSRQPONMLK';
    const r = await ask(p, { kind: 'key-exchange', skCreateTime: '20240601080000', newSk: newKey });
    expect(r.codes).toEqual(['9011:1', '9012:1']);
    // The platform switches when it reads the 9012.
    codec.sm4 = { key: sm4KeyFromText(newKey), encoding: 'raw' };
    h.poll(T0 + 1 * S);
    await h.until(T0 + 33 * S);
    expect(p.uploads()[0]?.cp.factors.get('w01018')?.get('Rtd')).toBe('22.5');
    expect(h.settings.get('up', 'sm4Key')?.value).toBe(newKey);
  });

  it('2025 heartbeat: a 9015 every interval; unanswered, the connection is dropped', async () => {
    const { h, p } = await connected({ heartbeat: '60s', timeout: '1s', retries: 0 });
    await h.until(T0 + 60 * S);
    expect(p.frames.filter((f) => f.cn === '9015')).toHaveLength(1); // answered by autoAck
    p.autoAck = false;
    await h.until(T0 + 121 * S);
    expect(p.frames.filter((f) => f.cn === '9015')).toHaveLength(2);
    expect(h.sockets[0]!.destroyed).toBe(true);
  });

  it('2025 key rotation: a key older than `rotate` makes the station ask for a new one (1014)', async () => {
    const key = '0123456789abcdef';
    const { p } = await connected({ encryption: { type: 'sm4', key, rotate: '0s' } }, UplinkHarness.sm4(key));
    expect(p.frames.filter((f) => f.cn === '1014')).toHaveLength(0);
    const old = await connected(
      { id: 'old', encryption: { type: 'sm4', key, rotate: '1s' } },
      UplinkHarness.sm4(key),
    );
    // The age of a configured key counts from its first use; the next check is at connection.
    await old.h.until(T0 + 2 * S);
    old.h.sockets[0]!.destroy();
    await old.h.until(T0 + 3 * S);
    const p2 = await old.h.connect(UplinkHarness.sm4(key));
    const req = p2.frames.find((f) => f.cn === '1014');
    expect(req?.cp.fields.get('SKCreateTime')).toBe('20240601080000');
  });
});
