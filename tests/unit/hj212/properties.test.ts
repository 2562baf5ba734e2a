import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeMessage } from '../../../drivers/hj212/codec.js';
import { FLAG_SPLIT } from '../../../drivers/hj212/codes.js';
import type { Cp } from '../../../drivers/hj212/cp.js';
import { type DataSegment, formatDataSegment } from '../../../drivers/hj212/dataSegment.js';
import { createQnGenerator } from '../../../drivers/hj212/qn.js';
import type { RejectReason } from '../../../drivers/hj212/rejection.js';
import { sm4KeyFromText } from '../../../drivers/hj212/sm4.js';
import type { Sm4Setting } from '../../../drivers/hj212/sm4Layout.js';
import { joinParts } from '../../../drivers/hj212/split.js';
import { Hj212StreamDecoder, type StreamEvent } from '../../../drivers/hj212/streamDecoder.js';
import { CHINESE_FRAME, REALTIME_FRAME, STANDARD_2017, STANDARD_2025 } from './vectors.js';

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

const chars = (set: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...set), { minLength: min, maxLength: max }).map((a) => a.join(''));
const digits = (n: number) => chars('0123456789', n, n);
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Values: anything that parses back, Chinese and `=` included; no separators, no outer blanks. */
const value = chars(`${ALNUM}.-:=_/ 汉字监测站`, 0, 20).map((v) => v.trim());
const plainKey = fc
  .tuple(chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 1, 1), chars(ALNUM, 0, 10))
  .map(([a, b]) => a + b)
  .filter((k) => k.toLowerCase() !== 'datatime');

const cpArb = (minFactors: number, maxFactors: number): fc.Arbitrary<Cp> =>
  fc
    .record({
      dataTime: fc.option(digits(14), { nil: undefined }),
      fields: fc.uniqueArray(fc.tuple(plainKey, value), { maxLength: 5, selector: ([k]) => k }),
      factors: fc.uniqueArray(
        fc.tuple(
          fc.tuple(chars('aw', 1, 1), digits(5)).map(([a, b]) => a + b),
          fc.uniqueArray(fc.tuple(chars('RtdAvgMinMaxFlagCou', 1, 6), value), {
            minLength: 1,
            maxLength: 4,
            selector: ([k]) => k,
          }),
        ),
        { minLength: minFactors, maxLength: maxFactors, selector: ([c]) => c },
      ),
    })
    .map(({ dataTime, fields, factors }) => {
      const cp: Cp = { fields: new Map(fields), factors: new Map(factors.map(([c, f]) => [c, new Map(f)])) };
      if (dataTime !== undefined) cp.dataTime = dataTime;
      return cp;
    });

const segmentArb: fc.Arbitrary<DataSegment> = fc
  .record({
    qn: digits(17),
    st: digits(2),
    cn: fc.oneof(fc.constantFrom('2011', '2051', '2061', '2031', '1014', '3020', '9014', '1011'), digits(4)),
    pw: chars(ALNUM, 0, 8),
    mn: chars('0123456789ABCDEF', 1, 24),
    flag: fc.integer({ min: 0, max: 255 }).map((f) => f & ~FLAG_SPLIT),
    rf: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
    // Half of them big enough to need splitting, more so with hex ciphertext.
    cp: fc.oneof(cpArb(0, 20), cpArb(25, 80)),
  })
  .map(({ rf, ...seg }) => (rf === undefined ? seg : { ...seg, rf }));

const sm4Arb: fc.Arbitrary<Sm4Setting | undefined> = fc.constantFrom(
  undefined,
  { key: sm4KeyFromText('HJ212-2025-key16'), encoding: 'raw' as const },
  { key: sm4KeyFromText('HJ212-2025-key16'), encoding: 'hex' as const },
);

function summary(events: StreamEvent[]): string[] {
  return events.map((e) => (e.kind === 'frame' ? `frame ${e.segment.qn}` : e.rejection.reason));
}

