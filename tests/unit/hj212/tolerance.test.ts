import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../../drivers/hj212/codec.js';
import { hj212Crc, hj212CrcOfChars, modbusCrc16 } from '../../../drivers/hj212/crc.js';
import { formatDataSegment } from '../../../drivers/hj212/dataSegment.js';
import { wrapFrame } from '../../../drivers/hj212/frame.js';
import { dataAnswer } from '../../../drivers/hj212/messages.js';
import { Hj212StreamDecoder, type StreamEvent } from '../../../drivers/hj212/streamDecoder.js';
import { replyMn, sameMn } from '../../../drivers/hj212/tolerance.js';
import {
  bytes,
  CHINESE_FRAME,
  CHINESE_SEGMENT,
  frameOf,
  MN,
  REALTIME_FRAME,
  STANDARD_2017,
} from './vectors.js';

/**
 * Frames as real senders write them, each deviating in one way from the strict form: every one is
 * accepted, and the deviation is named (tolerance.ts) for the receiver to count and log.
 */

const UPLOAD = `ST=32;CN=2011;PW=123456;MN=${MN};Flag=5;CP=&&DataTime=20240601120000;w01018-Rtd=25.5,w01018-Flag=N&&`;

function accepted(frame: Buffer | string) {
  const r = decodeFrame(typeof frame === 'string' ? bytes(frame) : frame);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r;
}

function stream(data: Buffer, chunk = 1): StreamEvent[] {
  const d = new Hj212StreamDecoder();
  const events: StreamEvent[] = [];
  for (let i = 0; i < data.length; i += chunk) events.push(...d.push(data.subarray(i, i + chunk)));
  return [...events, ...d.end()];
}

