import { isEncryptedCn } from './codes.js';
import { formatCrc, hj212Crc } from './crc.js';
import {
  type DataSegment,
  formatDataSegment,
  headerHint,
  locateCp,
  parseDataSegment,
  parseHeader,
} from './dataSegment.js';
import { unwrapFrame, wrapFrame } from './frame.js';
import { type Rejection, reject } from './rejection.js';
import { cipherContentLength, decryptCp, encryptCp, type Sm4Setting } from './sm4.js';
import { splitSegment } from './split.js';

/** What both directions of one link agree on: encryption, and which CNs it applies to. */
export interface CodecOptions {
  /** HJ 212-2025 SM4; absent = plaintext. */
  sm4?: Sm4Setting;
  /** CNs whose CP is encrypted when sm4 is set. Default: 2000–2999, 1014, 3020 (`isEncryptedCn`). */
  encrypts?: (cn: string) => boolean;
}

export interface EncodeOptions extends CodecOptions {
  /** New QNs for the parts of a split message after the first. Required only when a split happens. */
  nextQn?: () => string;
}

export interface DecodedFrame {
  ok: true;
  segment: DataSegment;
  /** The CP arrived SM4-encrypted and was decrypted. */
  encrypted: boolean;
}

function encrypting(opts: CodecOptions, cn: string): Sm4Setting | undefined {
  return opts.sm4 !== undefined && (opts.encrypts ?? isEncryptedCn)(cn) ? opts.sm4 : undefined;
}

/** One frame for one data segment, as is (no splitting; see `encodeMessage`). */
export function encodeFrame(seg: DataSegment, opts: CodecOptions = {}): Buffer {
  const plain = Buffer.from(formatDataSegment(seg), 'utf8');
  // CRC over the plaintext, then encrypt (HJ 212-2025): the receiver decrypts before checking.
  const crc = hj212Crc(plain);
  const sm4 = encrypting(opts, seg.cn);
  return wrapFrame(sm4 === undefined ? plain : encryptCp(plain, sm4), crc);
}

/** Wire sizes of a segment after encryption: what the 1024/950 limits are checked against. */
function measure(opts: CodecOptions) {
  return (seg: DataSegment) => {
    const text = formatDataSegment(seg);
    const loc = locateCp(text)!; // formatDataSegment always emits CP=&&…&&
    const content = Buffer.byteLength(text.slice(loc.contentStart, loc.contentEnd), 'utf8');
    const sm4 = encrypting(opts, seg.cn);
    const cp =
      'CP=&&&&'.length + (sm4 === undefined ? content : cipherContentLength(content, sm4.ciphertext));
    return { segment: Buffer.byteLength(loc.header, 'utf8') + cp, cp };
  };
}

/**
 * The frames for one message: one, or several with PNUM/PNO when the data segment would exceed 1024
 * bytes or its CP 950 (measured as sent, so hex ciphertext counts double). Throws on a message that
 * cannot be emitted (a value with a separator in it, no `nextQn` for a needed split): those are bugs.
 */
export function encodeMessage(seg: DataSegment, opts: EncodeOptions = {}): Buffer[] {
  const nextQn =
    opts.nextQn ??
    (() => {
      throw new Error('HJ 212: this message must be split, and no nextQn was given for the parts');
    });
  return splitSegment(seg, { measure: measure(opts), nextQn }).map((part) => encodeFrame(part, opts));
}

/**
 * Decodes one complete frame. Never throws: anything wrong comes back as a Rejection naming the reason,
 * with whatever header fields could be read so the sender can still be answered.
 */
export function decodeFrame(frame: Uint8Array, opts: CodecOptions = {}): DecodedFrame | Rejection {
  const unwrapped = unwrapFrame(frame);
  if (!unwrapped.ok) return unwrapped;
  const { segment: wire, crc } = unwrapped.value;

  // The header is plain even when the CP is not: read it first to learn the CN (and QN, for answers).
  const wireText = wire.toString('latin1');
  const loc = locateCp(wireText);
  const fields = parseHeader(Buffer.from(loc?.header ?? wireText, 'latin1').toString('utf8'));
  const header = fields.ok ? headerHint(fields.value) : {};

  const sm4 = header.cn === undefined ? undefined : encrypting(opts, header.cn);
  let plain = wire;
  if (sm4 !== undefined) {
    const decrypted = decryptCp(wire, sm4);
    if (!decrypted.ok) return { ...decrypted, header };
    plain = decrypted.value;
  }

  const actual = hj212Crc(plain);
  if (actual !== crc) {
    const what = sm4 === undefined ? 'data segment' : 'decrypted data segment (is the SM4 key right?)';
    return reject('bad-crc', `CRC field ${formatCrc(crc)}, CRC of the ${what} ${formatCrc(actual)}`, {
      header,
    });
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return reject('bad-encoding', 'data segment is not valid UTF-8', { header });
  }
  const parsed = parseDataSegment(text);
  if (!parsed.ok) return parsed;
  return { ok: true, segment: parsed.value, encrypted: sm4 !== undefined };
}
