import { SM4_BLOCK, sm4Decrypt } from './sm4.js';
import { resolveLayout, type Sm4Layout } from './sm4Layout.js';

/**
 * Reads SM4 ciphertext back whatever layout a sender chose (sm4Layout.ts): every plausible reading
 * of a CP content, each with the plaintext it decrypts to. Which reading is right is decided by the
 * caller (the CRC, then the parser): the CRC alone is weak (256 values), the parse of decrypted
 * garbage is not. Never throws.
 */
export interface Sm4Reading {
  /** The layout minus `crc`, which only the frame's CRC field can tell. */
  layout: Omit<Sm4Layout, 'crc'>;
  /** The decrypted CP content, padding removed. */
  plain: Buffer;
}

type Form = { encoding: Sm4Layout['encoding']; tail: Sm4Layout['tail']; cipher: Buffer; rest: Buffer };

const HEX = /[0-9A-Fa-f]/;
const BASE64 = /[A-Za-z0-9+/]/;

/** Hex: 32 digits per block then a plain tail, or the whole content as hex (tail encoded). */
function hexForms(content: Buffer): Form[] {
  const text = content.toString('latin1');
  let run = 0;
  while (run < text.length && HEX.test(text[run]!)) run++;
  const forms: Form[] = [];
  const digits = run - (run % (2 * SM4_BLOCK));
  if (digits > 0 && text.length - digits < SM4_BLOCK) {
    forms.push({
      encoding: 'hex',
      tail: 'plain',
      cipher: Buffer.from(text.slice(0, digits), 'hex'),
      rest: content.subarray(digits),
    });
  }
  // A plain CP is never all hex (it has `=`), so even a short one is the tail, encoded.
  if (run === text.length && run > 0 && run % 2 === 0 && (run / 2) % SM4_BLOCK !== 0) {
    const bytes = Buffer.from(text, 'hex');
    const whole = bytes.length - (bytes.length % SM4_BLOCK);
    forms.push({
      encoding: 'hex',
      tail: 'encoded',
      cipher: bytes.subarray(0, whole),
      rest: bytes.subarray(whole),
    });
  }
  return forms;
}

const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);

/** A run of base64 text that decodes to exactly `bytes` bytes, '=' only as its final padding. */
function base64Run(text: string, length: number): boolean {
  if (length > text.length || length % 4 !== 0) return false;
  const body = text.slice(0, length).replace(/={1,2}$/, '');
  for (const ch of body) if (!BASE64.test(ch)) return false;
  return true;
}

/** Base64: the encoded blocks then a plain tail, or the whole content as base64 (tail encoded). */
function base64Forms(content: Buffer): Form[] {
  const text = content.toString('latin1');
  const forms: Form[] = [];
  // Each block adds at least 20 characters, more than a tail can have: at most one block count fits.
  for (let blocks = 1; base64Length(blocks * SM4_BLOCK) <= text.length; blocks++) {
    const length = base64Length(blocks * SM4_BLOCK);
    if (text.length - length < SM4_BLOCK && base64Run(text, length)) {
      const cipher = Buffer.from(text.slice(0, length), 'base64');
      // Without its '=' padding the run is text that only looks like base64 (hex digits do).
      if (cipher.length === blocks * SM4_BLOCK) {
        forms.push({ encoding: 'base64', tail: 'plain', cipher, rest: content.subarray(length) });
      }
    }
  }
  if (text.length > 0 && base64Run(text, text.length)) {
    const bytes = Buffer.from(text, 'base64');
    const whole = bytes.length - (bytes.length % SM4_BLOCK);
    if (bytes.length % SM4_BLOCK !== 0) {
      forms.push({
        encoding: 'base64',
        tail: 'encoded',
        cipher: bytes.subarray(0, whole),
        rest: bytes.subarray(whole),
      });
    }
  }
  return forms;
}

/** `{0xE4,0x3E,…}` then a plain tail, blanks and either case tolerated; `{}` means no block. */
function bracesForm(content: Buffer): Form[] {
  const text = content.toString('latin1');
  const m = /^\{([ \t]*0[xX][0-9A-Fa-f]{2}[ \t]*(,[ \t]*0[xX][0-9A-Fa-f]{2}[ \t]*)*)?\}/.exec(text);
  if (m === null) return [];
  const bytes = Buffer.from(
    (m[1] ?? '')
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((s) => Number.parseInt(s.trim().slice(2), 16)),
  );
  const rest = content.subarray(m[0].length);
  const whole = bytes.length - (bytes.length % SM4_BLOCK);
  if (whole === bytes.length) return [{ encoding: 'braces', tail: 'plain', cipher: bytes, rest }];
  // Cipher blocks and the tail bytes all inside the braces: the tail was encoded with them.
  if (rest.length > 0) return [];
  return [
    { encoding: 'braces', tail: 'encoded', cipher: bytes.subarray(0, whole), rest: bytes.subarray(whole) },
  ];
}

/** Raw cipher bytes: whole blocks, then a plain tail. */
function rawForm(content: Buffer): Form[] {
  const whole = content.length - (content.length % SM4_BLOCK);
  if (whole === 0) return [];
  return [
    { encoding: 'raw', tail: 'plain', cipher: content.subarray(0, whole), rest: content.subarray(whole) },
  ];
}

