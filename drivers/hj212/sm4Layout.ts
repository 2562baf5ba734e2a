import { SM4_BLOCK, sm4Encrypt } from './sm4.js';

/**
 * How SM4 ciphertext is laid out in an HJ 212-2025 frame. The standard (§6.4.2, appendix A.2)
 * settles the cipher but platforms differ on the rest, so each part is a setting (docs/hj212.md,
 * "SM4 layouts", says who does what):
 * - `encoding`: the cipher bytes as they are (`raw`), as hex digits, as base64, or written the way
 *   appendix A.2 prints them, `{0xE4,0x3E,…}` (`braces`).
 * - `crc`: over the plaintext data segment (the standard: "先完成CRC校验并组包，再对数据段加密") or
 *   over the data segment as sent (`ciphertext`: platforms that check frames before decrypting).
 * - `padding`: `none` (the standard: a tail shorter than 16 bytes stays plain), or the whole CP
 *   content padded to whole blocks (`pkcs7`, `zero`) as general-purpose SM4 helpers do by default.
 * - `tail`: with no padding and a text encoding, whether the plain tail follows the encoded blocks
 *   as text (`plain`, as appendix A.2 prints `…0xA4}g=N`) or is encoded with them (`encoded`).
 * - `field`: empty (the ciphertext is the CP content), or the name of the one CP field it is
 *   written in (`CP=&&EncryptedData=E43E…&&`), as some simulators do.
 * The length field always counts the bytes sent.
 */
export const SM4_ENCODINGS = ['raw', 'hex', 'base64', 'braces'] as const;
export const SM4_CRCS = ['plaintext', 'ciphertext'] as const;
export const SM4_PADDINGS = ['none', 'pkcs7', 'zero'] as const;
export const SM4_TAILS = ['plain', 'encoded'] as const;

export interface Sm4Layout {
  encoding: (typeof SM4_ENCODINGS)[number];
  crc: (typeof SM4_CRCS)[number];
  padding: (typeof SM4_PADDINGS)[number];
  tail: (typeof SM4_TAILS)[number];
  /** '' or a CP key (letters, digits, `_`; a letter first; at most 32). */
  field: string;
}

/** A key and how ciphertext is laid out when sending; unset layout parts are the standard's. */
export type Sm4Setting = { key: Uint8Array } & Partial<Sm4Layout>;

/** What `field` may be: a CP key that parses back as a plain field. */
export const SM4_FIELD = /^([A-Za-z][A-Za-z0-9_]{0,31})?$/;

/** What the standard's text says, read as bytes on the wire (docs/hj212.md quotes the clauses). */
export const STANDARD_LAYOUT: Sm4Layout = {
  encoding: 'raw',
  crc: 'plaintext',
  padding: 'none',
  tail: 'plain',
  field: '',
};

/** One preset per platform family we found (docs/hj212.md, "SM4 layouts", cites each). */
export const SM4_PRESETS = {
  standard: STANDARD_LAYOUT,
  'printed-example': { encoding: 'braces', crc: 'plaintext', padding: 'none', tail: 'plain', field: '' },
  'crc-as-sent': { encoding: 'hex', crc: 'ciphertext', padding: 'none', tail: 'plain', field: '' },
  'crc-as-sent-raw': { encoding: 'raw', crc: 'ciphertext', padding: 'none', tail: 'plain', field: '' },
  'hex-pkcs7': { encoding: 'hex', crc: 'ciphertext', padding: 'pkcs7', tail: 'plain', field: '' },
  'encrypted-data-field': {
    encoding: 'hex',
    crc: 'ciphertext',
    padding: 'zero',
    tail: 'plain',
    field: 'EncryptedData',
  },
} as const satisfies Record<string, Sm4Layout>;
export type Sm4Preset = keyof typeof SM4_PRESETS;
export const SM4_PRESET_NAMES = Object.keys(SM4_PRESETS) as Sm4Preset[];

/**
 * A complete layout. Parts that mean nothing in a combination are normalised (a raw or padded
 * content has no separate tail), so two layouts that write the same bytes compare equal.
 */
export function resolveLayout(parts: Partial<Sm4Layout> = {}): Sm4Layout {
  const l = { ...STANDARD_LAYOUT, ...parts };
  if (l.encoding === 'raw' || l.padding !== 'none') l.tail = 'plain';
  // A field holds text: raw bytes are written in the CP itself.
  return {
    encoding: l.encoding,
    crc: l.crc,
    padding: l.padding,
    tail: l.tail,
    field: l.encoding === 'raw' ? '' : l.field,
  };
}

