import { createCipheriv, createDecipheriv } from 'node:crypto';
import { locateCp } from './dataSegment.js';
import { type Result, reject } from './rejection.js';

/**
 * HJ 212-2025 encryption of the CP: SM4, ECB, no padding, 16-byte key, over the bytes between `CP=&&`
 * and the closing `&&` in whole 16-byte blocks; a tail shorter than 16 bytes stays plain. The CRC is
 * computed over the plaintext before encrypting, so a receiver decrypts first, then checks the CRC.
 *
 * How the ciphertext travels is not settled in the field, hence `ciphertext`:
 * - `raw`: the cipher bytes replace the plain bytes; the length field is unchanged (ECB without padding
 *   keeps the length), and the frame can only be delimited by its length (the bytes may hold CRLF).
 * - `hex`: each encrypted block becomes 32 hex digits (uppercase; either case accepted); the length
 *   field counts what is sent.
 */
export type CiphertextForm = 'raw' | 'hex';

export interface Sm4Setting {
  /** 16 bytes. A 16-character key (as `NewSK` carries it) is its ASCII bytes: see `sm4KeyFromText`. */
  key: Uint8Array;
  ciphertext: CiphertextForm;
}

const BLOCK = 16;

export function sm4KeyFromText(text: string): Uint8Array {
  const key = Buffer.from(text, 'utf8');
  if (key.length !== BLOCK) throw new Error(`SM4 key must be 16 bytes, got ${key.length}`);
  return key;
}

function crypt(decrypt: boolean, key: Uint8Array, data: Buffer): Buffer {
  if (key.length !== BLOCK) throw new Error(`SM4 key must be 16 bytes, got ${key.length}`);
  const c = decrypt ? createDecipheriv('sm4-ecb', key, null) : createCipheriv('sm4-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** The CP content range of a segment; bytes are viewed as latin1 so string offsets are byte offsets. */
function cpRange(segment: Buffer): { start: number; end: number } | undefined {
  const loc = locateCp(segment.toString('latin1'));
  return loc === undefined ? undefined : { start: loc.contentStart, end: loc.contentEnd };
}

/** Encrypts the CP content of a plaintext data segment. A segment without CP is returned unchanged. */
export function encryptCp(plainSegment: Buffer, setting: Sm4Setting): Buffer {
  const range = cpRange(plainSegment);
  if (range === undefined) return plainSegment;
  const content = plainSegment.subarray(range.start, range.end);
  const whole = content.length - (content.length % BLOCK);
  const cipher = crypt(false, setting.key, content.subarray(0, whole));
  const body =
    setting.ciphertext === 'hex' ? Buffer.from(cipher.toString('hex').toUpperCase(), 'latin1') : cipher;
  return Buffer.concat([
    plainSegment.subarray(0, range.start),
    body,
    content.subarray(whole),
    plainSegment.subarray(range.end),
  ]);
}

/** Bytes the CP content occupies on the wire for a plaintext content of `plainLength` bytes. */
export function cipherContentLength(plainLength: number, form: CiphertextForm): number {
  if (form === 'raw') return plainLength;
  const whole = plainLength - (plainLength % BLOCK);
  return whole * 2 + (plainLength - whole);
}

/** Reverses `encryptCp`. Hex ciphertext that is not hex, or of a length no plaintext gives, is refused. */
export function decryptCp(wireSegment: Buffer, setting: Sm4Setting): Result<Buffer> {
  const range = cpRange(wireSegment);
  if (range === undefined) return { ok: true, value: wireSegment };
  const content = wireSegment.subarray(range.start, range.end);
  let cipher: Buffer;
  let tail: Buffer;
  if (setting.ciphertext === 'raw') {
    const whole = content.length - (content.length % BLOCK);
    cipher = content.subarray(0, whole);
    tail = content.subarray(whole);
  } else {
    // 32 hex digits per block, then a plain tail of 0..15 bytes: the length alone says where it starts.
    const hexLength = content.length - (content.length % (2 * BLOCK));
    if (content.length - hexLength >= BLOCK) {
      return reject(
        'bad-ciphertext',
        `hex CP content of ${content.length} bytes: no plaintext length gives it`,
      );
    }
    const hex = content.subarray(0, hexLength).toString('latin1');
    if (!/^[0-9A-Fa-f]*$/.test(hex)) return reject('bad-ciphertext', 'CP ciphertext is not hex');
    cipher = Buffer.from(hex, 'hex');
    tail = content.subarray(hexLength);
  }
  const plain = crypt(true, setting.key, cipher);
  return {
    ok: true,
    value: Buffer.concat([
      wireSegment.subarray(0, range.start),
      plain,
      tail,
      wireSegment.subarray(range.end),
    ]),
  };
}
