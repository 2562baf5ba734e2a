import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BcdLayout, decodeBcd, encodeBcd } from '../../../drivers/dlt645/bcd.js';
import { createDlt645Client } from '../../../drivers/dlt645/client.js';
import { encodeFrame } from '../../../drivers/dlt645/frame.js';
import { createFrameStream } from '../../../drivers/dlt645/frameStream.js';
import { interpretReadAnswer, readRequest } from '../../../drivers/dlt645/messages.js';
import { readValues } from '../../../drivers/dlt645/readValues.js';
import { chunked, cutsArb, fuzzParams, fuzzTestTimeout } from '../../fuzz/fuzzSettings.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/**
 * Fuzzed decoding: whatever the line carries, the framer and the answer interpreter never throw,
 * and every frame they hand on stood in the input with its checksum and end byte intact. A read
 * whose answer has a bad checksum gives no value (it times out), however the bytes are split.
 */

const addressArb = fc.stringMatching(/^\d{12}$/);
const frameArb = fc.record({
  address: addressArb,
  control: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: 40 }),
});

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('DL/T 645 decoding under fuzz', () => {
  it(
    'the framer never throws and only hands on frames that stood intact in the input',
    () => {
      const noisy = fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 30 }),
          frameArb.map((f) => encodeFrame(f)),
        ),
        {
          maxLength: 8,
        },
      );
      fc.assert(
        fc.property(noisy, cutsArb, (parts, cuts) => {
          const input = Uint8Array.from(parts.flatMap((p) => [...p]));
          const stream = createFrameStream();
          const frames = chunked(input, cuts).flatMap((chunk) => stream.push(chunk));
          for (const f of frames) {
            // Re-encoding gives the exact bytes (checksum included) only if they were on the line.
            expect(contains(input, encodeFrame(f, { preamble: 0 }))).toBe(true);
            const request = readRequest('2007', f.address, 0x00010000);
            expect(() => interpretReadAnswer('2007', request, f)).not.toThrow();
          }
        }),
        fuzzParams(300),
      );
    },
    fuzzTestTimeout(30_000),
  );

  it(
    'a valid frame with its checksum or any covered byte changed yields no frame of that length',
    () => {
      fc.assert(
        fc.property(frameArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (f, at, delta) => {
          const bytes = encodeFrame(f, { preamble: 0 });
          // Bytes 0..L+10 (both 68s, address, C, data, CS) but not L itself, whose change moves the frame.
          const covered = [...Array(bytes.length - 1).keys()].filter((i) => i !== 9);
          const i = covered[at % covered.length]!;
          bytes[i] = (bytes[i]! + delta) & 0xff;
          const frames = createFrameStream().push(bytes);
          expect(frames.filter((g) => encodeFrame(g, { preamble: 0 }).length === bytes.length)).toEqual([]);
        }),
        fuzzParams(500),
      );
    },
    fuzzTestTimeout(30_000),
  );

  it(
    'a read answered with a bad checksum never gives a value',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 99_999_999 }),
          fc.integer({ min: 1, max: 255 }),
          cutsArb,
          async (raw, delta, cuts) => {
            const clock = new FakeClock();
            let deliver: (c: Uint8Array) => void = () => {};
            const address = '000000000007';
            const value = encodeBcd(raw / 100, { bytes: 4, decimals: 2, signed: false });
            const answer = encodeFrame({ address, control: 0x91, data: Uint8Array.of(0, 0, 1, 0, ...value) });
            answer[answer.length - 2] = (answer[answer.length - 2]! + delta) & 0xff;
            const client = createDlt645Client({
              transport: {
                async write() {
                  queueMicrotask(() => {
                    for (const chunk of chunked(answer, cuts)) deliver(chunk);
                  });
                },
                onData(l) {
                  deliver = l;
                  return () => {};
                },
              },
              timers: clock,
              options: { timeoutMs: 100, retries: 1 },
            });
            const result = readValues(client, address, 0x00010000).then(
              (v) => ({ value: v }),
              (e: unknown) => ({ error: e }),
            );
            await clock.advance(100);
            await clock.advance(100);
            expect(await result).toMatchObject({ error: { code: 'DLT645_TIMEOUT' } });
          },
        ),
        fuzzParams(100),
      );
    },
    fuzzTestTimeout(30_000),
  );

  it('BCD decoding never throws; a decoded value encodes back to the same bytes', () => {
    const layoutArb = fc.record({
      bytes: fc.integer({ min: 1, max: 6 }),
      decimals: fc.integer({ min: 0, max: 4 }),
      signed: fc.boolean(),
    });
    fc.assert(
      fc.property(layoutArb, fc.uint8Array({ minLength: 1, maxLength: 6 }), (layout: BcdLayout, bytes) => {
        const got = decodeBcd(bytes, layout);
        if (!got.ok) return;
        expect(Number.isFinite(got.value)).toBe(true);
        // Negative zero has no value of its own: it comes back as plain zero.
        const isNegZero = got.value === 0 && layout.signed && (bytes[bytes.length - 1]! & 0x80) !== 0;
        if (!isNegZero) expect(encodeBcd(got.value, layout)).toEqual(bytes);
      }),
      fuzzParams(1000),
    );
  });
});
