import { WILDCARD_ADDRESS } from './bcd.js';
import {
  type Dlt645Protocol,
  decodeIdentifier,
  encodeIdentifier,
  identifierBytes,
} from './dataIdentifiers.js';
import { controlBits, type Dlt645Frame } from './frame.js';
import { decodeMeterErrorByte, type MeterErrorName } from './meterErrors.js';

/**
 * The requests a reading master sends and what their answers mean. Function codes per protocol:
 * 2007 read 11 (answers 91 / B1 more follows / D1 error), read follow-up 12 with a sequence byte
 * (92 / B2 / D2), read address 13 (93); 1997 read 01 (81 / A1 / C1).
 */

export const CONTROL = {
  read2007: 0x11,
  readFollowUp2007: 0x12,
  readAddress2007: 0x13,
  read1997: 0x01,
} as const;

export function readRequest(protocol: Dlt645Protocol, address: string, di: number): Dlt645Frame {
  return {
    address,
    control: protocol === '2007' ? CONTROL.read2007 : CONTROL.read1997,
    data: encodeIdentifier(protocol, di),
  };
}

/** 2007 only: the next part of a long answer; `sequence` counts 1, 2, … per follow-up. */
export function followUpRequest(address: string, di: number, sequence: number): Dlt645Frame {
  const data = new Uint8Array(5);
  data.set(encodeIdentifier('2007', di), 0);
  data[4] = sequence & 0xff;
  return { address, control: CONTROL.readFollowUp2007, data };
}

/** 2007: "who is there?" to the wildcard address; only sensible with a single meter on the line. */
export function readAddressRequest(): Dlt645Frame {
  return { address: WILDCARD_ADDRESS, control: CONTROL.readAddress2007, data: new Uint8Array(0) };
}

export type ReadAnswer =
  | { kind: 'data'; di: number; payload: Uint8Array; moreFollows: boolean; sequence?: number }
  | { kind: 'error'; errorByte: number; errors: MeterErrorName[] }
  /** A valid frame that answers something else (another meter, another DI, an echo of a request). */
  | { kind: 'unrelated'; why: string }
  | { kind: 'malformed'; why: string };

/**
 * What `answer` says about the read (or follow-up, when `followUp` is set) of `di` at `address`.
 * Pure and total: any frame gets a kind, nothing throws.
 */
export function interpretReadAnswer(
  protocol: Dlt645Protocol,
  request: Dlt645Frame,
  answer: Dlt645Frame,
): ReadAnswer {
  const bits = controlBits(answer.control);
  const asked = controlBits(request.control);
  if (!bits.fromMeter) return { kind: 'unrelated', why: 'a request (echo or another master)' };
  if (bits.func !== asked.func)
    return { kind: 'unrelated', why: `function ${bits.func} answers another request` };
  if (!addressMatches(request.address, answer.address)) {
    return { kind: 'unrelated', why: `from meter ${answer.address}` };
  }
  if (bits.abnormal) {
    if (answer.data.length < 1) return { kind: 'malformed', why: 'error answer without its error byte' };
    const errorByte = answer.data[0]!;
    return { kind: 'error', errorByte, errors: decodeMeterErrorByte(errorByte, protocol) };
  }
  const idLen = identifierBytes(protocol);
  const followUp = protocol === '2007' && asked.func === CONTROL.readFollowUp2007;
  const minLen = idLen + (followUp ? 1 : 0);
  if (answer.data.length < minLen) {
    return { kind: 'malformed', why: `answer of ${answer.data.length} bytes is shorter than its identifier` };
  }
  const di = decodeIdentifier(answer.data.subarray(0, idLen));
  const askedDi = decodeIdentifier(request.data.subarray(0, idLen));
  if (di !== askedDi) return { kind: 'unrelated', why: `answers identifier ${di.toString(16)}` };
  if (!followUp)
    return { kind: 'data', di, payload: answer.data.subarray(idLen), moreFollows: bits.moreFollows };
  return {
    kind: 'data',
    di,
    payload: answer.data.subarray(idLen, answer.data.length - 1),
    moreFollows: bits.moreFollows,
    sequence: answer.data[answer.data.length - 1]!,
  };
}

/**
 * Whether an answer's address fits the asked one: equal, or equal outside the asked address's AA
 * pairs (many meters take AA as "any digit pair", so a master that does not know the full address
 * of the only meter on a line may read it as AAAAAAAAAAAA or AAAAAAAA0001).
 */
export function addressMatches(asked: string, answered: string): boolean {
  const a = asked.toUpperCase();
  const b = answered.toUpperCase();
  for (let i = 0; i < 12; i += 2) {
    const pair = a.slice(i, i + 2);
    if (pair !== 'AA' && pair !== b.slice(i, i + 2)) return false;
  }
  return b.length === 12;
}