/**
 * A short stable name for logs and metric labels: `sm4-raw-crc-plaintext`,
 * `sm4-hex-crc-ciphertext-pkcs7`, `sm4-hex-in-EncryptedData-crc-ciphertext-zero`.
 */
export function layoutLabel(layout: Sm4Layout): string {
  const l = resolveLayout(layout);
  const tail = l.tail === 'encoded' ? '-all' : '';
  const field = l.field === '' ? '' : `-in-${l.field}`;
  const pad = l.padding === 'none' ? '' : `-${l.padding}`;
  return `sm4-${l.encoding}${tail}${field}-crc-${l.crc}${pad}`;
}

/** The plaintext as it goes through the cipher: padded or not, split into whole blocks and a tail. */
function blocksOf(plain: Buffer, padding: Sm4Layout['padding']): { blocks: Buffer; tail: Buffer } {
  let data = plain;
  if (padding === 'pkcs7') {
    const p = SM4_BLOCK - (plain.length % SM4_BLOCK);
    data = Buffer.concat([plain, Buffer.alloc(p, p)]);
  } else if (padding === 'zero') {
    data = Buffer.concat([plain, Buffer.alloc((SM4_BLOCK - (plain.length % SM4_BLOCK)) % SM4_BLOCK, 0)]);
  }
  const whole = data.length - (data.length % SM4_BLOCK);
  return { blocks: data.subarray(0, whole), tail: data.subarray(whole) };
}

/** `{0xE4,0x3E}` as appendix A.2 prints ciphertext: uppercase, comma-separated, no blanks. */
export function formatBraces(bytes: Uint8Array): Buffer {
  return Buffer.from(
    `{${[...bytes].map((b) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`).join(',')}}`,
  );
}

function encodeBytes(bytes: Buffer, encoding: Exclude<Sm4Layout['encoding'], 'raw'>): Buffer {
  switch (encoding) {
    case 'hex':
      return Buffer.from(bytes.toString('hex').toUpperCase(), 'latin1');
    case 'base64':
      return Buffer.from(bytes.toString('base64'), 'latin1');
    case 'braces':
      return formatBraces(bytes);
  }
}

/**
 * The CP content as it goes on the wire: `plain` (the bytes between `CP=&&` and `&&`) encrypted
 * and encoded per `layout`. An empty content stays empty (nothing to encrypt), except that braces
 * write `{}`, as the appendix's notation does for "no cipher block".
 */
export function encodeContent(plain: Buffer, key: Uint8Array, layout: Sm4Layout): Buffer {
  if (plain.length === 0) return layout.encoding === 'braces' ? Buffer.from('{}') : plain;
  const { blocks, tail } = blocksOf(plain, layout.padding);
  // No block: nothing to encrypt, and a field holding no ciphertext would read as a plain one.
  if (blocks.length === 0 && layout.field !== '') return plain;
  const cipher = blocks.length === 0 ? Buffer.alloc(0) : sm4Encrypt(key, blocks);
  if (layout.encoding === 'raw') return Buffer.concat([cipher, tail]);
  const field = Buffer.from(layout.field === '' ? '' : `${layout.field}=`, 'latin1');
  if (layout.tail === 'encoded') {
    return Buffer.concat([field, encodeBytes(Buffer.concat([cipher, tail]), layout.encoding)]);
  }
  return Buffer.concat([field, encodeBytes(cipher, layout.encoding), tail]);
}

function encodedSize(bytes: number, encoding: Sm4Layout['encoding']): number {
  switch (encoding) {
    case 'raw':
      return bytes;
    case 'hex':
      return 2 * bytes;
    case 'base64':
      return 4 * Math.ceil(bytes / 3);
    case 'braces':
      return bytes === 0 ? 2 : 5 * bytes + 1;
  }
}

/** Bytes `encodeContent` writes for a plaintext content of `plainLength` bytes (for splitting). */
export function encodedContentLength(plainLength: number, layout: Sm4Layout): number {
  if (plainLength === 0) return layout.encoding === 'braces' ? 2 : 0;
  let data = plainLength;
  if (layout.padding === 'pkcs7') data += SM4_BLOCK - (plainLength % SM4_BLOCK);
  else if (layout.padding === 'zero') data += (SM4_BLOCK - (plainLength % SM4_BLOCK)) % SM4_BLOCK;
  const tail = data % SM4_BLOCK;
  if (data === tail && layout.field !== '') return plainLength;
  const field = layout.field === '' ? 0 : layout.field.length + 1;
  if (layout.encoding === 'raw' || layout.tail === 'encoded')
    return field + encodedSize(data, layout.encoding);
  return field + encodedSize(data - tail, layout.encoding) + tail;
}
