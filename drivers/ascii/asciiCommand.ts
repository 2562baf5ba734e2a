/**
 * Commands of text-protocol analyzers, written in the config as text with escapes.
 *
 * Escapes: \r \n \t \\ and \xHH (one byte, two hex digits). YAML double quotes already turn "\r"
 * into a carriage return before we see it, so both `command: "o3\r"` and `command: 'o3\r'` mean
 * the same bytes. Text is sent one byte per character (latin1): analyzer protocols are byte
 * protocols, and \xHH must be able to produce any byte 0x00-0xFF.
 */

export class EscapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EscapeError';
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { r: '\r', n: '\n', t: '\t', '\\': '\\' };

/** The bytes `text` stands for. Throws EscapeError for an unknown escape or a character above 0xFF. */
export function parseEscapes(text: string): Buffer {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== '\\') {
      if (ch.charCodeAt(0) > 0xff) {
        throw new EscapeError(`"${ch}" is not a single byte: write it as \\xHH escapes`);
      }
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined)
      throw new EscapeError('the text ends with a lone "\\" (write \\\\ for a backslash)');
    if (next === 'x') {
      const hex = text.slice(i + 2, i + 4);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw new EscapeError(`"\\x" needs two hex digits (got "\\x${hex}")`);
      }
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 3;
      continue;
    }
    const simple = SIMPLE_ESCAPES[next];
    if (simple === undefined) {
      throw new EscapeError(`unknown escape "\\${next}" (allowed: \\r \\n \\t \\\\ \\xHH)`);
    }
    out += simple;
    i += 1;
  }
  return Buffer.from(out, 'latin1');
}

/** The EscapeError message for `text`, or undefined when it parses (for config validation). */
export function escapeProblem(text: string): string | undefined {
  try {
    parseEscapes(text);
    return undefined;
  } catch (err) {
    return err instanceof EscapeError ? err.message : String(err);
  }
}

export interface CommandSpec {
  /** Command text with escapes, e.g. "o3". */
  command: string;
  /** Sent first when set, e.g. 128 + instrument id for Thermo C-Link on a shared RS-485 line. */
  prefixByte?: number;
  /** Line end appended to the command (escapes allowed), e.g. "\r". */
  terminator: string;
}

/** The request bytes: [prefixByte] command terminator. */
export function buildRequest(spec: CommandSpec): Buffer {
  const parts = [parseEscapes(spec.command), parseEscapes(spec.terminator)];
  if (spec.prefixByte !== undefined) parts.unshift(Buffer.from([spec.prefixByte & 0xff]));
  return Buffer.concat(parts);
}

/** Bytes shown to people (logs, test failures): printable ASCII as is, the rest as \xHH. */
export function showBytes(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}
