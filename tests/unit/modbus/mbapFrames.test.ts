import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../agent/core/errors.js';
import {
  buildMbapReadRequest,
  mbapFrameLength,
  parseMbapReadResponse,
} from '../../../drivers/modbus/mbapFrames.js';

describe('MBAP read frames', () => {
  it('builds the request: header then function, address, quantity', () => {
    expect(buildMbapReadRequest(0x0102, 7, 'input', 16, 2).toString('hex')).toBe('010200000006070400100002');
    expect(buildMbapReadRequest(1, 1, 'holding', 0, 1).toString('hex')).toBe('000100000006010300000001');
  });

  it('knows the answer length from the header, and refuses foreign frames', () => {
    const len = mbapFrameLength(0x0102, 7);
    const answer = Buffer.from('0102000000070704041234abcd', 'hex');
    expect(len(answer.subarray(0, 3))).toBe(0);
    expect(len(answer)).toBe(13);
    expect(len(Buffer.from('0103', 'hex'))).toBe(-1); // another transaction
    expect(len(Buffer.from('010200010007', 'hex'))).toBe(-1); // not protocol 0
    expect(len(Buffer.from('01020000000708', 'hex'))).toBe(-1); // another unit
    expect(len(Buffer.from('010200000400', 'hex'))).toBe(-1); // absurd length
  });

  it('parses registers and exceptions', () => {
    expect(
      parseMbapReadResponse(Buffer.from('0102000000070704041234abcd', 'hex'), 0x0102, 7, 'input', 2),
    ).toEqual([0x1234, 0xabcd]);
    expect(parseMbapReadResponse(Buffer.from('00090000000401010101', 'hex'), 9, 1, 'coil', 1)).toEqual([1]);
    try {
      parseMbapReadResponse(Buffer.from('000500000003078402', 'hex'), 5, 7, 'input', 1);
      expect.unreachable();
    } catch (err) {
      expect(isAgentError(err, 'MODBUS_EXCEPTION')).toBe(true);
      expect(isAgentError(err) && err.context.exceptionCode).toBe(2);
    }
  });

  it('refuses a wrong byte count or a mismatched length', () => {
    expect(() =>
      parseMbapReadResponse(Buffer.from('0102000000070704031234ab', 'hex'), 0x0102, 7, 'input', 2),
    ).toThrow(/MBAP length|byte count/);
    expect(() =>
      parseMbapReadResponse(Buffer.from('0102000000070704031234abcd', 'hex'), 0x0102, 7, 'input', 2),
    ).toThrow(/byte count/);
  });
});
