import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../drivers/hj212/codec.js';
import { cpFrom } from '../../../drivers/hj212/cp.js';
import type { DataSegment } from '../../../drivers/hj212/dataSegment.js';
import { sm4KeyFromText } from '../../../drivers/hj212/sm4.js';
import { Hj212StreamDecoder, type StreamEvent } from '../../../drivers/hj212/streamDecoder.js';
import { CHINESE_FRAME, MN, REALTIME_FRAME, STANDARD_2017, STANDARD_2025 } from './vectors.js';

function feed(decoder: Hj212StreamDecoder, data: Buffer, chunk = 1): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (let i = 0; i < data.length; i += chunk) events.push(...decoder.push(data.subarray(i, i + chunk)));
  return [...events, ...decoder.end()];
}

/** Events as short strings: `frame <CN>` or `<reason>`. */
function summary(events: StreamEvent[]): string[] {
  return events.map((e) => (e.kind === 'frame' ? `frame ${e.segment.cn}` : e.rejection.reason));
}

const b = (s: string) => Buffer.from(s, 'utf8');

describe('Hj212StreamDecoder', () => {
  it('finds frames fed one byte at a time, with garbage between them', () => {
    const stream = Buffer.concat([
      b('\0\xff junk'),
      b(STANDARD_2017),
      b('#'),
      b(CHINESE_FRAME),
      b('\r\n\r\n'),
      b(STANDARD_2025),
      b('##xx'),
      b(REALTIME_FRAME),
    ]);
    const events = feed(new Hj212StreamDecoder(), stream);
    expect(summary(events)).toEqual([
      'garbage',
      'frame 1062',
      'garbage',
      'frame 3020',
      'garbage',
      'frame 1011',
      'garbage',
      'frame 2011',
    ]);
    // Every byte is accounted for, in order.
    expect(Buffer.concat(events.map((e) => e.raw)).equals(stream)).toBe(true);
  });

  it('gives the same events whatever the chunking', () => {
    const stream = b(`xx${STANDARD_2017}${REALTIME_FRAME}yy${CHINESE_FRAME}`);
    const whole = summary(feed(new Hj212StreamDecoder(), stream, stream.length));
    for (const size of [1, 2, 3, 7, 64])
      expect(summary(feed(new Hj212StreamDecoder(), stream, size))).toEqual(whole);
  });

  it('a length that is too long does not swallow the next frame', () => {
    const tooLong = REALTIME_FRAME.replace('##0140', '##0900');
    const events = feed(new Hj212StreamDecoder(), b(tooLong + STANDARD_2017));
    expect(summary(events)).toEqual(['bad-length', 'frame 1062']);
    expect(events[0]).toMatchObject({
      rejection: { detail: 'length field says 900 bytes, data segment has 140' },
    });
  });

  it('a length that is too short is cut at the CRLF', () => {
    const tooShort = REALTIME_FRAME.replace('##0140', '##0100');
    expect(summary(feed(new Hj212StreamDecoder(), b(tooShort + STANDARD_2017)))).toEqual([
      'bad-length',
      'frame 1062',
    ]);
  });

  it('a length counted in characters ends at its CRC and CRLF, and is accepted as such', () => {
    const stream = b(CHINESE_FRAME.replace('##0135', '##0127') + STANDARD_2017);
    for (const chunk of [1, 7, stream.length]) {
      const events = feed(new Hj212StreamDecoder(), stream, chunk);
      expect(summary(events)).toEqual(['frame 3020', 'frame 1062']);
      expect(events[0]).toMatchObject({ kind: 'frame', tolerated: ['length-in-chars'] });
    }
  });

  it('a frame cut short by the next one', () => {
    const cut = REALTIME_FRAME.slice(0, 60);
    expect(summary(feed(new Hj212StreamDecoder(), b(cut + STANDARD_2017)))).toEqual([
      'bad-frame',
      'frame 1062',
    ]);
  });

  it('a bad CRC is rejected with its header, and the next frame is fine', () => {
    const events = feed(new Hj212StreamDecoder(), b(REALTIME_FRAME.replace('A3C1', 'A3C0') + STANDARD_2025));
    expect(summary(events)).toEqual(['bad-crc', 'frame 1011']);
    expect(events[0]).toMatchObject({ rejection: { header: { qn: '20240601120000001' } } });
  });

  it('a connection ending mid-frame is reported as truncated', () => {
    expect(summary(feed(new Hj212StreamDecoder(), b(STANDARD_2017 + STANDARD_2025.slice(0, 30))))).toEqual([
      'frame 1062',
      'truncated',
    ]);
  });

  it('holds back nothing after a complete frame', () => {
    const d = new Hj212StreamDecoder();
    d.push(b(STANDARD_2017));
    expect(d.buffered).toBe(0);
  });
});