/**
 * Padding added before encrypting, recognised on the decrypted bytes: a CP content is text, so it
 * never ends in 0x01–0x10 or 0x00 itself.
 */
function unpad(plain: Buffer): { plain: Buffer; padding: Sm4Layout['padding'] } {
  const last = plain[plain.length - 1];
  if (last !== undefined && last >= 1 && last <= SM4_BLOCK && last <= plain.length) {
    if (plain.subarray(plain.length - last).every((b) => b === last)) {
      return { plain: plain.subarray(0, plain.length - last), padding: 'pkcs7' };
    }
  }
  if (last === 0) {
    let end = plain.length;
    while (end > 0 && plain[end - 1] === 0) end--;
    return { plain: plain.subarray(0, end), padding: 'zero' };
  }
  return { plain, padding: 'none' };
}

const ORDER: Sm4Layout['encoding'][] = ['braces', 'hex', 'base64', 'raw'];
const TEXT_ENCODINGS = ['braces', 'hex', 'base64'] as const;

type FieldForm = Form & { field: string };

function formsOf(content: Buffer, encoding: Sm4Layout['encoding']): Form[] {
  switch (encoding) {
    case 'hex':
      return hexForms(content);
    case 'base64':
      return base64Forms(content);
    case 'braces':
      return bracesForm(content);
    case 'raw':
      return rawForm(content);
  }
}

const FIELD = /^([A-Za-z][A-Za-z0-9_]{0,31})[ \t]*=[ \t]*/;

/**
 * Every form of the content: as the CP itself, and as the value of its first field (`Name=…`),
 * text encodings only and with at least one block (a plain field's short value is no ciphertext).
 */
function allForms(content: Buffer): FieldForm[] {
  const forms: FieldForm[] = ORDER.flatMap((e) => formsOf(content, e).map((f) => ({ ...f, field: '' })));
  const m = FIELD.exec(content.toString('latin1'));
  if (m !== null) {
    const inner = content.subarray(m[0].length);
    for (const e of TEXT_ENCODINGS) {
      for (const f of formsOf(inner, e)) if (f.cipher.length > 0) forms.push({ ...f, field: m[1]! });
    }
  }
  return forms;
}

/** Field names we have seen ciphertext written in (docs/hj212.md), besides a link's own. */
const KNOWN_FIELDS = ['EncryptedData', 'Cipher', 'CipherText'];

/**
 * The text encoding a CP content has the shape of (whole blocks of hex, base64 or `{0x..}`, as
 * the CP or in a known ciphertext field), or undefined. A plain CP never has: its keys are short
 * words. Raw ciphertext shows as invalid text.
 */
export function ciphertextShape(content: Buffer, ownField = ''): Sm4Layout['encoding'] | undefined {
  const fields = new Set(['', ownField, ...KNOWN_FIELDS]);
  return allForms(content).find(
    (f) =>
      f.encoding !== 'raw' && fields.has(f.field) && f.cipher.length > 0 && f.cipher.length % SM4_BLOCK === 0,
  )?.encoding;
}

/**
 * The readings of a CP content as SM4 ciphertext under `key`, those of the `preferred` layout (a
 * link's own) first. Empty when the content cannot be ciphertext.
 *
 * One ambiguity the bytes cannot settle: hex or base64 whose plain tail is itself hex digits (or
 * base64) reads both as "blocks + tail as text" and as "everything encoded". With the CRC over the
 * plaintext only the right reading checks out; with the CRC over what is sent both may parse, and
 * the preferred layout decides: a receiver should be set up for its sender's layout.
 */
export function sm4Readings(content: Buffer, key: Uint8Array, preferred?: Partial<Sm4Layout>): Sm4Reading[] {
  const pref = resolveLayout(preferred);
  const rank = (f: FieldForm) =>
    (f.encoding === pref.encoding ? 0 : 4) +
    (f.field === pref.field ? 0 : 2) +
    (f.tail === pref.tail ? 0 : 1);
  const forms = allForms(content);
  // Stable: within a rank, ORDER (and within an encoding, tail as text before tail encoded).
  forms.sort((a, b) => rank(a) - rank(b));
  const readings: Sm4Reading[] = [];
  for (const form of forms) {
    if (form.cipher.length % SM4_BLOCK !== 0) continue;
    // No block and the tail as it is: nothing was encrypted, the content reads as plain.
    if (form.cipher.length === 0 && form.encoding !== 'braces' && form.tail === 'plain') continue;
    const decrypted = form.cipher.length === 0 ? form.cipher : sm4Decrypt(key, form.cipher);
    // Padding covers the whole content: it cannot be followed by a tail.
    const { plain, padding } =
      form.rest.length === 0 ? unpad(decrypted) : { plain: decrypted, padding: 'none' as const };
    readings.push({
      layout: { encoding: form.encoding, tail: form.tail, padding, field: form.field },
      plain: Buffer.concat([plain, form.rest]),
    });
  }
  return readings;
}
