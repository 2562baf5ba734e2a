import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type CodecOptions, encodeFrame } from '../../drivers/hj212/codec.js';
import { CN, EXE_RTN, makeFlag, QN_RTN } from '../../drivers/hj212/codes.js';
import { cpFrom } from '../../drivers/hj212/cp.js';
import { formatCrc, hj212Crc } from '../../drivers/hj212/crc.js';
import type { DataSegment } from '../../drivers/hj212/dataSegment.js';
import { readAnswer } from '../../drivers/hj212/messages.js';
import { sm4KeyFromText } from '../../drivers/hj212/sm4.js';
import { SM4_PRESETS, type Sm4Preset } from '../../drivers/hj212/sm4Layout.js';
import { Hj212StreamDecoder, MAX_BUFFERED_BYTES } from '../../drivers/hj212/streamDecoder.js';
import { parseHjTime } from '../../drivers/hj212/time.js';
import { flush } from '../helpers/fakeClock.js';
import { MN, T0, UplinkHarness } from '../unit/uplink/hj212/uplinkHarness.js';
import { chunked, cutsArb, fuzzParams, fuzzTestTimeout } from './fuzzSettings.js';

/**
 * What an HJ 212 platform may send, fuzzed: commands with a wrong PW or MN, unknown CNs, malformed
 * or huge CP fields, broken CRCs, SM4 garbage, bytes flipped, frames cut short or run together,
 * split anywhere. Through the real uplink (stream decoder, command handler) on fake sockets: nothing
 * escapes as an exception, the connection stays up, and every station frame is a well-formed frame
 * whose 9011/9012 carries a standard return code for a QN the platform actually sent.
 */

const PW = '123456';
const KEY = '0123456789abcdef';
const PROBE_QN = '99999999999999999';
const QN_RTNS: number[] = Object.values(QN_RTN);
const EXE_RTNS: number[] = Object.values(EXE_RTN);
const FIELDS = [
  'BeginTime',
  'EndTime',
  'SystemTime',
  'RtdInterval',
  'MinInterval',
  'OverTime',
  'ReCount',
  'NewPW',
  'NewSK',
  'SKCreateTime',
  'PolId',
];

const digits = (n: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: n, maxLength: n }).map((a) => a.join(''));

const valueArb = fc.oneof(
  digits(14),
  fc.integer({ min: 0, max: 9_999_999 }).map(String),
  fc.string({ maxLength: 20 }),
  fc.string({ minLength: 16, maxLength: 16 }),
  fc.constantFrom('9'.repeat(3000), 'x'.repeat(9000), '20240601080000', '99991231235959', '-1', '030'),
);

const segmentArb: fc.Arbitrary<DataSegment> = fc
  .record({
    qn: fc.oneof(
      { weight: 4, arbitrary: digits(17) },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
      { weight: 1, arbitrary: fc.constant('') },
    ),
    cn: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...Object.values(CN), '1099', '0000') },
      { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
    ),
    pw: fc.oneof(
      { weight: 4, arbitrary: fc.constant(PW) },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    ),
    mn: fc.oneof(
      { weight: 4, arbitrary: fc.constant(MN) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    ),
    flag: fc.oneof(
      { weight: 4, arbitrary: fc.constant(makeFlag('2025', { ack: true })) },
      { weight: 1, arbitrary: fc.nat({ max: 255 }) },
    ),
    fields: fc.array(
      fc.tuple(
        fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FIELDS) }, fc.string({ maxLength: 8 })),
        valueArb,
      ),
      { maxLength: 4 },
    ),
  })
  .map(({ fields, ...h }) => ({ ...h, st: '21', cp: cpFrom({ fields: Object.fromEntries(fields) }) }));

/** The frame as our codec writes it, or (for what it refuses to write) as a careless platform would. */
function frameOf(seg: DataSegment, codec: CodecOptions): Buffer {
  try {
    return encodeFrame(seg, codec);
  } catch {
    const cp = [...seg.cp.fields].map(([k, v]) => `${k}=${v}`).join(';');
    const qn = seg.qn === '' ? '' : `QN=${seg.qn};`; // several real platforms and stations omit it
    const text = `${qn}ST=${seg.st};CN=${seg.cn};PW=${seg.pw};MN=${seg.mn};Flag=${seg.flag};CP=&&${cp}&&`;
    const body = Buffer.from(text, 'utf8');
    const len = String(body.length).padStart(4, '0');
    return Buffer.concat([Buffer.from(`##${len}`), body, Buffer.from(`${formatCrc(hj212Crc(body))}\r\n`)]);
  }
}

type ByteEdit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'cut'; keep: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

const editArb: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('cut' as const), keep: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ maxLength: 8 }),
      fc.constant(Buffer.from('##0100')),
      fc.constant(Buffer.from('\r\n')),
    ),
  }),
);

