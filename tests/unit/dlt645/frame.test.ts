import { describe, expect, it } from 'vitest';
import { decodeAddress, encodeAddress, showBytes } from '../../../drivers/dlt645/bcd.js';
import { decodeFrame, encodeFrame } from '../../../drivers/dlt645/frame.js';
import { createFrameStream } from '../../../drivers/dlt645/frameStream.js';
import {
  followUpRequest,
  interpretReadAnswer,
  readAddressRequest,
  readRequest,
} from '../../../drivers/dlt645/messages.js';

/**
 * Hand-checked frames. Every checksum below is worked out in the comment beside it; the header
 * `68 12 90 78 56 34 12 68` (address 123456789012, last digit pair first) sums to
 * 0x68+0x12+0x90+0x78+0x56+0x34+0x12+0x68 = 104+18+144+120+86+52+18+104 = 646.
 */
const ADDR = '123456789012';
const bytes = (text: string) => Uint8Array.from(text.split(' ').map((h) => Number.parseInt(h, 16)));

describe('address', () => {
  it('goes out lowest digit pair first and comes back as on the nameplate', () => {
    // 12|34|56|78|90|12 reversed pairwise: 12 90 78 56 34 12
    expect(showBytes(encodeAddress(ADDR))).toBe('12 90 78 56 34 12');
    expect(decodeAddress(bytes('12 90 78 56 34 12'))).toBe(ADDR);
    expect(showBytes(encodeAddress('000000000001'))).toBe('01 00 00 00 00 00');
  });

  it('refuses an address that is not 12 digits', () => {
    expect(() => encodeAddress('12345')).toThrow(/not 12 digits/);
  });
});

describe('requests', () => {
  it('read 00010000 (2007) with the FE preamble', () => {
    // data: DI 00 00 01 00 lowest first, +0x33 each: 33 33 34 33
    // CS: 646 + 0x11(17) + 0x04(4) + 51+51+52+51 = 872 = 3×256 + 104 → 0x68
    const sent = encodeFrame(readRequest('2007', ADDR, 0x00010000));
    expect(showBytes(sent)).toBe('FE FE FE FE 68 12 90 78 56 34 12 68 11 04 33 33 34 33 68 16');
  });

  it('read 9010 (1997) without a preamble', () => {
    // data: DI 10 90 +0x33: 43 C3; CS: 646 + 0x01 + 0x02 + 0x43(67) + 0xC3(195) = 911 = 3×256 + 143 → 0x8F
    const sent = encodeFrame(readRequest('1997', ADDR, 0x9010), { preamble: 0 });
    expect(showBytes(sent)).toBe('68 12 90 78 56 34 12 68 01 02 43 C3 8F 16');
  });

  it('follow-up 0203FF00 number 1', () => {
    // data: DI 00 FF 03 02 +0x33 → 33 32 36 35 (0xFF+0x33 = 0x132, mod 256 0x32), sequence 01 → 34
    // CS: 646 + 0x12(18) + 5 + 51+50+54+53+52 = 929 = 3×256 + 161 → 0xA1
    const sent = encodeFrame(followUpRequest(ADDR, 0x0203ff00, 1), { preamble: 0 });
    expect(showBytes(sent)).toBe('68 12 90 78 56 34 12 68 12 05 33 32 36 35 34 A1 16');
  });

  it('read address to the wildcard AA…AA', () => {
    // CS: 0x68 + 6×0xAA + 0x68 + 0x13 + 0x00 = 104 + 1020 + 104 + 19 = 1247 = 4×256 + 223 → 0xDF
    const sent = encodeFrame(readAddressRequest(), { preamble: 2 });
    expect(showBytes(sent)).toBe('FE FE 68 AA AA AA AA AA AA 68 13 00 DF 16');
  });
});

