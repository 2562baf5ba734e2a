import { REGISTER_TABLES, type RegisterTable } from './registers.js';

/**
 * Turns a device's register map into the fewest read requests. Analyzers answer slowly (tens of
 * milliseconds per transaction) and a bus carries one transaction at a time, so reading a few unused
 * registers to save a round trip is a good trade; mergeGap bounds how many.
 */

export interface RegisterItem {
  /** Caller's name for the item (a channel id, the status register); returned in `items`. */
  key: string;
  table: RegisterTable;
  /** 0-based PDU address of the first register (or bit). */
  address: number;
  /** Registers (or bits for coil/discrete) the item occupies. */
  count: number;
}

export interface PlannedRequest {
  table: RegisterTable;
  address: number;
  count: number;
  /** Items answered by this request; `offset` is the item's first register within the answer. */
  items: { key: string; offset: number }[];
}

export interface PlanOptions {
  /** Unread registers (bits for coil/discrete) a merged request may span. Default 8. */
  mergeGap?: number;
  /** Word tables (holding/input). Default and protocol limit 125. */
  maxRegistersPerRequest?: number;
  /** Bit tables (coil/discrete). Default and protocol limit 2000. */
  maxBitsPerRequest?: number;
}

export const DEFAULT_MERGE_GAP = 8;
export const MAX_REGISTERS_PER_REQUEST = 125;
export const MAX_BITS_PER_REQUEST = 2000;

/**
 * Per table (in REGISTER_TABLES order), items sorted by address are merged greedily into the current
 * request while the gap to it is ≤ mergeGap and the merged span stays ≤ the table's maximum.
 * Overlapping items share a request. The greedy sweep is optimal for non-overlapping items (each
 * request starts at the first uncovered item and extends as far as allowed).
 *
 * An item larger than the maximum (say float32 on a device limited to 1 register per request) gets
 * a request of its own size rather than being split: a value read in two transactions can tear.
 * maxRegistersPerRequest applies to word tables only; bit tables have their own (much larger) limit.
 *
 * Deterministic: same input, same plan, independent of input order (ties broken by count, then key).
 */
export function planRequests(items: readonly RegisterItem[], options: PlanOptions = {}): PlannedRequest[] {
  const mergeGap = options.mergeGap ?? DEFAULT_MERGE_GAP;
  const maxWords = Math.min(
    options.maxRegistersPerRequest ?? MAX_REGISTERS_PER_REQUEST,
    MAX_REGISTERS_PER_REQUEST,
  );
  const maxBits = Math.min(options.maxBitsPerRequest ?? MAX_BITS_PER_REQUEST, MAX_BITS_PER_REQUEST);
  for (const item of items) {
    if (
      !Number.isInteger(item.address) ||
      item.address < 0 ||
      !Number.isInteger(item.count) ||
      item.count < 1
    ) {
      throw new RangeError(`register item "${item.key}" has address ${item.address}, count ${item.count}`);
    }
  }

  const plan: PlannedRequest[] = [];
  for (const table of REGISTER_TABLES) {
    const max = table === 'coil' || table === 'discrete' ? maxBits : maxWords;
    const sorted = items
      .filter((i) => i.table === table)
      .sort((a, b) => a.address - b.address || b.count - a.count || compareKeys(a.key, b.key));

    let current: { address: number; end: number; members: RegisterItem[] } | undefined;
    const flush = () => {
      if (!current) return;
      const start = current.address;
      plan.push({
        table,
        address: start,
        count: current.end - start,
        items: current.members.map((m) => ({ key: m.key, offset: m.address - start })),
      });
    };

    for (const item of sorted) {
      const itemEnd = item.address + item.count;
      if (current) {
        const gap = item.address - current.end; // negative when the item overlaps the request
        const mergedEnd = Math.max(current.end, itemEnd);
        if (gap <= mergeGap && mergedEnd - current.address <= max) {
          current.end = mergedEnd;
          current.members.push(item);
          continue;
        }
        flush();
      }
      current = { address: item.address, end: itemEnd, members: [item] };
    }
    flush();
  }
  return plan;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
