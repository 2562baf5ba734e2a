import { describe, expect, it } from 'vitest';
import { type ObservedFrame, PassiveRtuFramer } from '../../../drivers/modbus/listen/passiveFramer.js';
import { crc16, crcValidAt } from '../../../drivers/modbus/listen/rtuCrc.js';
import {
  bitAnswer,
  exceptionAnswer,
  readRequest,
  registerAnswer,
  writeRegisters,
  writeRegistersAnswer,
  writeSingleRegister,
} from '../../helpers/rtuTraffic.js';

const hex = (frames: ObservedFrame[]) => frames.map((f) => f.bytes.toString('hex'));

/** 9600 baud: gap = 3.5 × 1.146 ms + 20 ms tolerance ≈ 24 ms. */
function framer(toleranceMs = 20) {
  return new PassiveRtuFramer({ baudRate: 9600, toleranceMs });
}

describe('PassiveRtuFramer', () => {
  const req = readRequest(1, 3, 0, 4);
  const ans = registerAnswer(1, 3, [1, 2, 3, 4]);

  it('cuts a request and its answer delivered with a silence between them', () => {
    const f = framer();
    expect(hex(f.push(req, 1000))).toEqual([req.toString('hex')]);
    const out = f.push(ans, 1050);
    expect(hex(out)).toEqual([ans.toString('hex')]);
    expect(out[0]!.at).toBe(1050);
    expect(f.stats).toMatchObject({ frames: 2, garbageBytes: 0, crcErrors: 0, truncated: 0 });
  });

  it('splits frames by CRC when one chunk carries several (the gap lost by the adapter)', () => {
    const f = framer();
    const all = Buffer.concat([
      req,
      ans,
      readRequest(2, 1, 5, 20),
      bitAnswer(2, 1, Array(20).fill(true)),
      exceptionAnswer(3, 4, 2),
    ]);
    expect(f.push(all, 1000)).toHaveLength(5);
    expect(f.stats.garbageBytes).toBe(0);
  });

  it('frames bytes delivered one at a time without gaps', () => {
    const f = framer();
    const all = Buffer.concat([req, ans]);
    const out: ObservedFrame[] = [];
    all.forEach((byte, i) => {
      out.push(...f.push(Buffer.from([byte]), 1000 + i));
    });
    expect(hex(out)).toEqual([req.toString('hex'), ans.toString('hex')]);
    // The answer is stamped with the time its last byte arrived.
    expect(out[1]!.at).toBe(1000 + all.length - 1);
  });

  it('waits for the answer length its request gives, even when a shorter cut passes the CRC by chance', () => {
    // A 2-register answer whose first 8 bytes also end in a valid CRC (1 in 65536: searched for).
    let answer: Buffer | undefined;
    for (let w = 0; !answer; w++) {
      const candidate = registerAnswer(2, 3, [
        w >>> 8,
        ((w & 0xff) << 8) | (crc16(registerAnswer(2, 3, [w >>> 8, 0]), 0, 6) & 0xff),
      ]);
      if (crcValidAt(candidate, 0, 8)) answer = candidate;
    }
    const request = readRequest(2, 3, 33, 2);
    const f = framer();
    const out: ObservedFrame[] = [];
    for (const byte of Buffer.concat([request, answer])) out.push(...f.push(Buffer.from([byte]), 1000));
    expect(hex(out)).toEqual([request.toString('hex'), answer.toString('hex')]);
  });

  it('joins a sloppy master pausing inside a frame, within the tolerance', () => {
    const f = framer(20);
    expect(f.push(req.subarray(0, 3), 1000)).toEqual([]);
    expect(hex(f.push(req.subarray(3), 1015))).toEqual([req.toString('hex')]);
  });

  it('drops a truncated answer when the line falls silent, and frames what follows', () => {
    const f = framer();
    f.push(req, 1000);
    expect(f.push(ans.subarray(0, 7), 1010)).toEqual([]);
    // 200 ms of silence: the rest never came.
    const next = readRequest(1, 3, 10, 2);
    expect(hex(f.push(next, 1210))).toEqual([next.toString('hex')]);
    expect(f.stats.truncated).toBe(1);
    expect(f.stats.garbageBytes).toBe(7);
  });

  it('drops a truncated answer followed in the same burst by a request', () => {
    const f = framer();
    const next = readRequest(1, 3, 10, 2);
    // Once the 13 bytes the truncated header promises are there and fail the CRC, the scan moves on.
    expect(hex(f.push(Buffer.concat([ans.subarray(0, 9), next]), 1000))).toEqual([next.toString('hex')]);
    expect(f.stats.garbageBytes).toBe(9);
    expect(f.stats.crcErrors).toBe(1);
  });

  it('waits for a short truncated frame in the same burst until the line is quiet', () => {
    const f = framer();
    const next = exceptionAnswer(1, 3, 2);
    // 3 bytes of a 13-byte answer, then a 5-byte exception: 8 < 13, so the scan must wait.
    expect(f.push(Buffer.concat([ans.subarray(0, 3), next]), 1000)).toEqual([]);
    expect(hex(f.flush(1100))).toEqual([next.toString('hex')]);
    expect(f.stats.truncated).toBe(1);
  });

  it('skips garbage between frames and counts it', () => {
    const f = framer();
    const out = f.push(Buffer.concat([Buffer.from([0xff, 0x00, 0x13]), req, Buffer.from([0xfe]), ans]), 1000);
    expect(hex(out)).toEqual([req.toString('hex'), ans.toString('hex')]);
    expect(f.stats.garbageBytes).toBe(4);
  });

  it('counts a frame with a bad CRC as a CRC error and takes nothing from it', () => {
    const f = framer();
    const bad = Buffer.from(ans);
    bad[4] = bad[4]! ^ 0x01;
    expect(f.push(bad, 1000)).toEqual([]);
    expect(f.flush(2000)).toEqual([]);
    expect(f.stats.crcErrors).toBe(1);
    expect(f.stats.frames).toBe(0);
  });

  it('frames write requests and answers (FC06 echo, FC16) so they can be skipped', () => {
    const f = framer();
    const w6 = writeSingleRegister(1, 7, 99);
    const w16 = writeRegisters(1, 20, [1, 2, 3]);
    const out = f.push(Buffer.concat([w6, w6, w16, writeRegistersAnswer(1, 20, 3)]), 1000);
    expect(out.map((o) => o.bytes.length)).toEqual([8, 8, 15, 8]);
  });

  it('does not hold a chunk forever: a long header that never completes is dropped at the next silence', () => {
    const f = framer();
    // Unit 1, FC03, byte count 250: waits for 255 bytes.
    f.push(Buffer.from([1, 3, 250, 0, 0]), 1000);
    expect(f.pendingBytes).toBe(5);
    expect(f.flush(1010)).toEqual([]);
    expect(f.pendingBytes).toBe(5);
    f.flush(1100);
    expect(f.pendingBytes).toBe(0);
    expect(f.stats.truncated).toBe(1);
  });
});
