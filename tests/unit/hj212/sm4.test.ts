import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../../agent/hj212/codec.js';
import { cpFrom } from '../../../agent/hj212/cp.js';
import { formatCrc, hj212Crc } from '../../../agent/hj212/crc.js';
import { type DataSegment, formatDataSegment } from '../../../agent/hj212/dataSegment.js';
import { decryptCp, encryptCp, type Sm4Setting, sm4KeyFromText } from '../../../agent/hj212/sm4.js';
import { MN, STANDARD_2025 } from './vectors.js';

const KEY = sm4KeyFromText('HJ212-2025-key16');
const RAW: Sm4Setting = { key: KEY, ciphertext: 'raw' };
const HEX: Sm4Setting = { key: KEY, ciphertext: 'hex' };

/** 2011 upload whose CP content is 68 bytes: 4 blocks encrypted, a 4-byte tail left plain. */
const SEG: DataSegment = {
  qn: '20240601120000001',
  st: '32',
  cn: '2011',
  pw: '123456',
  mn: MN,
  flag: 9,
  cp: cpFrom({
    dataTime: '20240601120000',
    factors: { w01018: { Rtd: '25.5', Flag: 'N' }, w21003: { Rtd: '0.5' } },
  }),
};
const PLAIN = formatDataSegment(SEG);
const CONTENT = PLAIN.slice(PLAIN.indexOf('CP=&&') + 5, -2);

describe('SM4 (ECB, no padding)', () => {
  it('is the SM4 of GB/T 32907 (its example vector)', () => {
    const key = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    const c = createCipheriv('sm4-ecb', key, null);
    c.setAutoPadding(false);
    expect(Buffer.concat([c.update(key), c.final()]).toString('hex')).toBe(
      '681edf34d206965e86b3e94f536e4246',
    );
  });

  it('raw: encrypts whole blocks of the CP content, keeps the tail, the length and the plaintext CRC', () => {
    expect(Buffer.byteLength(CONTENT)).toBe(68);
    const frame = encodeFrame(SEG, { sm4: RAW });
    const plainFrame = encodeFrame(SEG);
    expect(frame.length).toBe(plainFrame.length);
    expect(frame.subarray(0, 6).toString()).toBe(plainFrame.subarray(0, 6).toString()); // LLLL unchanged
    expect(frame.subarray(-6).toString()).toBe(`${formatCrc(hj212Crc(Buffer.from(PLAIN)))}\r\n`); // CRC of the plaintext
    const start = frame.indexOf('CP=&&') + 5;
    expect(frame.subarray(start, start + 64).toString('latin1')).not.toBe(CONTENT.slice(0, 64));
    expect(frame.subarray(start + 64, start + 68).toString()).toBe(CONTENT.slice(64)); // tail < 16 stays plain
    expect(frame.subarray(start + 68).toString()).toBe(`&&${plainFrame.subarray(-6).toString()}`);
    expect(decodeFrame(frame, { sm4: RAW })).toEqual({ ok: true, segment: SEG, encrypted: true });
  });

  it('hex: 32 hex digits per block, the length counts what is sent, the CRC stays the plaintext’s', () => {
    const frame = encodeFrame(SEG, { sm4: HEX });
    const text = frame.toString('latin1');
    expect(Number(text.slice(2, 6))).toBe(Buffer.byteLength(PLAIN) + 64);
    expect(text).toMatch(/CP=&&[0-9A-F]{128}=0\.5&&/);
    expect(text.slice(-6, -2)).toBe(formatCrc(hj212Crc(Buffer.from(PLAIN))));
    expect(decodeFrame(frame, { sm4: HEX })).toEqual({ ok: true, segment: SEG, encrypted: true });
    // Lowercase hex is accepted.
    const lower = text.replace(/CP=&&[0-9A-F]{128}/, (m) => m.toLowerCase().replace('cp=', 'CP='));
    expect(decodeFrame(Buffer.from(lower, 'latin1'), { sm4: HEX })).toMatchObject({ ok: true });
  });

  it('a CP shorter than 16 bytes travels plain', () => {
    const short = { ...SEG, cp: cpFrom({ fields: { Foo: 'bar' } }) };
    expect(encodeFrame(short, { sm4: RAW }).equals(encodeFrame(short))).toBe(true);
  });

  it('applies to uploads, 1014 and 3020 only', () => {
    const v2025 = Buffer.from(STANDARD_2025);
    const seg = decodeFrame(v2025);
    expect(seg.ok && encodeFrame(seg.segment, { sm4: RAW }).equals(v2025)).toBe(true);
    const answer = { ...SEG, cn: '9014' };
    expect(encodeFrame(answer, { sm4: RAW }).equals(encodeFrame(answer))).toBe(true);
    const key = { ...SEG, cn: '1014' };
    expect(encodeFrame(key, { sm4: RAW }).equals(encodeFrame(key))).toBe(false);
    // The set of CNs is a setting.
    expect(encodeFrame(SEG, { sm4: RAW, encrypts: () => false }).equals(encodeFrame(SEG))).toBe(true);
  });

  it('a wrong key is a CRC failure that says so', () => {
    const frame = encodeFrame(SEG, { sm4: RAW });
    const r = decodeFrame(frame, { sm4: { key: sm4KeyFromText('another-key-1234'), ciphertext: 'raw' } });
    expect(r).toMatchObject({ ok: false, reason: 'bad-crc', header: { cn: '2011', qn: SEG.qn } });
    expect(!r.ok && r.detail).toMatch(/SM4 key/);
  });

  it('refuses hex ciphertext that is not hex or of an impossible length', () => {
    const seg = Buffer.from(`QN=1;ST=32;CN=2011;PW=1;MN=1;Flag=8;CP=&&${'Z'.repeat(32)}&&`);
    expect(decryptCp(seg, HEX)).toMatchObject({ ok: false, reason: 'bad-ciphertext' });
    const odd = Buffer.from(`QN=1;ST=32;CN=2011;PW=1;MN=1;Flag=8;CP=&&${'A'.repeat(50)}&&`);
    expect(decryptCp(odd, HEX)).toMatchObject({ ok: false, reason: 'bad-ciphertext' });
  });

  it('encryptCp/decryptCp round-trip any content length', () => {
    for (let n = 0; n < 50; n++) {
      const seg = Buffer.from(`QN=1;ST=32;CN=2011;PW=1;MN=1;Flag=8;CP=&&${'汉'.repeat(n)}&&`);
      for (const s of [RAW, HEX]) expect(decryptCp(encryptCp(seg, s), s)).toEqual({ ok: true, value: seg });
    }
  });

  it('keys are 16 bytes', () => {
    expect(() => sm4KeyFromText('short')).toThrow(/16 bytes/);
  });
});
