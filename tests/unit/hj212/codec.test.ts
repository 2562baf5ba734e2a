import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../../drivers/hj212/codec.js';
import { bytes, CHINESE_FRAME, frameOf, REALTIME_FRAME, STANDARD_2017, STANDARD_2025 } from './vectors.js';

function decoded(frame: string) {
  const r = decodeFrame(bytes(frame));
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.segment;
}

describe('the standards’ check vectors', () => {
  it('2017: decodes and re-encodes byte-identical', () => {
    const seg = decoded(STANDARD_2017);
    expect(seg).toMatchObject({ qn: '20160801085857223', st: '32', cn: '1062', pw: '100000', flag: 5 });
    expect(seg.cp.fields.get('RtdInterval')).toBe('30');
    expect(encodeFrame(seg).toString('utf8')).toBe(STANDARD_2017);
  });

  it('2025: decodes and re-encodes byte-identical', () => {
    const seg = decoded(STANDARD_2025);
    expect(seg).toMatchObject({ cn: '1011', flag: 9 });
    expect(seg.cp.fields.size + seg.cp.factors.size).toBe(0);
    expect(encodeFrame(seg).toString('utf8')).toBe(STANDARD_2025);
  });
});

describe('our vectors', () => {
  it('Chinese text: the length counts UTF-8 bytes and the CRC covers them', () => {
    const seg = decoded(CHINESE_FRAME);
    expect(seg.cp.factors.get('i11001')?.get('Info')).toBe('设备正常');
    expect(encodeFrame(seg).toString('utf8')).toBe(CHINESE_FRAME);
  });

  it('accepts a length that counts characters, and says so', () => {
    const wrong = CHINESE_FRAME.replace('##0135', '##0127');
    expect(decodeFrame(bytes(wrong))).toMatchObject({ ok: true, tolerated: ['length-in-chars'] });
    const r = decodeFrame(bytes(CHINESE_FRAME.replace('##0135', '##0130')));
    expect(r).toMatchObject({
      ok: false,
      reason: 'bad-length',
      detail: 'length field says 130 bytes, data segment has 135 (127 characters)',
    });
  });

  it('accepts a lowercase CRC and emits it uppercase', () => {
    const lower = REALTIME_FRAME.replace('A3C1', 'a3c1');
    const seg = decoded(lower);
    expect(seg.cp.factors.get('w01018')).toEqual(
      new Map([
        ['Rtd', '25.5'],
        ['Flag', 'N'],
      ]),
    );
    expect(encodeFrame(seg).toString('utf8')).toBe(REALTIME_FRAME);
  });

  it('accepts a frame without its CRLF', () => {
    expect(decoded(REALTIME_FRAME.slice(0, -2)).cn).toBe('2011');
  });
});

describe('rejections say why, and never throw', () => {
  it('bad CRC, with the header kept so the sender can get QnRtn 9', () => {
    const r = decodeFrame(bytes(REALTIME_FRAME.replace('A3C1', 'A3C0')));
    expect(r).toMatchObject({
      ok: false,
      reason: 'bad-crc',
      header: { qn: '20240601120000001', cn: '2011', mn: '010000A8900016F000169DC0', flag: 5 },
    });
    expect(!r.ok && r.detail).toBe('CRC field A3C0, CRC of the data segment A3C1');
  });

  it('bad length', () => {
    const r = decodeFrame(bytes(REALTIME_FRAME.replace('##0140', '##0141')));
    expect(r).toMatchObject({
      ok: false,
      reason: 'bad-length',
      detail: 'length field says 141 bytes, data segment has 140',
    });
    expect(decodeFrame(bytes(REALTIME_FRAME.replace('##0140', '##01x0')))).toMatchObject({
      reason: 'bad-length',
    });
  });

  it('missing field, named', () => {
    const seg = 'QN=20240601120000001;ST=32;CN=2011;MN=010000A8900016F000169DC0;Flag=5;CP=&&&&';
    const r = decodeFrame(frameOf(seg));
    expect(r).toMatchObject({ ok: false, reason: 'missing-field', field: 'PW', detail: 'PW is missing' });
  });

  it('not a frame at all', () => {
    expect(decodeFrame(bytes('hello'))).toMatchObject({ ok: false, reason: 'bad-frame' });
    expect(decodeFrame(new Uint8Array())).toMatchObject({ ok: false, reason: 'bad-frame' });
  });

  it('invalid UTF-8', () => {
    const seg = Buffer.concat([
      bytes('QN=1;ST=32;CN=2011;PW=1;MN=1;Flag=4;CP=&&x='),
      Buffer.from([0xff, 0xfe]),
      bytes('&&'),
    ]);
    expect(decodeFrame(frameOf(seg))).toMatchObject({ ok: false, reason: 'bad-encoding' });
  });
});