function edit(frame: Buffer, e: ByteEdit): Buffer {
  if (frame.length === 0) return frame;
  switch (e.kind) {
    case 'flip': {
      const out = Buffer.from(frame);
      out[e.at % out.length]! ^= 1 << e.bit;
      return out;
    }
    case 'cut':
      return frame.subarray(0, e.keep % frame.length);
    case 'insert': {
      const at = e.at % frame.length;
      return Buffer.concat([frame.subarray(0, at), e.bytes, frame.subarray(at)]);
    }
  }
}

const presetArb = fc.constantFrom(...(Object.keys(SM4_PRESETS) as Sm4Preset[]));

const messageArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(
      segmentArb,
      fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, fc.array(editArb, { minLength: 1, maxLength: 3 })),
    ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
);

/** "9011:1", "9012:3", or the CN of anything else. */
function answerCode(f: DataSegment): string {
  const a = readAnswer(f);
  if (a?.cn === CN.requestAnswer) return `${f.cn}:${a.qnRtn}`;
  if (a?.cn === CN.executionResult) return `${f.cn}:${a.exeRtn}`;
  return f.cn;
}

/** The platform's view of the station: every frame it writes, decoded (re-keyed after a 1014). */
class Observer {
  readonly frames: DataSegment[] = [];
  readonly bad: string[] = [];
  /** The station's password as the platform knows it: changed by a 1072 answered ExeRtn 1. */
  pw = PW;
  private readonly decoder: Hj212StreamDecoder;
  private pendingKey: string | undefined;

  constructor(public codec: CodecOptions) {
    this.decoder = new Hj212StreamDecoder(codec);
  }

  onWrite(buf: Buffer, keysSent: Map<string, string>, passwordsSent: Map<string, string>): void {
    for (const ev of this.decoder.push(buf)) {
      if (ev.kind !== 'frame') {
        this.bad.push(`${ev.rejection.reason}: ${ev.rejection.detail}`);
        continue;
      }
      this.frames.push(ev.segment);
      const a = readAnswer(ev.segment);
      // The station takes a new key once it answered the 1014 with ExeRtn 1; so does the platform.
      const newKey = keysSent.get(ev.segment.qn);
      if (a?.cn === CN.executionResult && a.exeRtn === EXE_RTN.ok && newKey !== undefined)
        this.pendingKey = newKey;
      const newPw = passwordsSent.get(ev.segment.qn);
      if (a?.cn === CN.executionResult && a.exeRtn === EXE_RTN.ok && newPw !== undefined) this.pw = newPw;
      if (this.pendingKey !== undefined && this.codec.sm4) {
        // The decoder reads the codec at each frame: the key changes in place, as on a real link.
        this.codec.sm4.key = sm4KeyFromText(this.pendingKey);
        this.pendingKey = undefined;
      }
    }
  }
}

const harnesses: UplinkHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

