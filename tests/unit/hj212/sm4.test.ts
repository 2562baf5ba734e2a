import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../../drivers/hj212/codec.js';
import { cpFrom } from '../../../drivers/hj212/cp.js';
import { formatCrc, hj212Crc, modbusCrc16 } from '../../../drivers/hj212/crc.js';
import { type DataSegment, formatDataSegment } from '../../../drivers/hj212/dataSegment.js';
import { sm4Encrypt, sm4KeyFromText } from '../../../drivers/hj212/sm4.js';
import type { Sm4Setting } from '../../../drivers/hj212/sm4Layout.js';
import { SM4_PRESETS } from '../../../drivers/hj212/sm4Layout.js';
import {
  A2_EX2_CIPHER_HEX,
  A2_EX2_PLAIN,
  A2_EX2_PRINTED,
  A2_EX4_CIPHER_HEX,
  A2_EX4_PLAIN,
  A2_EX4_PRINTED,
  A2_KEY,
} from './sm4Vectors.js';
import { MN, STANDARD_2025 } from './vectors.js';

const KEY = sm4KeyFromText('HJ212-2025-key16');
const RAW: Sm4Setting = { key: KEY };
const HEX: Sm4Setting = { key: KEY, encoding: 'hex' };
const A2: Sm4Setting = { key: sm4KeyFromText(A2_KEY) };

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

function segmentOf(frame: string): DataSegment {
  const r = decodeFrame(Buffer.from(frame));
  if (!r.ok) throw new Error(r.detail);
  return r.segment;
}

const contentOf = (text: string) => text.slice(text.indexOf('CP=&&') + 5, text.lastIndexOf('&&'));

