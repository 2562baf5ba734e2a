import { dialectOfFlag } from './codes.js';
import { type DataSegment, isHeaderValue } from './dataSegment.js';

/**
 * What a received frame did differently from the strict form and was accepted all the same
 * ("liberal on receive, strict on send"). The decoder reports them with the frame; the connection
 * owner counts them and logs each once per peer. Sending never produces any of them.
 */
export const TOLERANCES = {
  'no-qn': 'no QN: the request id is missing, a reply gets a QN of our own',
  'empty-mn': 'empty or missing MN',
  'odd-mn': 'an MN of an unexpected form (too long, blanks, or not 24 hex digits under 2025)',
  'length-in-chars': 'the length field counts characters, not UTF-8 bytes',
  'length-of-plaintext': 'the length field counts the plaintext, not the encrypted data segment sent',
  'crc-lowercase': 'the CRC is written in lowercase hex',
  'crc-over-chars': 'the CRC was computed over UTF-16 characters, not UTF-8 bytes',
  'crc-modbus': 'the CRC is CRC-16/MODBUS, not the HJ 212 routine',
  'no-crlf': 'the frame ends without CRLF',
} as const;
export type Tolerance = keyof typeof TOLERANCES;

const MAX_MN = 24;

/** The tolerances a parsed segment needed: QN and MN (the frame-level ones come from the decoder). */
export function segmentTolerances(seg: DataSegment): Tolerance[] {
  const found: Tolerance[] = [];
  if (seg.qn === '') found.push('no-qn');
  if (seg.mn === '') found.push('empty-mn');
  else if (isOddMn(seg.mn, seg.flag)) found.push('odd-mn');
  return found;
}

function isOddMn(mn: string, flag: number): boolean {
  if (!isHeaderValue(mn) || mn.length > MAX_MN) return true;
  // The edition's own form, if it prescribes one (2025: 24 uppercase hex digits).
  const wireMn = dialectOfFlag(flag)?.wireMn;
  return wireMn !== undefined && !wireMn.test(mn);
}

/**
 * The MN to put in a reply to `mn`: echoed when it can be written back as a header value (an empty
 * one can), otherwise `fallback` (the replying side's own idea of the station's MN).
 */
export function replyMn(mn: string, fallback: string): string {
  return isHeaderValue(mn) ? mn : fallback;
}

/** Two MNs name the same station: blanks around them and hex letter case do not matter. */
export function sameMn(a: string, b: string): boolean {
  return a.trim().toUpperCase() === b.trim().toUpperCase();
}
