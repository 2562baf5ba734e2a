import { basename } from 'node:path';
import type { ConfigProblem } from './configErrors.js';

/**
 * The configuration file's bytes as text. The file must be UTF-8 (a UTF-8 byte order mark is fine):
 * decoded leniently, a file saved in GBK, the default of many Chinese Windows editors, loads "valid"
 * with every Chinese name turned into U+FFFD, which then travels upstream. So the first byte that is
 * not UTF-8 is an error at its line and column, naming the encoding the file is probably in and how
 * to convert it.
 */

export type DecodedFile = { ok: true; text: string } | { ok: false; problem: ConfigProblem };

const UTF8_BOM = [0xef, 0xbb, 0xbf];

export function decodeConfigFile(bytes: Uint8Array, file: string): DecodedFile {
  // The BOM stays in the text (as before): the config hash is the hash of the file's bytes.
  const bad = firstInvalidUtf8(bytes);
  if (bad === undefined) {
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    if (!looksLikeUtf16(bytes)) return { ok: true, text };
  }
  const at = bad ?? bytes.indexOf(0);
  return {
    ok: false,
    problem: { file, ...positionOfByte(bytes, at), path: '', ...explain(bytes, at, file) },
  };
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence; undefined if none. */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Lead byte: sequence length and the allowed range of the second byte (no overlongs, no
    // surrogates, nothing past U+10FFFF), as the WHATWG decoder judges them.
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined) return i;
      const lo = k === 1 ? low : 0x80;
      const hi = k === 1 ? high : 0xbf;
      if (next < lo || next > hi) return i;
    }
    i += length;
  }
  return undefined;
}

/** 1-based line and column (in characters, as the YAML positions count them) of the byte at `offset`. */
function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = startsWith(bytes, UTF8_BOM) ? UTF8_BOM.length : 0;
  for (let i = lineStart; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // Everything before `offset` is valid UTF-8, so its decoded length is the column.
  const before = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, offset));
  return { line, column: before.length + 1 };
}

function explain(bytes: Uint8Array, offset: number, file: string): { message: string; hint: string } {
  const name = basename(file);
  const converted = name.replace(/(\.ya?ml)?$/i, '.utf8$1');
  const byte = `0x${(bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0')}`;
  if (looksLikeUtf16(bytes)) {
    return {
      message: 'the file is not UTF-8: it looks like UTF-16 (what Windows Notepad calls "Unicode")',
      hint: `save it as UTF-8: iconv -f UTF-16 -t UTF-8 ${name} > ${converted}, or in Notepad: File > Save As, Encoding: UTF-8`,
    };
  }
  const gbk = decodeGb18030(bytes);
  if (gbk !== undefined && /[\u3400-\u9fff]/.test(gbk)) {
    const line = positionOfByte(bytes, offset).line;
    return {
      message:
        `the file is not UTF-8 (byte ${byte} here): it looks like GBK/GB18030, the default of many ` +
        `Chinese Windows editors; read as GBK, line ${line} is: ${lineText(gbk, line)}`,
      hint:
        `save it as UTF-8: iconv -f GBK -t UTF-8 ${name} > ${converted} (then use that file), ` +
        'or in Notepad: File > Save As, Encoding: UTF-8',
    };
  }
  return {
    message: `the file is not UTF-8 (byte ${byte} here is not part of any UTF-8 character)`,
    hint: `save it as UTF-8 in your editor, or convert it: iconv -f <its encoding> -t UTF-8 ${name} > ${converted}`,
  };
}

/** The bytes as GB18030 (a superset of GBK); undefined when they are not GB18030 either. */
function decodeGb18030(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('gb18030', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** A UTF-16 byte order mark, or the NUL byte beside every ASCII character that UTF-16 text has. */
function looksLikeUtf16(bytes: Uint8Array): boolean {
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) return true;
  return bytes.length >= 2 && (bytes[0] === 0 || bytes[1] === 0);
}

function lineText(text: string, line: number): string {
  const shown = (text.split('\n')[line - 1] ?? '').trim();
  return shown.length > 60 ? `${shown.slice(0, 60)}…` : shown;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}