describe('Hj212StreamDecoder with raw SM4 ciphertext', () => {
  const sm4 = { key: sm4KeyFromText('HJ212-2025-key16'), encoding: 'raw' as const };

  /** An upload whose ciphertext holds CRLF: a reader that splits on CRLF would cut it in two. */
  function frameWithCrlfInCiphertext(): Buffer {
    for (let i = 0; ; i++) {
      const seg: DataSegment = {
        qn: '20240601120000001',
        st: '32',
        cn: '2011',
        pw: '123456',
        mn: MN,
        flag: 9,
        cp: cpFrom({
          dataTime: '20240601120000',
          factors: { w01018: { Rtd: (i / 100).toFixed(2), Flag: 'N' } },
        }),
      };
      const frame = encodeFrame(seg, { sm4 });
      const crlf = frame.indexOf('\r\n');
      if (crlf !== -1 && crlf < frame.length - 2) return frame;
    }
  }

  it('delimits frames by their length, not by CRLF', () => {
    const frame = frameWithCrlfInCiphertext();
    const stream = Buffer.concat([b('junk'), frame, b(STANDARD_2025), frame]);
    const events = feed(new Hj212StreamDecoder({ sm4 }), stream);
    expect(summary(events)).toEqual(['garbage', 'frame 2011', 'frame 1011', 'frame 2011']);
    expect(events[1]).toMatchObject({ kind: 'frame', encrypted: true });
  });

  it('a plaintext frame with a bad length still ends at its CRC and CRLF', () => {
    const broken = REALTIME_FRAME.replace('##0140', '##0150');
    const stream = b(broken + 'x'.repeat(20) + STANDARD_2017);
    for (const chunk of [1, 5, stream.length]) {
      const events = feed(new Hj212StreamDecoder({ sm4 }), stream, chunk);
      expect(summary(events)).toEqual(['bad-length', 'garbage', 'frame 1062']);
      expect(events[1]?.raw.toString()).toBe('x'.repeat(20));
    }
  });

  it('a ciphertext frame with a bad length ends at its CRC and CRLF, not at a CRLF in its ciphertext', () => {
    const frame = frameWithCrlfInCiphertext();
    const broken = Buffer.concat([b('##0999'), frame.subarray(6)]);
    const stream = Buffer.concat([broken, b(STANDARD_2017)]);
    for (const chunk of [1, 5, stream.length]) {
      const events = feed(new Hj212StreamDecoder({ sm4 }), stream, chunk);
      expect(summary(events)).toEqual(['bad-length', 'frame 1062']);
      expect(events[0]?.raw.equals(broken)).toBe(true);
    }
  });

  it('raw ciphertext is found whatever layout the receiver expects', () => {
    const frame = frameWithCrlfInCiphertext();
    const events = feed(new Hj212StreamDecoder({ sm4: { ...sm4, encoding: 'hex' } }), frame);
    expect(events).toMatchObject([{ kind: 'frame', variant: 'sm4-raw-crc-plaintext', tolerated: [] }]);
  });
});