describe('frames accepted despite a deviation', () => {
  it('no QN (several real uploads omit it): read with an empty QN, for the receiver to fill in', () => {
    const r = accepted(frameOf(UPLOAD));
    expect(r.segment).toMatchObject({ qn: '', cn: '2011', mn: MN });
    expect(r.tolerated).toEqual(['no-qn']);
    // A reply cannot echo it: our formatter refuses to send an empty QN.
    expect(() => formatDataSegment(dataAnswer(r.segment, '2017'))).toThrow(/QN/);
    expect(formatDataSegment(dataAnswer({ ...r.segment, qn: '20240601120000123' }, '2017'))).toContain(
      'QN=20240601120000123;',
    );
  });

  it('an empty MN, and no MN at all', () => {
    const empty = accepted(frameOf(`QN=20240601120000001;${UPLOAD.replace(`MN=${MN}`, 'MN=')}`));
    expect(empty.segment.mn).toBe('');
    expect(empty.tolerated).toEqual(['empty-mn']);
    const none = accepted(frameOf(`QN=20240601120000001;${UPLOAD.replace(`MN=${MN};`, '')}`));
    expect(none.segment.mn).toBe('');
    expect(none.tolerated).toEqual(['empty-mn']);
    // An answer echoes the empty MN as received.
    expect(formatDataSegment(dataAnswer(empty.segment, '2017'))).toContain(';MN=;');
  });

  it('odd MNs: blanks in it, over 24 characters, not 24 uppercase hex digits under 2025', () => {
    const at = (mn: string, flag = 5) =>
      accepted(frameOf(`QN=1;${UPLOAD.replace(`MN=${MN}`, `MN=${mn}`).replace('Flag=5', `Flag=${flag}`)}`));
    expect(at('AB CD')).toMatchObject({ segment: { mn: 'AB CD' }, tolerated: ['odd-mn'] });
    expect(at('X'.repeat(30)).tolerated).toEqual(['odd-mn']);
    expect(at(MN.toLowerCase(), 9).tolerated).toEqual(['odd-mn']);
    expect(at('STATION-A-2017', 9).tolerated).toEqual(['odd-mn']);
    // Under 2017 an MN of up to 24 characters is the norm.
    expect(at('STATION-A-2017', 5).tolerated).toEqual([]);
    // Replies echo what can be written back, else the replier's own idea of the MN.
    expect(replyMn('AB CD', MN)).toBe(MN);
    expect(replyMn('', MN)).toBe('');
    expect(sameMn(` ${MN.toLowerCase()}`, MN)).toBe(true);
  });

  it('a length that counts characters (Java, C#, Python strings) with Chinese text in the frame', () => {
    expect(CHINESE_SEGMENT.length).toBe(127);
    expect(Buffer.byteLength(CHINESE_SEGMENT)).toBe(135);
    const chars = CHINESE_FRAME.replace('##0135', '##0127');
    expect(accepted(chars).tolerated).toEqual(['length-in-chars']);
    expect(accepted(CHINESE_FRAME).tolerated).toEqual([]);
    // In a stream, run together with the next frame, fed one byte at a time.
    const events = stream(bytes(chars + STANDARD_2017));
    expect(events.map((e) => (e.kind === 'frame' ? e.tolerated : e.rejection.reason))).toEqual([
      ['length-in-chars'],
      [],
    ]);
  });

  it('a CRC in lowercase hex', () => {
    expect(accepted(REALTIME_FRAME.replace('A3C1', 'a3c1')).tolerated).toEqual(['crc-lowercase']);
  });

  it('a CRC computed over UTF-16 characters, as Java and C# ports do, with Chinese text in the frame', () => {
    const seg = Buffer.from(CHINESE_SEGMENT);
    const charCrc = hj212CrcOfChars(CHINESE_SEGMENT);
    expect(charCrc).not.toBe(hj212Crc(seg));
    expect(accepted(wrapFrame(seg, charCrc)).tolerated).toEqual(['crc-over-chars']);
  });

  it('a CRC-16/MODBUS in place of the HJ 212 routine (Python ports computing the wrong CRC)', () => {
    const seg = Buffer.from(UPLOAD.replace('ST=32', 'QN=20240601120000001;ST=32'));
    expect(modbusCrc16(seg)).not.toBe(hj212Crc(seg));
    expect(accepted(wrapFrame(seg, modbusCrc16(seg))).tolerated).toEqual(['crc-modbus']);
  });

  it('no final CRLF at the end of a stream: the last frame is a frame', () => {
    const data = bytes(STANDARD_2017 + REALTIME_FRAME.slice(0, -2));
    for (const chunk of [1, 9, data.length]) {
      const events = stream(data, chunk);
      expect(
        events.map((e) => (e.kind === 'frame' ? [e.segment.cn, e.tolerated] : e.rejection.reason)),
      ).toEqual([
        ['1062', []],
        ['2011', ['no-crlf']],
      ]);
    }
    // A frame really cut short is still `truncated`.
    expect(
      stream(bytes(REALTIME_FRAME.slice(0, -10))).map((e) => e.kind === 'rejected' && e.rejection.reason),
    ).toEqual(['truncated']);
  });

  it('no CRLF between two frames', () => {
    const events = stream(bytes(REALTIME_FRAME.slice(0, -2) + STANDARD_2017));
    expect(
      events.map((e) => (e.kind === 'frame' ? [e.segment.cn, e.tolerated] : e.rejection.reason)),
    ).toEqual([
      ['2011', ['no-crlf']],
      ['1062', []],
    ]);
  });

  it('several deviations at once are all named; the strict form needs none', () => {
    const frame = frameOf(UPLOAD.replace(`MN=${MN}`, 'MN='));
    const text = frame.toString('latin1');
    const crc = text.slice(-6, -2);
    const sloppy = text.slice(0, -6) + crc.toLowerCase();
    const r = accepted(Buffer.from(sloppy, 'latin1'));
    expect(r.tolerated.sort()).toEqual(
      (/[A-F]/.test(crc)
        ? ['crc-lowercase', 'empty-mn', 'no-crlf', 'no-qn']
        : ['empty-mn', 'no-crlf', 'no-qn']
      ).sort(),
    );
    expect(accepted(encodeFrame(accepted(STANDARD_2017).segment)).tolerated).toEqual([]);
  });

  it('a QN that is there but not digits is still refused (answered QnRtn 7)', () => {
    expect(decodeFrame(frameOf(`QN=abc;${UPLOAD}`))).toMatchObject({
      ok: false,
      reason: 'bad-field',
      field: 'QN',
    });
  });
});
