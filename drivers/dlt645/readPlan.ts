import { type BcdLayout, decodeBcd } from './bcd.js';
import { type Dlt645Protocol, parseIdentifier } from './dataIdentifiers.js';

/**
 * From a meter's channels to the reads a poll makes: channels that share an identifier (the
 * elements of a block such as 0201FF00) cost one request together, and each channel takes its
 * value from its place in the answer. A channel whose bytes are missing or not BCD gets a reason
 * instead of a value; the other channels of the same answer keep theirs.
 */

export interface PlannedChannel {
  id: string;
  di: string;
  /** Index in a block answer; undefined for a single value. */
  element?: number;
  format: BcdLayout;
}

export interface PlannedRead {
  di: number;
  channels: PlannedChannel[];
}

export type ChannelValue =
  | { id: string; ok: true; value: number }
  | { id: string; ok: false; reason: string };

/** One read per distinct identifier, in the order the channels first name them. */
export function planReads(protocol: Dlt645Protocol, channels: readonly PlannedChannel[]): PlannedRead[] {
  const byDi = new Map<number, PlannedRead>();
  for (const ch of channels) {
    const di = parseIdentifier(protocol, ch.di);
    if (di === undefined)
      throw new RangeError(`channel ${ch.id}: "${ch.di}" is no DL/T 645-${protocol} identifier`);
    const read = byDi.get(di) ?? { di, channels: [] };
    read.channels.push(ch);
    byDi.set(di, read);
  }
  return [...byDi.values()];
}

/** The value of every channel of `read` from the answer's value bytes. */
export function decodeRead(read: PlannedRead, payload: Uint8Array): ChannelValue[] {
  return read.channels.map((ch) => {
    const size = ch.format.bytes;
    const at = (ch.element ?? 0) * size;
    if (ch.element === undefined && payload.length !== size) {
      return {
        id: ch.id,
        ok: false,
        reason: `answer of ${payload.length} bytes where ${size} were expected`,
      };
    }
    if (at + size > payload.length) {
      return {
        id: ch.id,
        ok: false,
        reason: `answer of ${payload.length} bytes has no element ${ch.element}`,
      };
    }
    const decoded = decodeBcd(payload.subarray(at, at + size), ch.format);
    return decoded.ok
      ? { id: ch.id, ok: true, value: decoded.value }
      : { id: ch.id, ok: false, reason: decoded.reason };
  });
}
