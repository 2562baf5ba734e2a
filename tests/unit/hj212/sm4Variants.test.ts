import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, encodeMessage } from '../../../drivers/hj212/codec.js';
import { cpFrom } from '../../../drivers/hj212/cp.js';
import type { DataSegment } from '../../../drivers/hj212/dataSegment.js';
import { sm4KeyFromText } from '../../../drivers/hj212/sm4.js';
import {
  encodeContent,
  encodedContentLength,
  layoutLabel,
  resolveLayout,
  SM4_CRCS,
  SM4_ENCODINGS,
  SM4_PADDINGS,
  SM4_PRESETS,
  SM4_TAILS,
  type Sm4Layout,
} from '../../../drivers/hj212/sm4Layout.js';
import { Hj212StreamDecoder } from '../../../drivers/hj212/streamDecoder.js';
import { A2_EX4_PLAIN, A2_KEY } from './sm4Vectors.js';
import { MN } from './vectors.js';

const KEY = sm4KeyFromText(A2_KEY);

/** Every layout that writes distinct bytes (resolveLayout folds the meaningless combinations). */
const LAYOUTS: Sm4Layout[] = [
  ...new Map(
    SM4_ENCODINGS.flatMap((encoding) =>
      SM4_CRCS.flatMap((crc) =>
        SM4_PADDINGS.flatMap((padding) =>
          SM4_TAILS.flatMap((tail) =>
            ['', 'EncryptedData'].map((field) => resolveLayout({ encoding, crc, padding, tail, field })),
          ),
        ),
      ),
    ).map((l) => [layoutLabel(l), l]),
  ).values(),
];

function segmentOf(frame: string): DataSegment {
  const r = decodeFrame(Buffer.from(frame));
  if (!r.ok) throw new Error(r.detail);
  return r.segment;
}

/** Appendix A.2's example 3/4 upload: 147 bytes of CP, 9 blocks and a 3-byte plain tail. */
const A2_SEGMENT = segmentOf(A2_EX4_PLAIN);

/** Chinese text in the CP: lengths and CRCs must count UTF-8 bytes in every layout. */
const CHINESE: DataSegment = {
  qn: '20240601120000001',
  st: '32',
  cn: '3020',
  pw: '123456',
  mn: MN,
  flag: 9,
  cp: cpFrom({ dataTime: '20240601120000', factors: { i11001: { Info: '设备正常运行，无报警' } } }),
};

describe('SM4 layouts', () => {
  it('there are 54 distinct ones, and every preset is one of them', () => {
    expect(LAYOUTS).toHaveLength(54);
    const labels = LAYOUTS.map(layoutLabel);
    for (const preset of Object.values(SM4_PRESETS)) expect(labels).toContain(layoutLabel(preset));
  });

  it('the same SM4 2025 frame, sent in every layout, is read back by a receiver set up for another one', () => {
    for (const layout of LAYOUTS) {
      const frame = encodeFrame(A2_SEGMENT, { sm4: { key: KEY, ...layout } });
      for (const receiver of [
        SM4_PRESETS.standard,
        SM4_PRESETS['crc-as-sent'],
        SM4_PRESETS['printed-example'],
      ]) {
        expect(decodeFrame(frame, { sm4: { key: KEY, ...receiver } }), layoutLabel(layout)).toEqual({
          ok: true,
          segment: A2_SEGMENT,
          encrypted: true,
          variant: layoutLabel(layout),
          tolerated: [],
        });
      }
    }
  });

  it('every layout round-trips, Chinese text included, through the stream decoder fed byte by byte', () => {
    for (const layout of LAYOUTS) {
      const sm4 = { key: KEY, ...layout };
      const stream = Buffer.concat([encodeFrame(CHINESE, { sm4 }), encodeFrame(A2_SEGMENT, { sm4 })]);
      const decoder = new Hj212StreamDecoder({ sm4: { key: KEY } });
      const events = [...stream].flatMap((b) => decoder.push(Buffer.of(b)));
      events.push(...decoder.end());
      expect(
        events.map((e) => (e.kind === 'frame' ? [e.segment, e.variant, e.tolerated] : e.rejection.detail)),
        layoutLabel(layout),
      ).toEqual([
        [CHINESE, layoutLabel(layout), []],
        [A2_SEGMENT, layoutLabel(layout), []],
      ]);
    }
  });

  it('the length field counts the bytes sent, as splitting measures them', () => {
    for (const layout of LAYOUTS) {
      for (let n = 0; n <= 50; n++) {
        const plain = Buffer.from('汉a'.repeat(n)).subarray(0, n * 2);
        expect(encodeContent(plain, KEY, layout).length, `${layoutLabel(layout)} ${n}`).toBe(
          encodedContentLength(plain.length, layout),
        );
      }
      const frame = encodeFrame(CHINESE, { sm4: { key: KEY, ...layout } });
      expect(Number(frame.subarray(2, 6).toString())).toBe(frame.length - 12);
    }
  });

  it('a message split for the limits is split as sent: every part decodes, every part ≤ 1024 bytes', () => {
    const factors = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`w${String(i).padStart(5, '0')}`, { Rtd: '12.345', Flag: 'N' }]),
    );
    const big = { ...A2_SEGMENT, cp: cpFrom({ dataTime: '20240520210600', factors }) };
    let qn = 1;
    for (const layout of LAYOUTS) {
      const sm4 = { key: KEY, ...layout };
      const frames = encodeMessage(big, { sm4, nextQn: () => String(20240520210700000 + qn++) });
      expect(frames.length).toBeGreaterThan(1);
      for (const f of frames) {
        expect(f.length - 12).toBeLessThanOrEqual(1024);
        // Read by a receiver set up for the layout: when the two CRCs coincide (1 in 256) it names it.
        expect(decodeFrame(f, { sm4 }), layoutLabel(layout)).toMatchObject({
          ok: true,
          variant: layoutLabel(layout),
        });
      }
    }
  });

  it('a CP shorter than one block: plain, except where the layout still writes it differently', () => {
    const short = { ...A2_SEGMENT, cp: cpFrom({ fields: { Foo: 'bar' } }) };
    const plain = encodeFrame(short);
    for (const layout of LAYOUTS) {
      const frame = encodeFrame(short, { sm4: { key: KEY, ...layout } });
      const r = decodeFrame(frame, { sm4: { key: KEY } });
      expect(r, layoutLabel(layout)).toMatchObject({ ok: true, segment: short });
      // Nothing to encrypt and nothing to encode: the frame is the plaintext's, and reads as such.
      const unchanged =
        layout.padding === 'none' &&
        (layout.field !== '' || (layout.tail === 'plain' && layout.encoding !== 'braces'));
      expect(frame.equals(plain), layoutLabel(layout)).toBe(unchanged);
      expect(r.ok && r.encrypted, layoutLabel(layout)).toBe(!unchanged);
    }
  });

  it('under another key nothing decrypts: a CRC failure, or a CP that does not parse', () => {
    for (const layout of LAYOUTS) {
      const frame = encodeFrame(A2_SEGMENT, { sm4: { key: KEY, ...layout } });
      const r = decodeFrame(frame, { sm4: { key: sm4KeyFromText('another-key-1234') } });
      expect(r.ok, layoutLabel(layout)).toBe(false);
      expect(r.ok ? '' : r.detail, layoutLabel(layout)).toMatch(/SM4 key|another key/);
    }
  });
});
