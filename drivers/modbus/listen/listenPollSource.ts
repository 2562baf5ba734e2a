import type { ObservedRead, PairerEvent } from './requestPairer.js';
import { isReadFunction, type ListenTable, TABLE_OF_FUNCTION } from './rtuMessages.js';

/**
 * Readings without polling: the registers each configured device needs, taken from the answers
 * another master's polling puts on the line. Per device:
 * - every answer that covers one of its register blocks yields the block's values, stamped when
 *   that answer passed; once every block has been refreshed, a `sample` carries them all (what one
 *   poll cycle of the agent would have read);
 * - the usual interval is learned from the requests that cover its blocks (or given);
 * - no covering answer for `silentAfterIntervals` of those intervals: `silent` (the link is lost);
 *   the next covering answer: `resumed`, then values again.
 */

export interface RegisterNeed {
  readonly table: ListenTable;
  readonly address: number;
  readonly count: number;
}

export interface ListenDevice {
  readonly id: string;
  readonly unit: number;
  readonly needs: readonly RegisterNeed[];
  /** The other master's polling interval, if known; otherwise learned from its requests. */
  readonly intervalMs?: number;
}

export interface BlockValues extends RegisterNeed {
  readonly words?: number[];
  readonly bits?: boolean[];
  /** When the answer it came from passed. */
  readonly answerAt: number;
}

export type PollSourceEvent =
  | { kind: 'block'; device: string; block: BlockValues }
  | { kind: 'sample'; device: string; blocks: BlockValues[]; at: number }
  | { kind: 'silent'; device: string; lastAnswerAt: number | undefined; intervalMs: number; at: number }
  | { kind: 'resumed'; device: string; at: number };

export interface ListenPollSourceOptions {
  devices: readonly ListenDevice[];
  /** Default 3. */
  silentAfterIntervals?: number;
}

/** Request gaps kept per block for the median interval. */
const INTERVAL_HISTORY = 8;

interface NeedState {
  readonly need: RegisterNeed;
  lastRequestAt: number | undefined;
  readonly gaps: number[];
  fresh: BlockValues | undefined;
}

interface DeviceState {
  readonly device: ListenDevice;
  readonly needs: NeedState[];
  lastAnswerAt: number | undefined;
  /** Reported silent and not heard since. */
  silent: boolean;
}

export class ListenPollSource {
  private readonly devices: DeviceState[];
  private readonly silentAfter: number;

  constructor(opts: ListenPollSourceOptions) {
    this.silentAfter = opts.silentAfterIntervals ?? 3;
    this.devices = opts.devices.map((device) => ({
      device,
      needs: device.needs.map((need) => ({ need, lastRequestAt: undefined, gaps: [], fresh: undefined })),
      lastAnswerAt: undefined,
      silent: false,
    }));
  }

  /** Feeds one pairer event; returns what it means for the devices. */
  event(e: PairerEvent): PollSourceEvent[] {
    if (e.kind === 'request') this.request(e.unit, e.fn, e.address, e.quantity, e.at);
    if (e.kind === 'read') return this.read(e.read);
    return [];
  }

  /** Time passed: devices whose master fell silent. */
  tick(now: number): PollSourceEvent[] {
    const out: PollSourceEvent[] = [];
    for (const d of this.devices) {
      if (d.silent) continue;
      const intervalMs = this.intervalOf(d);
      if (intervalMs === undefined) continue;
      const since = d.lastAnswerAt ?? this.firstRequestAt(d);
      if (since === undefined) continue;
      if (now - since > this.silentAfter * intervalMs) {
        d.silent = true;
        out.push({ kind: 'silent', device: d.device.id, lastAnswerAt: d.lastAnswerAt, intervalMs, at: now });
      }
    }
    return out;
  }

  /** The device's usual polling interval: given, or the median request gap of its slowest block. */
  intervalOf(d: DeviceState | string): number | undefined {
    const state = typeof d === 'string' ? this.devices.find((x) => x.device.id === d) : d;
    if (!state) return undefined;
    if (state.device.intervalMs !== undefined) return state.device.intervalMs;
    let slowest: number | undefined;
    for (const n of state.needs) {
      if (n.gaps.length === 0) continue;
      const sorted = [...n.gaps].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      slowest = slowest === undefined ? median : Math.max(slowest, median);
    }
    return slowest;
  }

  private firstRequestAt(d: DeviceState): number | undefined {
    const times = d.needs.map((n) => n.lastRequestAt).filter((t): t is number => t !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  private request(unit: number, fn: number, address: number, quantity: number, at: number): void {
    if (!isReadFunction(fn)) return;
    const table = TABLE_OF_FUNCTION[fn];
    for (const d of this.devices) {
      if (d.device.unit !== unit) continue;
      for (const n of d.needs) {
        if (!covers(table, address, quantity, n.need)) continue;
        if (n.lastRequestAt !== undefined && at > n.lastRequestAt) {
          n.gaps.push(at - n.lastRequestAt);
          if (n.gaps.length > INTERVAL_HISTORY) n.gaps.shift();
        }
        n.lastRequestAt = at;
      }
    }
  }

  private read(r: ObservedRead): PollSourceEvent[] {
    const out: PollSourceEvent[] = [];
    const length = r.words?.length ?? r.bits?.length ?? 0;
    for (const d of this.devices) {
      if (d.device.unit !== r.unit) continue;
      let covered = false;
      for (const n of d.needs) {
        if (!covers(r.table, r.startAddress, length, n.need)) continue;
        const from = n.need.address - r.startAddress;
        const block: BlockValues = {
          ...n.need,
          ...(r.words ? { words: r.words.slice(from, from + n.need.count) } : {}),
          ...(r.bits ? { bits: r.bits.slice(from, from + n.need.count) } : {}),
          answerAt: r.answerAt,
        };
        if (!covered && d.silent) {
          d.silent = false;
          out.push({ kind: 'resumed', device: d.device.id, at: r.answerAt });
        }
        covered = true;
        n.fresh = block;
        out.push({ kind: 'block', device: d.device.id, block });
      }
      if (!covered) continue;
      d.lastAnswerAt = r.answerAt;
      if (d.needs.every((n) => n.fresh !== undefined)) {
        const blocks = d.needs.map((n) => n.fresh!);
        for (const n of d.needs) n.fresh = undefined;
        out.push({
          kind: 'sample',
          device: d.device.id,
          blocks,
          at: Math.max(...blocks.map((b) => b.answerAt)),
        });
      }
    }
    return out;
  }
}

function covers(table: ListenTable, address: number, quantity: number, need: RegisterNeed): boolean {
  return table === need.table && address <= need.address && need.address + need.count <= address + quantity;
}
