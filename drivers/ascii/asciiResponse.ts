/**
 * Answers of text-protocol analyzers: framing by terminator, a regex with named groups that picks
 * the values out, an optional checksum, and number parsing.
 *
 * Checksums (`checksum` in the config; the value is the `checksum` named group of the pattern, hex,
 * any case). Each covers the bytes of the answer text from its first byte up to the first byte of
 * the `checksum` group, after the surrounding CR/LF were stripped (see answerText):
 *   none       no checksum (default)
 *   sum8-hex   sum of the covered bytes mod 256, as 2 hex digits
 *   xor8-hex   XOR of the covered bytes, as 2 hex digits
 *   sum16-hex  sum of the covered bytes mod 65536, as 4 hex digits
 * Which one an analyzer uses, and exactly which bytes it covers, is a fact of its manual: a profile
 * states it with its source.
 */

export const CHECKSUMS = ['none', 'sum8-hex', 'xor8-hex', 'sum16-hex'] as const;
export type ChecksumKind = (typeof CHECKSUMS)[number];

/** A frame longer than this without a terminator is garbage (a wrong baud rate produces endless noise). */
export const MAX_FRAME_BYTES = 1024;

const CR = 0x0d;
const LF = 0x0a;

/**
 * The frameLength function for a transport: > 0 a complete frame, 0 need more, -1 garbage.
 * Leading CR/LF are skipped before looking for the terminator: an analyzer that ends its answers
 * with "\r\n" on a line configured for "\r" leaves a "\n" that starts the next read, and an empty
 * line is never an answer.
 */
export function terminatorFrameLength(
  terminator: Buffer,
  maxBytes = MAX_FRAME_BYTES,
): (buf: Buffer) => number {
  if (terminator.length === 0) throw new RangeError('the terminator must not be empty');
  return (buf) => {
    let start = 0;
    while (start < buf.length && (buf[start] === CR || buf[start] === LF)) start++;
    const at = buf.indexOf(terminator, start);
    if (at >= 0) return at + terminator.length;
    return buf.length > maxBytes ? -1 : 0;
  };
}

/** The frame as text (one character per byte), without the terminator and surrounding CR/LF. */
export function answerText(frame: Buffer, terminator: Buffer): string {
  const tail = frame.subarray(Math.max(0, frame.length - terminator.length));
  const body = tail.equals(terminator) ? frame.subarray(0, frame.length - terminator.length) : frame;
  return body.toString('latin1').replace(/^[\r\n]+|[\r\n]+$/g, '');
}

/** The names of the named groups in a regex source, e.g. ["o3", "unit"]. */
export function groupNames(source: string): string[] {
  // `(?<name>` starts a named group; `(?<=` and `(?<!` (lookbehinds) do not match the identifier start.
  return [...source.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]!);
}

/** The regex compile error for `source`, or undefined when it compiles (for config validation). */
export function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export type MatchResult =
  | { kind: 'ok'; fields: Record<string, string | undefined> }
  | { kind: 'no-match' }
  | { kind: 'bad-checksum'; expected: string; got: string };

/** Matches `text` against `pattern` and verifies its checksum; fields are the named groups. */
export function matchAnswer(text: string, pattern: RegExp, checksum: ChecksumKind): MatchResult {
  const m = pattern.exec(text);
  if (!m) return { kind: 'no-match' };
  const fields: Record<string, string | undefined> = { ...(m.groups ?? {}) };
  if (checksum === 'none') return { kind: 'ok', fields };

  const got = fields.checksum;
  const start = m.indices?.groups?.checksum?.[0];
  if (got === undefined || start === undefined) return { kind: 'no-match' };
  const expected = computeChecksum(checksum, Buffer.from(text.slice(0, start), 'latin1'));
  if (got.toLowerCase() !== expected.toLowerCase()) return { kind: 'bad-checksum', expected, got };
  return { kind: 'ok', fields };
}

/**
 * Compiles a config pattern. The `d` flag records group positions, which the checksum needs to know
 * where the covered text ends.
 */
export function compilePattern(source: string): RegExp {
  return new RegExp(source, 'd');
}

/** The checksum text an analyzer would append after `covered`. */
export function computeChecksum(kind: Exclude<ChecksumKind, 'none'>, covered: Buffer): string {
  switch (kind) {
    case 'sum8-hex':
      return hex(sum(covered) & 0xff, 2);
    case 'xor8-hex':
      return hex(
        covered.reduce((acc, b) => acc ^ b, 0),
        2,
      );
    case 'sum16-hex':
      return hex(sum(covered) & 0xffff, 4);
  }
}

function sum(bytes: Buffer): number {
  let s = 0;
  for (const b of bytes) s += b;
  return s;
}

function hex(n: number, digits: number): string {
  return n.toString(16).toUpperCase().padStart(digits, '0');
}

// Plain or scientific: 12, -3.5, +.5, 7., 1.23E-02, 7349E-3 (C-Link style mantissa and exponent).
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A number as analyzers write it, or undefined for anything else ("----", "OVER", "1.2.3", "").
 * Stricter than Number(): Number accepts "0x1F", "Infinity" and "" (as 0), none of which is a
 * measurement.
 */
export function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (!NUMBER_RE.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}
