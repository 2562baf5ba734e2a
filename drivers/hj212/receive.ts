import type { CodecOptions } from './codecOptions.js';
import { formatCrc, hj212Crc, hj212CrcOfChars, modbusCrc16 } from './crc.js';
import { type DataSegment, headerHint, locateCp, parseDataSegment, parseHeader } from './dataSegment.js';
import { characterCounts, lengthMismatch, unwrapFrame } from './frame.js';
import { type HeaderHint, type Rejection, reject } from './rejection.js';
import { layoutLabel, resolveLayout, type Sm4Layout } from './sm4Layout.js';
import { ciphertextShape, sm4Readings } from './sm4Read.js';
import { segmentTolerances, type Tolerance } from './tolerance.js';

/**
 * Receiving a frame, liberally: every SM4 layout a sender may have used (sm4Layout.ts), a length
 * counted in bytes or characters, a lowercase CRC or one computed over characters, no CRLF, no
 * QN, an odd MN. What was tolerated is reported with the frame, for the owner to count and log.
 */
export interface DecodedFrame {
  ok: true;
  segment: DataSegment;
  /** The CP arrived SM4-encrypted and was decrypted. */
  encrypted: boolean;
  /** How it was encrypted (`layoutLabel`, e.g. `sm4-raw-crc-plaintext`), when it was. */
  variant?: string;
  /** What the frame did differently from the strict form (tolerance.ts). */
  tolerated: Tolerance[];
}

