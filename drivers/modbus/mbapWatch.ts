/**
 * A second reader of the bytes modbus-serial's TcpPort receives, cutting them into MBAP frames by
 * exactly its rule (more than 6 bytes buffered, then the length field), to report what it does not
 * check, so that no value is taken from such a frame:
 * - the protocol id: modbus-serial takes any; a frame whose id is not 0 is no Modbus answer;
 * - the byte count of a read answer (functions 1-4) against the frame's length: modbus-serial reads
 *   as many bytes as the byte count says, past the end of the data (into the CRC it appends).
 *
 * Both found by tests/fuzz/modbusTcp.test.ts. Memory is bounded as modbus-serial's own buffer is:
 * at most one frame (the length field's 65535 + 6 bytes) is held.
 */

/** MBAP header bytes before the length field's span: transaction id, protocol id, length. */
const MBAP_PREFIX = 6;

export class MbapFrameWatch {
  private rx: Buffer = Buffer.alloc(0);

  constructor(private readonly onBadFrame: (reason: string) => void) {}

  push(chunk: Buffer): void {
    this.rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk]);
    while (this.rx.length > MBAP_PREFIX) {
      const length = this.rx.readUInt16BE(4);
      if (this.rx.length < length + MBAP_PREFIX) return;
      const frame = this.rx.subarray(0, length + MBAP_PREFIX);
      this.rx = this.rx.subarray(length + MBAP_PREFIX);
      const reason = badFrameReason(frame);
      if (reason !== undefined) this.onBadFrame(reason);
    }
  }
}

/** Why a complete MBAP frame is no acceptable read answer, or undefined. */
export function badFrameReason(frame: Buffer): string | undefined {
  const protocolId = frame.readUInt16BE(2);
  if (protocolId !== 0) return `answer with MBAP protocol id ${protocolId}`;
  // unit (6), function (7), byte count (8), data
  const fc = frame[7];
  const byteCount = frame[8];
  if (fc !== undefined && fc >= 1 && fc <= 4 && byteCount !== frame.length - 9) {
    return `byte count ${byteCount ?? 'missing'} in an answer with ${Math.max(0, frame.length - 9)} data bytes`;
  }
  return undefined;
}