describe('properties', () => {
  it('encode → decode is the identity (split parts joined back), with or without SM4', () => {
    const nextQn = createQnGenerator({ clock: { now: () => Date.UTC(2024, 5, 1) } }).next;
    fc.assert(
      fc.property(segmentArb, sm4Arb, (seg, sm4) => {
        const opts = sm4 === undefined ? {} : { sm4 };
        const frames = encodeMessage(seg, { ...opts, nextQn });
        const parts = frames.map((f) => {
          expect(Number(f.subarray(2, 6).toString())).toBeLessThanOrEqual(1024);
          const r = decodeFrame(f, opts);
          if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
          return r.segment;
        });
        const back = parts.length === 1 ? parts[0]! : (joinParts(parts) as { value: DataSegment }).value;
        expect(formatDataSegment(back)).toBe(formatDataSegment(seg));
        expect(back).toEqual(seg);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes never throw out of the decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), sm4Arb, (data, sm4) => {
        const opts = sm4 === undefined ? {} : { sm4 };
        const r = decodeFrame(data, opts);
        if (!r.ok) expect(REASONS).toContain(r.reason);
        const withHead = Buffer.concat([Buffer.from(`##${String(data.length).padStart(4, '0')}`), data]);
        expect(() => decodeFrame(withHead, opts)).not.toThrow();
        const d = new Hj212StreamDecoder(opts);
        const events = [...d.push(data), ...d.end()];
        expect(Buffer.concat(events.map((e) => e.raw)).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  const VALID = [STANDARD_2017, STANDARD_2025, CHINESE_FRAME, REALTIME_FRAME].map((f) => Buffer.from(f));

  /** A valid frame with a few bytes overwritten, inserted or deleted. */
  const mutated = fc
    .tuple(
      fc.constantFrom(...VALID),
      fc.array(
        fc.tuple(fc.constantFrom('set', 'insert', 'delete'), fc.nat(), fc.integer({ min: 0, max: 255 })),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
    )
    .map(([frame, edits]) => {
      const bytes = [...frame];
      for (const [op, at, byte] of edits) {
        const i = at % (bytes.length + 1);
        if (op === 'set' && i < bytes.length) bytes[i] = byte;
        else if (op === 'insert') bytes.splice(i, 0, byte);
        else if (op === 'delete') bytes.splice(i, 1);
      }
      return Buffer.from(bytes);
    });

  it('mutated valid frames never throw out of the decoder', () => {
    fc.assert(
      fc.property(mutated, sm4Arb, (frame, sm4) => {
        const opts = sm4 === undefined ? {} : { sm4 };
        const r = decodeFrame(frame, opts);
        if (!r.ok) expect(REASONS).toContain(r.reason);
      }),
      { numRuns: 1000 },
    );
  });

  it('the stream decoder finds the same frames whatever the chunking, garbage and broken frames included', () => {
    const piece = fc.oneof(
      fc.constantFrom(...VALID),
      mutated,
      fc.uint8Array({ maxLength: 20 }).map(Buffer.from),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (pieces, sizes, rawSm4) => {
          const opts = rawSm4
            ? { sm4: { key: sm4KeyFromText('HJ212-2025-key16'), encoding: 'raw' as const } }
            : {};
          const stream = Buffer.concat(pieces);
          const whole = new Hj212StreamDecoder(opts);
          const expected = [...whole.push(stream), ...whole.end()];
          const chunked = new Hj212StreamDecoder(opts);
          const events: StreamEvent[] = [];
          for (let at = 0, i = 0; at < stream.length; i++) {
            const n = sizes[i % sizes.length]!;
            events.push(...chunked.push(stream.subarray(at, at + n)));
            at += n;
          }
          events.push(...chunked.end());
          expect(summary(events)).toEqual(summary(expected));
          // Every byte is reported exactly once, in order.
          expect(Buffer.concat(events.map((e) => e.raw)).equals(stream)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
