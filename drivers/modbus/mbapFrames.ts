import { AgentError } from '../../agent/core/errors.js';
import type { RegisterTable } from './registers.js';
import { buildReadRequest, parseReadResponse, withCrc } from './rtuFrames.js';

/**
 * Modbus TCP (MBAP) frames for the four read functions, for tools that talk to a gateway over a
 * plain byte line (SerialLine on a TCP transport) instead of modbus-serial: the CLI's `scan --tcp`.
 * The PDU is the RTU frame's without unit and CRC, so the answer is checked by rtuFrames'
 * parseReadResponse (function, exception, byte count, length) after a CRC is added to it.
 *
 * MBAP header: transaction id (2), protocol id 0 (2), length of what follows (2), unit id (1).
 */

export const MBAP_HEADER_LENGTH = 7;
/** Unit id + the longest PDU (253). */
const MAX_MBAP_LENGTH = 254;

/** A read request: header then function, address, quantity (12 bytes). */
export function buildMbapReadRequest(
  transactionId: number,
  unit: number,
  table: RegisterTable,
  address: number,
  count: number,
): Buffer {
  const rtu = buildReadRequest(unit, table, address, count);
  const out = Buffer.alloc(MBAP_HEADER_LENGTH + 5);
  out.writeUInt16BE(transactionId & 0xffff, 0);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(6, 4);
  rtu.copy(out, 6, 0, 6); // unit, function, address, quantity
  return out;
}

/**
 * The frame-length rule for SerialLine.transact (see FrameLength): the answer must carry our
 * transaction id, protocol 0 and our unit id; its length comes from the header.
 */
export function mbapFrameLength(transactionId: number, unit: number): (buf: Buffer) => number {
  const hi = (transactionId >> 8) & 0xff;
  const lo = transactionId & 0xff;
  return (buf) => {
    if (buf.length >= 1 && buf[0] !== hi) return -1;
    if (buf.length >= 2 && buf[1] !== lo) return -1;
    if (buf.length >= 3 && buf[2] !== 0) return -1;
    if (buf.length >= 4 && buf[3] !== 0) return -1;
    if (buf.length < 6) return 0;
    const length = buf.readUInt16BE(4);
    if (length < 3 || length > MAX_MBAP_LENGTH) return -1;
    if (buf.length >= 7 && buf[6] !== unit) return -1;
    return 6 + length;
  };
}

/**
 * Checks an answer to buildMbapReadRequest and returns its values, throwing as parseReadResponse
 * does: AgentError MODBUS_EXCEPTION (context exceptionCode) or MODBUS_BAD_RESPONSE.
 */
export function parseMbapReadResponse(
  frame: Buffer,
  transactionId: number,
  unit: number,
  table: RegisterTable,
  count: number,
): number[] {
  if (frame.length < MBAP_HEADER_LENGTH + 2) {
    throw new AgentError('MODBUS_BAD_RESPONSE', `answer of ${frame.length} bytes is too short`, {
      reason: 'length',
    });
  }
  if (frame.readUInt16BE(0) !== (transactionId & 0xffff) || frame.readUInt16BE(2) !== 0) {
    throw new AgentError('MODBUS_BAD_RESPONSE', 'answer to another transaction', { reason: 'function' });
  }
  if (frame.readUInt16BE(4) !== frame.length - 6) {
    throw new AgentError('MODBUS_BAD_RESPONSE', 'MBAP length does not match the answer', {
      reason: 'length',
    });
  }
  const rtu = withCrc(Buffer.concat([frame.subarray(6, 7), frame.subarray(MBAP_HEADER_LENGTH)]));
  return parseReadResponse(rtu, unit, table, count);
}
