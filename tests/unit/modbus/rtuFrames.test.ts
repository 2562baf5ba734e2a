import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RegisterTable } from '../../../agent/config/schema.js';
import { AgentError } from '../../../agent/core/errors.js';
import {
  buildReadRequest,
  crc16,
  crcOk,
  parseReadResponse,
  responseFrameLength,
  responseLength,
  withCrc,
} from '../../../drivers/modbus/rtuFrames.js';
import { crc16 as simCrc16 } from '../../../scripts/simulator/rtuServer.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function thrown(fn: () => unknown): AgentError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AgentError) return err;
    throw err;
  }
  throw new Error('expected an AgentError');
}

describe('Modbus RTU frames', () => {
  it('builds read requests with the CRC low byte first (hand vectors)', () => {
    expect(buildReadRequest(1, 'holding', 0, 10)).toEqual(hex('01 03 00 00 00 0A C5 CD'));
    // Modbus over Serial Line examples: unit 0x11.
    expect(buildReadRequest(0x11, 'holding', 0x6b, 3)).toEqual(hex('11 03 00 6B 00 03 76 87'));
    expect(buildReadRequest(0x11, 'coil', 0x13, 0x25)).toEqual(hex('11 01 00 13 00 25 0E 84'));
    expect(buildReadRequest(2, 'input', 8, 1)[1]).toBe(4);
    expect(buildReadRequest(2, 'discrete', 8, 1)[1]).toBe(2);
  });

  it('computes CRC-16/MODBUS', () => {
    expect(crc16(hex('01 03 00 00 00 0A'))).toBe(0xcdc5);
    expect(crc16(Buffer.from('123456789', 'ascii'))).toBe(0x4b37); // the CRC catalogue check value
    expect(withCrc(hex('01 83 02'))).toEqual(hex('01 83 02 C0 F1'));
    expect(crcOk(hex('11 03 06 AE 41 56 52 43 40 49 AD'))).toBe(true);
    expect(crcOk(hex('11 03 06 AE 41 56 52 43 40 49 AE'))).toBe(false);
  });

  it('agrees with the simulator’s independent CRC', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        expect(crc16(bytes)).toBe(simCrc16(bytes));
      }),
    );
  });

  it('parses register and bit answers', () => {
    expect(parseReadResponse(hex('11 03 06 AE 41 56 52 43 40 49 AD'), 0x11, 'holding', 3)).toEqual([
      0xae41, 0x5652, 0x4340,
    ]);
    // 37 coils from 0x13: CD 6B B2 0E 1B, least significant bit first.
    const bits = parseReadResponse(hex('11 01 05 CD 6B B2 0E 1B 45 E6'), 0x11, 'coil', 0x25);
    expect(bits).toHaveLength(37);
    expect(bits.slice(0, 8)).toEqual([1, 0, 1, 1, 0, 0, 1, 1]); // 0xCD
    expect(bits.slice(32)).toEqual([1, 1, 0, 1, 1]); // 0x1B, bits 0..4
  });

  it('turns an exception answer into MODBUS_EXCEPTION with its code', () => {
    const e = thrown(() => parseReadResponse(hex('01 83 02 C0 F1'), 1, 'holding', 10));
    expect(e.code).toBe('MODBUS_EXCEPTION');
    expect(e.context.exceptionCode).toBe(2);
  });

  it.each([
    ['crc', '11 03 06 AE 41 56 52 43 40 49 AE', 0x11, 'holding', 3],
    ['unit', withCrc(hex('12 03 06 AE 41 56 52 43 40')).toString('hex'), 0x11, 'holding', 3],
    ['function', withCrc(hex('11 04 06 AE 41 56 52 43 40')).toString('hex'), 0x11, 'holding', 3],
    ['byteCount', withCrc(hex('11 03 04 AE 41 56 52 43 40')).toString('hex'), 0x11, 'holding', 3],
    ['length', withCrc(hex('11 03 06 AE 41 56 52')).toString('hex'), 0x11, 'holding', 3],
    ['length', '11 03', 0x11, 'holding', 3],
  ] as const)('refuses a bad answer (%s)', (reason, frame, unit, table, count) => {
    const e = thrown(() => parseReadResponse(hex(frame), unit, table as RegisterTable, count));
    expect(e.code).toBe('MODBUS_BAD_RESPONSE');
    expect(e.context.reason).toBe(reason);
  });

  it('never yields values from an answer with a flipped bit', () => {
    const tables: RegisterTable[] = ['coil', 'discrete', 'holding', 'input'];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 247 }),
        fc.constantFrom(...tables),
        fc.integer({ min: 1, max: 20 }),
        fc.nat(),
        fc.nat(),
        (unit, table, count, seed, bitSeed) => {
          const bytes = table === 'coil' || table === 'discrete' ? Math.ceil(count / 8) : 2 * count;
          const data = Array.from({ length: bytes }, (_, i) => (seed * (i + 7)) & 0xff);
          const good = withCrc(
            Buffer.from([unit, buildReadRequest(unit, table, 0, count)[1]!, bytes, ...data]),
          );
          expect(() => parseReadResponse(good, unit, table, count)).not.toThrow();
          const bad = Buffer.from(good);
          const bit = bitSeed % (bad.length * 8);
          bad[bit >> 3]! ^= 1 << (bit & 7);
          expect(() => parseReadResponse(bad, unit, table, count)).toThrow(AgentError);
        },
      ),
    );
  });

  it('tells the line how long the answer is from the request', () => {
    const len = responseFrameLength(7, 'holding', 4);
    expect(responseLength('holding', 4)).toBe(13);
    expect(responseLength('coil', 9)).toBe(7);
    expect(len(Buffer.alloc(0))).toBe(0);
    expect(len(hex('07'))).toBe(0);
    expect(len(hex('07 03'))).toBe(13);
    expect(len(hex('07 03 FF'))).toBe(13); // a corrupted byte count does not change the length
    expect(len(hex('07 83'))).toBe(5);
    expect(len(hex('08'))).toBe(-1);
    expect(len(hex('07 04'))).toBe(-1);
  });
});
