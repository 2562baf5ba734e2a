import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../drivers/hj212/codec.js';
import type { Cp } from '../../drivers/hj212/cp.js';
import { hj212Crc, hj212CrcOfChars } from '../../drivers/hj212/crc.js';
import type { DataSegment } from '../../drivers/hj212/dataSegment.js';
import { wrapFrame } from '../../drivers/hj212/frame.js';
import type { RejectReason } from '../../drivers/hj212/rejection.js';
import { sm4KeyFromText } from '../../drivers/hj212/sm4.js';
import {
  layoutLabel,
  resolveLayout,
  SM4_CRCS,
  SM4_ENCODINGS,
  SM4_PADDINGS,
  SM4_TAILS,
  type Sm4Layout,
} from '../../drivers/hj212/sm4Layout.js';
import { Hj212StreamDecoder, type StreamEvent } from '../../drivers/hj212/streamDecoder.js';
import type { Tolerance } from '../../drivers/hj212/tolerance.js';
import { chunked, cutsArb, fuzzParams } from './fuzzSettings.js';

/**
 * The receiving side of HJ 212, fuzzed over every SM4 layout and every tolerated deviation: a frame
 * sent in any layout is read back whatever layout the receiver expects; deviations are read and
 * named; broken frames never throw; and a stream gives the same events however it is chunked.
 */

const KEY = sm4KeyFromText('HJ212-2025-key16');
const OTHER_KEY = sm4KeyFromText('another-key-1234');
const MN = '010000A8900016F000169DC0';
const REASONS: RejectReason[] = [
  'garbage',
  'bad-frame',
  'bad-length',
  'bad-crc',
  'bad-encoding',
  'missing-field',
  'bad-field',
  'bad-cp',
  'truncated',
];

const layoutArb: fc.Arbitrary<Sm4Layout> = fc
  .record({
    encoding: fc.constantFrom(...SM4_ENCODINGS),
    crc: fc.constantFrom(...SM4_CRCS),
    padding: fc.constantFrom(...SM4_PADDINGS),
    tail: fc.constantFrom(...SM4_TAILS),
    field: fc.constantFrom('', 'EncryptedData', 'Cipher'),
  })
  .map(resolveLayout);

const chars = (set: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...set), { minLength: min, maxLength: max }).map((a) => a.join(''));
const digits = (n: number) => chars('0123456789', n, n);
/** Values that parse back, Chinese included (lengths and CRCs then differ between bytes and characters). */
const value = chars('abcXYZ0123456789.-:汉字监测站', 0, 12);

const cpArb: fc.Arbitrary<Cp> = fc
  .record({
    dataTime: digits(14),
    factors: fc.uniqueArray(
      fc.tuple(
        digits(5).map((d) => `w${d}`),
        fc.uniqueArray(fc.tuple(fc.constantFrom('Rtd', 'Avg', 'Flag', 'Info'), value), {
          minLength: 1,
          maxLength: 3,
          selector: ([k]) => k,
        }),
      ),
      { maxLength: 6, selector: ([c]) => c },
    ),
  })
  .map(({ dataTime, factors }) => ({
    dataTime,
    fields: new Map(),
    factors: new Map(factors.map(([c, f]) => [c, new Map(f)])),
  }));

const segmentArb: fc.Arbitrary<DataSegment> = fc.record({
  qn: digits(17),
  st: fc.constant('21'),
  cn: fc.constantFrom('2011', '2051', '2061', '3020', '1014'),
  pw: fc.constant('123456'),
  mn: fc.constant(MN),
  flag: fc.constantFrom(8, 9),
  cp: cpArb,
});

/** The deviations a sender may make, applied to a frame we wrote strictly (tolerance.ts). */
interface Sloppiness {
  noQn: boolean;
  emptyMn: boolean;
  lowercaseCrc: boolean;
  charsLength: boolean;
  noCrlf: boolean;
  charCrc: boolean;
}

const sloppinessArb: fc.Arbitrary<Sloppiness> = fc.record({
  noQn: fc.boolean(),
  emptyMn: fc.boolean(),
  lowercaseCrc: fc.boolean(),
  charsLength: fc.boolean(),
  noCrlf: fc.boolean(),
  charCrc: fc.boolean(),
});

/** A plain frame written with the deviations asked for, and the tolerances it should be read with. */
function sloppyFrame(
  seg: DataSegment,
  s: Sloppiness,
): { frame: Buffer; expected: Tolerance[]; read: DataSegment } {
  const read = { ...seg, qn: s.noQn ? '' : seg.qn, mn: s.emptyMn ? '' : seg.mn };
  const strict = encodeFrame({ ...seg, mn: s.emptyMn ? 'X' : seg.mn }).toString('utf8');
  let text = strict.slice(6, -6);
  if (s.emptyMn) text = text.replace('MN=X;', 'MN=;');
  if (s.noQn) text = text.replace(`QN=${seg.qn};`, '');
  const body = Buffer.from(text, 'utf8');
  const nonAscii = body.length !== text.length;
  const framed = wrapFrame(body, s.charCrc && nonAscii ? hj212CrcOfChars(text) : hj212Crc(body));
  let out = framed.toString('latin1');
  if (s.charsLength && nonAscii) out = `##${String(text.length).padStart(4, '0')}${out.slice(6)}`;
  const crc = out.slice(-6, -2);
  if (s.lowercaseCrc) out = `${out.slice(0, -6)}${crc.toLowerCase()}\r\n`;
  if (s.noCrlf) out = out.slice(0, -2);
  const expected: Tolerance[] = [];
  if (s.charsLength && nonAscii) expected.push('length-in-chars');
  if (s.lowercaseCrc && /[A-F]/.test(crc)) expected.push('crc-lowercase');
  // Only 256 CRC values exist: the one over characters may equal the one over bytes.
  if (s.charCrc && nonAscii && hj212CrcOfChars(text) !== hj212Crc(body)) expected.push('crc-over-chars');
  if (s.noCrlf) expected.push('no-crlf');
  if (s.noQn) expected.push('no-qn');
  if (s.emptyMn) expected.push('empty-mn');
  return { frame: Buffer.from(out, 'latin1'), expected, read };
}