describe('answers', () => {
  const request = readRequest('2007', ADDR, 0x00010000);

  it('normal answer 91: 1234.56 kWh', () => {
    // value XXXXXX.XX 1234.56 → digits 00123456 → lowest first 56 34 12 00 → +0x33: 89 67 45 33
    // CS: 646 + 0x91(145) + 8 + (51+51+52+51) + 137+103+69+51 = 1364 = 5×256 + 84 → 0x54
    const frame = decodeFrame(bytes('FE FE 68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 16'))!;
    expect(frame.address).toBe(ADDR);
    expect(frame.control).toBe(0x91);
    const answer = interpretReadAnswer('2007', request, frame);
    expect(answer).toMatchObject({ kind: 'data', di: 0x00010000, moreFollows: false });
    if (answer.kind !== 'data') throw new Error('not data');
    expect(showBytes(answer.payload)).toBe('56 34 12 00');
  });

  it('the same answer with one wrong checksum byte is no frame', () => {
    expect(decodeFrame(bytes('68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 55 16'))).toBeUndefined();
  });

  it('error answer D1 with "no such data"', () => {
    // data: error byte 02 (bit 1) + 0x33 = 35; CS: 646 + 0xD1(209) + 1 + 53 = 909 = 3×256 + 141 → 0x8D
    const frame = decodeFrame(bytes('68 12 90 78 56 34 12 68 D1 01 35 8D 16'))!;
    expect(interpretReadAnswer('2007', request, frame)).toEqual({
      kind: 'error',
      errorByte: 0x02,
      errors: ['no-such-data'],
    });
  });

  it('follow-up answer 92 carries the sequence number after the value', () => {
    // data: DI 33 32 36 35, value 0.5000 kW XX.XXXX → 00 50 00 → 33 83 33, sequence 01 → 34
    // CS: 646 + 0x92(146) + 8 + (51+50+54+53) + 51+131+51 + 52 = 1293 = 5×256 + 13 → 0x0D
    const frame = decodeFrame(bytes('68 12 90 78 56 34 12 68 92 08 33 32 36 35 33 83 33 34 0D 16'))!;
    const answer = interpretReadAnswer('2007', followUpRequest(ADDR, 0x0203ff00, 1), frame);
    expect(answer).toMatchObject({ kind: 'data', di: 0x0203ff00, moreFollows: false, sequence: 1 });
    if (answer.kind !== 'data') throw new Error('not data');
    expect(showBytes(answer.payload)).toBe('00 50 00');
  });

  it('B2 says more frames follow', () => {
    const frame = { address: ADDR, control: 0xb2, data: bytes('00 FF 03 02 00 50 00 01') };
    const answer = interpretReadAnswer('2007', followUpRequest(ADDR, 0x0203ff00, 1), frame);
    expect(answer).toMatchObject({ kind: 'data', moreFollows: true, sequence: 1 });
  });

  it('read-address answer 93 from meter 000000000001', () => {
    // data: address 01 00 00 00 00 00 +0x33 → 34 33 33 33 33 33
    // CS: 104 + 1 + 104 + 0x93(147) + 6 + 52 + 5×51 = 669 = 2×256 + 157 → 0x9D
    const frame = decodeFrame(bytes('68 01 00 00 00 00 00 68 93 06 34 33 33 33 33 33 9D 16'))!;
    expect(frame).toEqual({ address: '000000000001', control: 0x93, data: bytes('01 00 00 00 00 00') });
  });

  it('1997: 81 carries the 2-byte identifier, C1 an error byte with 1997 meanings', () => {
    const request1997 = readRequest('1997', ADDR, 0xb611);
    const ok = { address: ADDR, control: 0x81, data: bytes('11 B6 20 02') };
    expect(interpretReadAnswer('1997', request1997, ok)).toMatchObject({ kind: 'data', di: 0xb611 });
    const refused = { address: ADDR, control: 0xc1, data: bytes('02') };
    expect(interpretReadAnswer('1997', request1997, refused)).toEqual({
      kind: 'error',
      errorByte: 2,
      errors: ['wrong-identifier'],
    });
  });

  it('a read to a wildcard address (AA pairs) takes the answer of the meter that fits it', () => {
    const wildcard = readRequest('2007', 'AAAAAAAA9012', 0x00010000);
    const fits = { address: ADDR, control: 0x91, data: bytes('00 00 01 00 56 34 12 00') };
    expect(interpretReadAnswer('2007', wildcard, fits).kind).toBe('data');
    const other = { address: '123456789013', control: 0x91, data: bytes('00 00 01 00 56 34 12 00') };
    expect(interpretReadAnswer('2007', wildcard, other).kind).toBe('unrelated');
  });

  it('frames from another meter, for another identifier, or our own echo are unrelated', () => {
    const other = { address: '000000000002', control: 0x91, data: bytes('00 00 01 00 00 00 00 00') };
    expect(interpretReadAnswer('2007', request, other).kind).toBe('unrelated');
    const otherDi = { address: ADDR, control: 0x91, data: bytes('00 00 02 00 00 00 00 00') };
    expect(interpretReadAnswer('2007', request, otherDi).kind).toBe('unrelated');
    expect(interpretReadAnswer('2007', request, request).kind).toBe('unrelated');
  });
});

describe('stream framer', () => {
  const good = bytes('68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 16');

  it('skips any number of FEs and garbage, and finds frames split anywhere', () => {
    const stream = createFrameStream();
    const line = new Uint8Array([
      ...bytes('FE FE FE FE FE FE 00 68 13 37'),
      ...good,
      ...bytes('FE'),
      ...good,
    ]);
    const frames = [];
    for (const b of line) frames.push(...stream.push(Uint8Array.of(b)));
    expect(frames).toHaveLength(2);
    expect(frames[0]!.address).toBe(ADDR);
    const c = stream.counters();
    expect(c.frames).toBe(2);
    expect(c.preambleBytes).toBe(7);
    // 00, 13, 37 and the lone 68 (which did not start a frame) are garbage
    expect(c.garbageBytes).toBe(4);
  });

  it('drops and counts a frame with a bad checksum, then finds the next good one', () => {
    const stream = createFrameStream();
    const bad = good.slice();
    bad[14] = 0x88; // a value byte changed on the line: the checksum no longer matches
    const frames = stream.push(new Uint8Array([...bad, ...good]));
    expect(frames).toHaveLength(1);
    expect(stream.counters().badChecksum).toBe(1);
  });

  it('reset forgets a partial frame', () => {
    const stream = createFrameStream();
    expect(stream.push(good.subarray(0, 12))).toEqual([]);
    stream.reset();
    expect(stream.push(good.subarray(12))).toEqual([]);
    expect(stream.counters().discardedPartial).toBe(12);
    expect(stream.push(good)).toHaveLength(1);
  });
});
