import type { CodecOptions } from './codecOptions.js';
import { isEncryptedCn } from './codes.js';
import { hj212Crc } from './crc.js';
import { type DataSegment, formatDataSegment, locateCp } from './dataSegment.js';
import { wrapFrame } from './frame.js';
import { encodeContent, encodedContentLength, resolveLayout, type Sm4Layout } from './sm4Layout.js';
import { splitSegment } from './split.js';

export type { CodecOptions } from './codecOptions.js';
export { type DecodedFrame, decodeFrame } from './receive.js';

export interface EncodeOptions extends CodecOptions {
  /** New QNs for the parts of a split message after the first. Required only when a split happens. */
  nextQn?: () => string;
}

function encrypting(opts: CodecOptions, cn: string): { key: Uint8Array; layout: Sm4Layout } | undefined {
  const sm4 = opts.sm4;
  if (sm4 === undefined || !(opts.encrypts ?? isEncryptedCn)(cn)) return undefined;
  return { key: sm4.key, layout: resolveLayout(sm4) };
}

/** The data segment with its CP content encrypted and laid out per `layout` (sm4Layout.ts). */
function encryptSegment(plain: Buffer, key: Uint8Array, layout: Sm4Layout): Buffer {
  const loc = locateCp(plain.toString('latin1'));
  if (loc === undefined) return plain;
  return Buffer.concat([
    plain.subarray(0, loc.contentStart),
    encodeContent(plain.subarray(loc.contentStart, loc.contentEnd), key, layout),
    plain.subarray(loc.contentEnd),
  ]);
}

/** One frame for one data segment, as is (no splitting; see `encodeMessage`). */
export function encodeFrame(seg: DataSegment, opts: CodecOptions = {}): Buffer {
  const plain = Buffer.from(formatDataSegment(seg), 'utf8');
  const sm4 = encrypting(opts, seg.cn);
  if (sm4 === undefined) return wrapFrame(plain, hj212Crc(plain));
  const wire = encryptSegment(plain, sm4.key, sm4.layout);
  // The standard's order: CRC over the plaintext, then encrypt; some platforms check what is sent.
  return wrapFrame(wire, hj212Crc(sm4.layout.crc === 'plaintext' ? plain : wire));
}

/** Wire sizes of a segment after encryption: what the 1024/950 limits are checked against. */
function measure(opts: CodecOptions) {
  return (seg: DataSegment) => {
    const text = formatDataSegment(seg);
    const loc = locateCp(text)!; // formatDataSegment always emits CP=&&…&&
    const content = Buffer.byteLength(text.slice(loc.contentStart, loc.contentEnd), 'utf8');
    const sm4 = encrypting(opts, seg.cn);
    const cp = 'CP=&&&&'.length + (sm4 === undefined ? content : encodedContentLength(content, sm4.layout));
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
