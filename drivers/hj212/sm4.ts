import { createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * HJ 212-2025 §6.4.2 SM4: ECB, no padding of its own, 16-byte key, over the CP content in whole
 * 16-byte blocks (a tail shorter than 16 bytes stays plain). This module is the cipher and the key;
 * how the ciphertext is laid out in a frame (raw, hex…, CRC over what) is `sm4Layout.ts`, reading
 * it back whatever the layout is `sm4Read.ts`. Node's OpenSSL provides `sm4-ecb`.
 */

export const SM4_BLOCK = 16;

/**
 * The key as configured or handed out by a 1014 (`NewSK`, 16 characters): its UTF-8 bytes. Some
 * platforms hand out 32 hex digits instead (16 bytes written as hex): those are decoded, as no
 * 16-byte text key is 32 characters long.
 */
export function sm4KeyFromText(text: string): Uint8Array {
  if (/^[0-9A-Fa-f]{32}$/.test(text)) return Buffer.from(text, 'hex');
  const key = Buffer.from(text, 'utf8');
  if (key.length !== SM4_BLOCK) {
    throw new Error(`SM4 key must be 16 bytes (or 32 hex digits), got ${key.length} bytes`);
  }
  return key;
}

/** True for a key text `sm4KeyFromText` takes. */
export function isSm4KeyText(text: string): boolean {
  return /^[0-9A-Fa-f]{32}$/.test(text) || Buffer.byteLength(text, 'utf8') === SM4_BLOCK;
}

function crypt(decrypt: boolean, key: Uint8Array, data: Uint8Array): Buffer {
  if (key.length !== SM4_BLOCK) throw new Error(`SM4 key must be 16 bytes, got ${key.length}`);
  if (data.length % SM4_BLOCK !== 0) throw new Error(`SM4 ECB needs whole blocks, got ${data.length} bytes`);
  const c = decrypt ? createDecipheriv('sm4-ecb', key, null) : createCipheriv('sm4-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** SM4-ECB of whole blocks. */
export function sm4Encrypt(key: Uint8Array, blocks: Uint8Array): Buffer {
  return crypt(false, key, blocks);
}

export function sm4Decrypt(key: Uint8Array, blocks: Uint8Array): Buffer {
  return crypt(true, key, blocks);
}