describe('SM4 (ECB, no padding)', () => {
  it('is the SM4 of GB/T 32907 (its example vector)', () => {
    const key = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    const c = createCipheriv('sm4-ecb', key, null);
    c.setAutoPadding(false);
    expect(Buffer.concat([c.update(key), c.final()]).toString('hex')).toBe(
      '681edf34d206965e86b3e94f536e4246',
    );
    expect(sm4Encrypt(key, key).toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
  });

  it('gives the ciphertext HJ 212-2025 appendix A.2 prints, and our CRC the CRCs it prints', () => {
    const ex2 = Buffer.from(contentOf(A2_EX2_PLAIN));
    expect(ex2.length).toBe(208);
    expect(sm4Encrypt(A2.key, ex2).toString('hex').toUpperCase()).toBe(A2_EX2_CIPHER_HEX);
    const ex4 = Buffer.from(contentOf(A2_EX4_PLAIN));
    expect(ex4.length).toBe(147);
    expect(sm4Encrypt(A2.key, ex4.subarray(0, 144)).toString('hex').toUpperCase()).toBe(A2_EX4_CIPHER_HEX);
    expect(encodeFrame(segmentOf(A2_EX2_PLAIN)).toString()).toBe(A2_EX2_PLAIN);
    expect(encodeFrame(segmentOf(A2_EX4_PLAIN)).toString()).toBe(A2_EX4_PLAIN);
  });
});

describe('the standard layout (default): the appendix A.2 example read as bytes', () => {
  it('ciphertext bytes in place of the plaintext: the length (0295) and the CRC (2200) are the plaintext’s', () => {
    const frame = encodeFrame(segmentOf(A2_EX2_PLAIN), { sm4: A2 });
    const text = frame.toString('latin1');
    expect(text.slice(0, 6)).toBe('##0295');
    expect(text.slice(-6)).toBe('2200\r\n');
    expect(Buffer.from(contentOf(text), 'latin1').toString('hex').toUpperCase()).toBe(A2_EX2_CIPHER_HEX);
    const ex4 = encodeFrame(segmentOf(A2_EX4_PLAIN), { sm4: A2 }).toString('latin1');
    expect(ex4.slice(0, 6)).toBe('##0234');
    expect(Buffer.from(contentOf(ex4), 'latin1').toString('hex').toUpperCase()).toBe(
      A2_EX4_CIPHER_HEX + Buffer.from('g=N').toString('hex').toUpperCase(),
    );
    expect(decodeFrame(frame, { sm4: A2 })).toEqual({
      ok: true,
      segment: segmentOf(A2_EX2_PLAIN),
      encrypted: true,
      variant: 'sm4-raw-crc-plaintext',
      tolerated: [],
    });
  });

  it('raw: encrypts whole blocks of the CP content, keeps the tail, the length and the plaintext CRC', () => {
    expect(Buffer.byteLength(CONTENT)).toBe(68);
    const frame = encodeFrame(SEG, { sm4: RAW });
    const plainFrame = encodeFrame(SEG);
    expect(frame.length).toBe(plainFrame.length);
    expect(frame.subarray(0, 6).toString()).toBe(plainFrame.subarray(0, 6).toString());
    expect(frame.subarray(-6).toString()).toBe(`${formatCrc(hj212Crc(Buffer.from(PLAIN)))}\r\n`);
    const start = frame.indexOf('CP=&&') + 5;
    expect(frame.subarray(start, start + 64).toString('latin1')).not.toBe(CONTENT.slice(0, 64));
    expect(frame.subarray(start + 64, start + 68).toString()).toBe(CONTENT.slice(64)); // tail < 16 stays plain
  });
});

describe('the printed-example layout: appendix A.2 as printed', () => {
  it('writes the standard’s example byte for byte, the length counting what is sent (1128, 0811)', () => {
    const printed = { sm4: { ...A2, ...SM4_PRESETS['printed-example'] } };
    expect(encodeFrame(segmentOf(A2_EX2_PLAIN), printed).toString()).toBe(
      A2_EX2_PRINTED.replace('##0295', '##1128'),
    );
    expect(encodeFrame(segmentOf(A2_EX4_PLAIN), printed).toString()).toBe(
      A2_EX4_PRINTED.replace('##0234', '##0811'),
    );
  });

  it('reads the frames exactly as printed, with the plaintext’s length field', () => {
    for (const [printed, plain] of [
      [A2_EX2_PRINTED, A2_EX2_PLAIN],
      [A2_EX4_PRINTED, A2_EX4_PLAIN],
    ] as const) {
      // A receiver set up for the standard layout: the braces are recognised all the same.
      expect(decodeFrame(Buffer.from(printed), { sm4: A2 })).toEqual({
        ok: true,
        segment: segmentOf(plain),
        encrypted: true,
        variant: 'sm4-braces-crc-plaintext',
        tolerated: ['length-of-plaintext'],
      });
    }
  });
});

describe('the encrypted-data-field layout: zhulinghuanyu/HJ212_Simulator', () => {
  /**
   * That simulator's frame, rebuilt from its source (src/core/simulator.py `_apply_encrypt`,
   * src/core/packet.py `encode`): the whole CP text zero-padded, SM4-ECB with a key of 32 hex
   * digits, uppercase hex as the one field `EncryptedData`; the length in characters; the CRC over
   * the data segment as sent, computed with CRC-16/MODBUS (its src/core/crc.py).
   */
  function theirFrame(seg: DataSegment, keyHex: string): string {
    const plain = formatDataSegment(seg);
    const cpText = contentOf(plain);
    const bytes = Buffer.from(cpText);
    const padded = Buffer.concat([bytes, Buffer.alloc((16 - (bytes.length % 16)) % 16, 0)]);
    const cipher = sm4Encrypt(Buffer.from(keyHex, 'hex'), padded).toString('hex').toUpperCase();
    const data = plain.replace(`CP=&&${cpText}&&`, `CP=&&EncryptedData=${cipher}&&`);
    const crc = modbusCrc16(Buffer.from(data)).toString(16).toUpperCase().padStart(4, '0');
    return `##${String(data.length).padStart(4, '0')}${data}${crc}\r\n`;
  }

  it('our frames are theirs but for the CRC routine; theirs are read, the Modbus CRC named', () => {
    const keyHex = '0123456789ABCDEFFEDCBA9876543210';
    const seg = segmentOf(A2_EX4_PLAIN);
    const theirs = theirFrame(seg, keyHex);
    const sm4 = { key: sm4KeyFromText(keyHex), ...SM4_PRESETS['encrypted-data-field'] };
    const ours = encodeFrame(seg, { sm4 }).toString('latin1');
    expect(ours.slice(0, -6)).toBe(theirs.slice(0, -6));
    expect(ours.slice(-6, -2)).toBe(formatCrc(hj212Crc(Buffer.from(ours.slice(6, -6), 'latin1'))));
    expect(decodeFrame(Buffer.from(theirs), { sm4: { key: sm4KeyFromText(keyHex) } })).toEqual({
      ok: true,
      segment: seg,
      encrypted: true,
      variant: 'sm4-hex-in-EncryptedData-crc-ciphertext-zero',
      tolerated: ['crc-modbus'],
    });
  });
});

describe('other layouts', () => {
  it('hex: 32 hex digits per block, the length counts what is sent, the CRC stays the plaintext’s', () => {
    const frame = encodeFrame(SEG, { sm4: HEX });
    const text = frame.toString('latin1');
    expect(Number(text.slice(2, 6))).toBe(Buffer.byteLength(PLAIN) + 64);
    expect(text).toMatch(/CP=&&[0-9A-F]{128}=0\.5&&/);
    expect(text.slice(-6, -2)).toBe(formatCrc(hj212Crc(Buffer.from(PLAIN))));
    expect(decodeFrame(frame, { sm4: HEX })).toMatchObject({
      ok: true,
      segment: SEG,
      variant: 'sm4-hex-crc-plaintext',
    });
    const lower = text.replace(/CP=&&[0-9A-F]{128}/, (m) => m.toLowerCase().replace('cp=', 'CP='));
    expect(decodeFrame(Buffer.from(lower, 'latin1'), { sm4: HEX })).toMatchObject({ ok: true, segment: SEG });
  });

  it('crc ciphertext: the CRC field is the CRC of the data segment as sent', () => {
    for (const encoding of ['raw', 'hex'] as const) {
      const frame = encodeFrame(SEG, { sm4: { key: KEY, encoding, crc: 'ciphertext' } });
      const segment = frame.subarray(6, -6);
      expect(frame.subarray(-6, -2).toString()).toBe(formatCrc(hj212Crc(segment)));
      expect(decodeFrame(frame, { sm4: RAW })).toMatchObject({
        ok: true,
        segment: SEG,
        variant: `sm4-${encoding}-crc-ciphertext`,
      });
    }
  });

  it('pkcs7: the whole CP content is padded and encrypted, no plain tail', () => {
    const frame = encodeFrame(SEG, { sm4: { key: KEY, encoding: 'hex', padding: 'pkcs7' } });
    expect(frame.toString('latin1')).toMatch(/CP=&&[0-9A-F]{160}&&/); // 68 bytes → 80 → 160 digits
    expect(decodeFrame(frame, { sm4: RAW })).toMatchObject({
      ok: true,
      variant: 'sm4-hex-crc-plaintext-pkcs7',
    });
  });
});

describe('what is encrypted', () => {
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
    const r = decodeFrame(frame, { sm4: { key: sm4KeyFromText('another-key-1234') } });
    expect(r).toMatchObject({ ok: false, reason: 'bad-crc', header: { cn: '2011', qn: SEG.qn } });
    expect(!r.ok && r.detail).toMatch(/SM4 key/);
  });

  it('keys are 16 bytes, or 32 hex digits', () => {
    expect(() => sm4KeyFromText('short')).toThrow(/16 bytes/);
    expect(sm4KeyFromText('30303030303030303030303030303030')).toEqual(Buffer.from(A2_KEY));
  });
});