/** One way of reading the data segment: as it is, or with its CP decrypted per some layout. */
interface Candidate {
  plain: Buffer;
  layout?: Omit<Sm4Layout, 'crc'>;
  /** As it is, but its CP has the shape of ciphertext: not to be parsed as plain fields. */
  ciphertext?: Sm4Layout['encoding'];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Which data segment the CRC field was computed over, if any. With 256 possible values both match
 * once in 256 encrypted frames: then the receiver's own setting names it.
 */
function crcOver(
  crc: number,
  plain: Buffer,
  wire: Buffer,
  preferred: Sm4Layout['crc'],
): { over: Sm4Layout['crc']; also?: Tolerance } | undefined {
  const overPlain = crc === hj212Crc(plain);
  const overWire = crc === hj212Crc(wire);
  if (overPlain && overWire) return { over: preferred };
  if (overPlain) return { over: 'plaintext' };
  if (overWire) return { over: 'ciphertext' };
  if (plain.some((b) => b >= 0x80)) {
    const t = text(plain);
    if (t !== undefined && crc === hj212CrcOfChars(t)) return { over: 'plaintext', also: 'crc-over-chars' };
  }
  if (crc === modbusCrc16(plain)) return { over: 'plaintext', also: 'crc-modbus' };
  if (crc === modbusCrc16(wire)) return { over: 'ciphertext', also: 'crc-modbus' };
  return undefined;
}

/**
 * What the length field counted: the bytes sent (strict), their characters, or the plaintext of an
 * encrypted segment (appendix A.2 prints its encrypted examples with the plaintext length).
 */
function lengthTolerance(declared: number, wire: Buffer, plain: Buffer): Tolerance | null | 'bad' {
  if (declared === wire.length) return null;
  if (characterCounts(wire).includes(declared)) return 'length-in-chars';
  if (plain !== wire && (declared === plain.length || characterCounts(plain).includes(declared))) {
    return 'length-of-plaintext';
  }
  return 'bad';
}

function candidates(wire: Buffer, opts: CodecOptions): Candidate[] {
  const found: Candidate[] = [];
  const loc = locateCp(wire.toString('latin1'));
  if (opts.sm4 !== undefined && loc !== undefined && loc.contentEnd > loc.contentStart) {
    const head = wire.subarray(0, loc.contentStart);
    const end = wire.subarray(loc.contentEnd);
    for (const r of sm4Readings(wire.subarray(loc.contentStart, loc.contentEnd), opts.sm4.key, opts.sm4)) {
      found.push({ plain: Buffer.concat([head, r.plain, end]), layout: r.layout });
    }
  }
  // As it is last, and only if it does not look encrypted: `…03A4g=N` would parse as a plain
  // field when the CRC is over what was sent and no key decrypts it.
  const shape =
    loc === undefined ? undefined : ciphertextShape(wire.subarray(loc.contentStart, loc.contentEnd));
  found.push(shape === undefined ? { plain: wire } : { plain: wire, ciphertext: shape });
  return found;
}

function headerOf(wire: Buffer): HeaderHint {
  const wireText = wire.toString('latin1');
  const loc = locateCp(wireText);
  // The header is plain even when the CP is not: read it to answer a rejected frame with its QN.
  const fields = parseHeader(Buffer.from(loc?.header ?? wireText, 'latin1').toString('utf8'));
  return fields.ok ? headerHint(fields.value) : {};
}

/**
 * Decodes one complete frame. Never throws: anything wrong comes back as a Rejection naming the
 * reason, with whatever header fields could be read so the sender can still be answered.
 */
export function decodeFrame(frame: Uint8Array, opts: CodecOptions = {}): DecodedFrame | Rejection {
  const unwrapped = unwrapFrame(frame);
  if (!unwrapped.ok) return unwrapped;
  const { segment: wire, crc, declared } = unwrapped.value;
  const header = headerOf(wire);
  const all = candidates(wire, opts);
  let parseFailure: Rejection | undefined;
  for (const c of all) {
    const check = crcOver(crc, c.plain, wire, resolveLayout(opts.sm4).crc);
    if (check === undefined) continue;
    if (c.ciphertext !== undefined) {
      const why = opts.sm4 === undefined ? 'no SM4 key is set' : 'it does not decrypt with this SM4 key';
      parseFailure ??= reject('bad-cp', `CP looks like SM4 ciphertext (${c.ciphertext}) and ${why}`, {
        header,
      });
      continue;
    }
    const t = text(c.plain);
    if (t === undefined) {
      parseFailure ??= reject('bad-encoding', 'data segment is not valid UTF-8', { header });
      continue;
    }
    const parsed = parseDataSegment(t);
    if (!parsed.ok) {
      parseFailure ??= parsed;
      continue;
    }
    const length = lengthTolerance(declared, wire, c.plain);
    if (length === 'bad') return reject('bad-length', lengthMismatch(declared, wire));
    const tolerated: Tolerance[] = [];
    if (length !== null) tolerated.push(length);
    if (unwrapped.value.crcLowercase) tolerated.push('crc-lowercase');
    if (check.also !== undefined) tolerated.push(check.also);
    if (!unwrapped.value.crlf) tolerated.push('no-crlf');
    tolerated.push(...segmentTolerances(parsed.value));
    const decoded: DecodedFrame = {
      ok: true,
      segment: parsed.value,
      encrypted: c.layout !== undefined,
      tolerated,
    };
    if (c.layout !== undefined) decoded.variant = layoutLabel({ ...c.layout, crc: check.over });
    return decoded;
  }
  // No boundary to trust: the header cannot be trusted either (no answer, see qnRtnFor).
  if (lengthTolerance(declared, wire, wire) === 'bad') {
    return reject('bad-length', lengthMismatch(declared, wire));
  }
  const decrypted = all.length > 1;
  if (parseFailure !== undefined) {
    if (!decrypted) return parseFailure;
    return { ...parseFailure, detail: `${parseFailure.detail} (or SM4 ciphertext under another key)` };
  }
  const what = decrypted
    ? 'data segment, or of any SM4 decryption of it (is the SM4 key right?)'
    : 'data segment';
  return reject('bad-crc', `CRC field ${formatCrc(crc)}, CRC of the ${what} ${formatCrc(hj212Crc(wire))}`, {
    header,
  });
}