describe('fuzz: HJ 212 platform → station', () => {
  it(
    'whatever the platform sends, the station answers with standard codes and keeps the connection',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.option(fc.tuple(presetArb, presetArb), { nil: undefined }),
          fc.array(messageArb, { minLength: 1, maxLength: 8 }),
          cutsArb,
          async (sm4, messages, cuts) => {
            // The platform writes in one SM4 layout, the station is set up for another (or the same).
            const codec: CodecOptions = sm4
              ? { sm4: { key: sm4KeyFromText(KEY), ...SM4_PRESETS[sm4[0]] } }
              : {};
            const h = new UplinkHarness(
              sm4 ? { encryption: { type: 'sm4', key: KEY, rotate: '0s', preset: sm4[1] } } : {},
            );
            harnesses.push(h);
            h.uplink.start();
            await h.connect(codec);
            const socket = h.sockets.at(-1)!;
            const keysSent = new Map<string, string>();
            const passwordsSent = new Map<string, string>();
            const observer = new Observer(codec);
            socket.onWrite = (buf) => observer.onWrite(Buffer.from(buf), keysSent, passwordsSent);

            const stream = Buffer.concat(
              messages.map((m) => {
                if (Buffer.isBuffer(m)) return m;
                const [seg, edits] = m;
                const newSk = seg.cp.fields.get('NewSK');
                if (seg.cn === CN.keyExchange && newSk !== undefined) keysSent.set(seg.qn, newSk);
                const newPw = seg.cp.fields.get('NewPW');
                if (seg.cn === CN.setPassword && newPw !== undefined) passwordsSent.set(seg.qn, newPw);
                return edits.reduce(edit, frameOf(seg, codec));
              }),
            );
            for (const c of chunked(stream, cuts)) {
              socket.emit('data', c);
              await flush();
            }
            await h.clock.advance(10_000);

            // Afterwards the station still serves a well-formed request: a frame left open by the
            // fuzz is closed by filler longer than any frame, then comes the probe.
            socket.emit('data', Buffer.alloc(MAX_BUFFERED_BYTES, 0x78));
            const probe: DataSegment = {
              qn: PROBE_QN,
              st: '21',
              cn: CN.getRtdInterval,
              pw: observer.pw,
              mn: MN,
              flag: makeFlag('2025', { ack: true }),
              cp: cpFrom({}),
            };
            socket.emit('data', encodeFrame(probe, observer.codec));
            await flush();
            const answered = observer.frames.filter((f) => f.qn === PROBE_QN).map(answerCode);
            expect(answered, 'the station no longer serves a correct request').toEqual([
              '9011:1',
              '1061',
              '9012:1',
            ]);

            expect(socket.destroyed, 'the station closed the connection').toBe(false);
            expect(observer.bad, 'the station wrote frames a platform cannot read').toEqual([]);
            // The header reader is lenient by design (any case, blanks and stray separators around a
            // value: "qN=;1;" is QN 1), so an answered QN need only be among the bytes sent, or be
            // one the station made up (a time of its clock) for a request that had none.
            const sentText = `${stream.toString('latin1')} ${PROBE_QN}`;
            const stationQn = (qn: string) => {
              const t = parseHjTime(qn.slice(0, 14), 'Asia/Shanghai');
              return /^\d{17}$/.test(qn) && t !== undefined && t >= T0 - 1000 && t <= h.clock.now();
            };
            for (const f of observer.frames) {
              const a = readAnswer(f);
              if (a?.cn === CN.requestAnswer) expect(QN_RTNS).toContain(a.qnRtn);
              if (a?.cn === CN.executionResult) expect(EXE_RTNS).toContain(a.exeRtn);
              // The fakes never fail (clock, store): "failed" means a command broke the station.
              if (a?.cn === CN.executionResult)
                expect(a.exeRtn, `QN ${f.qn} failed`).not.toBe(EXE_RTN.failed);
              if ((a?.cn === CN.requestAnswer || a?.cn === CN.executionResult) && !stationQn(f.qn)) {
                expect(sentText, `answer to QN ${f.qn} the platform never sent`).toContain(f.qn);
              }
            }
            // Passed: stopped now, not after the last run (a failed run is stopped by afterEach).
            harnesses.splice(harnesses.indexOf(h), 1);
            await h.stop();
          },
        ),
        fuzzParams(60, { runTimeoutMs: 20_000 }),
      );
    },
    fuzzTestTimeout(60_000),
  );

  it(`the stream decoder never holds more than MAX_BUFFERED_BYTES (${MAX_BUFFERED_BYTES})`, () => {
    const endless = fc
      .tuple(fc.constantFrom('##9999', '##0010', '##0000', '#', ''), fc.integer({ min: 1, max: 30_000 }))
      .map(([head, n]) => Buffer.concat([Buffer.from(head), Buffer.alloc(n, 0x41)]));
    const chunk = fc.oneof(
      endless,
      fc.uint8Array({ maxLength: 5000 }).map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(fc.boolean(), fc.array(chunk, { maxLength: 20 }), (sm4, chunks) => {
        const decoder = new Hj212StreamDecoder(sm4 ? UplinkHarness.sm4(KEY) : {});
        for (const c of chunks) {
          decoder.push(c);
          expect(decoder.buffered).toBeLessThanOrEqual(MAX_BUFFERED_BYTES);
        }
        decoder.end();
        expect(decoder.buffered).toBe(0);
      }),
      fuzzParams(200),
    );
  });
});

describe('HJ 212 regressions found by fuzzing', () => {
  /** Sends one command frame; returns the station's answers to its QN as codes ("9011:1", "1011"). */
  async function ask(fields: Record<string, string>, cn: string, pw = PW): Promise<string[]> {
    const h = new UplinkHarness();
    harnesses.push(h);
    h.uplink.start();
    const p = await h.connect();
    const qn = '20240601080000123';
    // Written as a careless platform would: our own encoder refuses these values.
    p.sendRaw(frameOf({ qn, st: '21', cn, pw, mn: MN, flag: 5, cp: cpFrom({ fields }) }, {}));
    await flush();
    const probe = { qn: PROBE_QN, st: '21', cn: CN.getRtdInterval, pw, mn: MN, flag: 5, cp: cpFrom({}) };
    p.send(probe);
    await flush();
    expect(p.frames.filter((f) => f.qn === PROBE_QN).map(answerCode)).toEqual(['9011:1', '1061', '9012:1']);
    return p.frames.filter((f) => f.qn === qn).map(answerCode);
  }

  it('a 1011 whose PolId cannot be echoed (an "&" in it) is a bad parameter, not a failed execution', async () => {
    expect(await ask({ PolId: "f=&:0u$'t'QuuDNV" }, CN.getTime)).toEqual(['9011:1', '9012:3']);
  });

  it('a 1011 with a 3000-digit PolId is a bad parameter, not an answer too long to write', async () => {
    expect(await ask({ PolId: '9'.repeat(3000) }, CN.getTime)).toEqual(['9011:1', '9012:3']);
    expect(await ask({ PolId: 'w01018' }, CN.getTime)).toEqual(['9011:1', '1011', '9012:1']);
  });

  it('a 1072 whose NewPW cannot be a PW header ("ab=cde") is refused and the password kept', async () => {
    expect(await ask({ NewPW: 'ab=cde' }, CN.setPassword)).toEqual(['9011:1', '9012:3']);
  });
});