/**
 * The layout a receiver can tell from the bytes: a content of whole blocks needs no padding (zero
 * adds none) and has no tail to encode; and with 256 CRC values, the CRC of what is sent equals
 * the plaintext's once in 256 frames, when the receiver's own setting names it.
 */
function seenAs(layout: Sm4Layout, seg: DataSegment, frame: Buffer, receiver: Sm4Layout): Sm4Layout {
  const plain = encodeFrame(seg);
  const text = plain.toString('utf8');
  const content = Buffer.byteLength(text.slice(text.indexOf('CP=&&') + 5, text.lastIndexOf('&&')));
  let seen = layout;
  if (content % 16 === 0 && layout.padding !== 'pkcs7') {
    seen = resolveLayout({ ...seen, padding: 'none', tail: 'plain' });
  }
  if (hj212Crc(plain.subarray(6, -6)) === hj212Crc(frame.subarray(6, -6)))
    seen = { ...seen, crc: receiver.crc };
  return seen;
}

function summary(events: StreamEvent[]): string[] {
  return events.map((e) =>
    e.kind === 'frame'
      ? `frame ${e.segment.cn} ${e.variant ?? 'plain'} ${e.tolerated.join('+')}`
      : `${e.rejection.reason}`,
  );
}

describe('fuzz: HJ 212 frames in every SM4 layout and with every tolerated deviation', () => {
  it('a frame sent in any layout is read back, named by its layout, whatever layout the receiver expects', () => {
    fc.assert(
      fc.property(segmentArb, layoutArb, layoutArb, (seg, sent, other) => {
        // The one ambiguity (sm4Read.ts): hex or base64 with the CRC over what is sent, whose plain
        // tail may itself be hex digits, needs a receiver set up for the sender's encoding and tail.
        const ambiguous =
          sent.crc === 'ciphertext' && (sent.encoding === 'hex' || sent.encoding === 'base64');
        const expected = ambiguous
          ? { ...other, encoding: sent.encoding, tail: sent.tail, padding: sent.padding, field: sent.field }
          : other;
        const frame = encodeFrame(seg, { sm4: { key: KEY, ...sent } });
        expect(decodeFrame(frame, { sm4: { key: KEY, ...expected } })).toEqual({
          ok: true,
          segment: seg,
          encrypted: true,
          variant: layoutLabel(seenAs(sent, seg, frame, expected)),
          tolerated: [],
        });
      }),
      fuzzParams(300),
    );
  });

  it('a plain frame with any mix of deviations is read as the strict one, each deviation named', () => {
    fc.assert(
      fc.property(segmentArb, sloppinessArb, (seg, s) => {
        const { frame, expected, read } = sloppyFrame(seg, s);
        const r = decodeFrame(frame, { sm4: { key: KEY } });
        expect(r).toMatchObject({ ok: true, segment: read, encrypted: false });
        expect(r.ok && [...r.tolerated].sort()).toEqual([...expected].sort());
      }),
      fuzzParams(300),
    );
  });

  it('mutated encrypted frames, under the right key or another, never throw and are refused for a known reason', () => {
    fc.assert(
      fc.property(
        segmentArb,
        layoutArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 3 }),
        fc.boolean(),
        (seg, layout, flips, sameKey) => {
          const frame = Buffer.from(encodeFrame(seg, { sm4: { key: KEY, ...layout } }));
          for (const [at, bit] of flips) frame[at % frame.length]! ^= 1 << bit;
          const r = decodeFrame(frame, { sm4: { key: sameKey ? KEY : OTHER_KEY } });
          if (!r.ok) expect(REASONS).toContain(r.reason);
        },
      ),
      fuzzParams(500),
    );
  });

  it('a stream of frames in mixed layouts and deviations gives the same events however it is chunked', () => {
    const piece = fc.oneof(
      fc
        .tuple(segmentArb, layoutArb)
        .map(([seg, layout]) => encodeFrame(seg, { sm4: { key: KEY, ...layout } })),
      fc.tuple(segmentArb, sloppinessArb).map(([seg, s]) => {
        const { frame } = sloppyFrame(seg, { ...s, noCrlf: false });
        return frame;
      }),
      fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), cutsArb, (pieces, cuts) => {
        const stream = Buffer.concat(pieces);
        const whole = new Hj212StreamDecoder({ sm4: { key: KEY } });
        const expected = [...whole.push(stream), ...whole.end()];
        const d = new Hj212StreamDecoder({ sm4: { key: KEY } });
        const events = chunked(stream, cuts).flatMap((c) => d.push(c));
        events.push(...d.end());
        expect(summary(events)).toEqual(summary(expected));
        expect(Buffer.concat(events.map((e) => e.raw)).equals(stream)).toBe(true);
      }),
      fuzzParams(200),
    );
  });
});
