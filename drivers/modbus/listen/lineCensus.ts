import type { PairerEvent } from './requestPairer.js';
import { isReadFunction, TABLE_OF_FUNCTION } from './rtuMessages.js';

/**
 * What passes on the line, for `read --listen` / `scan --listen`: which units are polled, with
 * which function codes, over which register ranges, how often, and how they answer. Built from the
 * pairer's events over a sliding window (events older than `windowMs` are forgotten).
 */

export interface LineCensusOptions {
  /** Default 60 s. */
  windowMs?: number;
}

export interface RangeSeen {
  readonly address: number;
  readonly quantity: number;
  readonly requests: number;
}

export interface FunctionCensus {
  readonly unit: number;
  readonly fn: number;
  /** holding/input/coil/discrete for reads; undefined for writes. */
  readonly table: string | undefined;
  readonly requests: number;
  readonly answers: number;
  readonly noAnswer: number;
  /** Exception code → count. */
  readonly exceptions: Record<number, number>;
  readonly ranges: RangeSeen[];
  /** Requests per minute over the time the window covers. */
  readonly requestsPerMin: number;
  readonly answersPerMin: number;
}

export interface CensusSummary {
  readonly from: number;
  readonly to: number;
  readonly units: number[];
  readonly functions: FunctionCensus[];
  /** Answer-shaped frames the pairer refused, by reason. */
  readonly discarded: Record<string, number>;
}

type Timed = { at: number; e: PairerEvent };

export class LineCensus {
  private readonly windowMs: number;
  private readonly events: Timed[] = [];
  private startedAt: number | undefined;

  constructor(opts: LineCensusOptions = {}) {
    this.windowMs = opts.windowMs ?? 60_000;
  }

  event(e: PairerEvent): void {
    const at = timeOf(e);
    this.startedAt ??= at;
    this.events.push({ at, e });
    this.prune(at);
  }

  summary(now: number): CensusSummary {
    this.prune(now);
    const from = Math.max(now - this.windowMs, this.startedAt ?? now);
    const minutes = Math.max(now - from, 1) / 60_000;
    const byKey = new Map<string, MutableFunction>();
    const discarded: Record<string, number> = {};
    const get = (unit: number, fn: number): MutableFunction => {
      const key = `${unit}:${fn}`;
      let f = byKey.get(key);
      if (!f) {
        f = { unit, fn, requests: 0, answers: 0, noAnswer: 0, exceptions: {}, ranges: new Map() };
        byKey.set(key, f);
      }
      return f;
    };
    for (const { e } of this.events) {
      switch (e.kind) {
        case 'request': {
          const f = get(e.unit, e.fn);
          f.requests++;
          const key = `${e.address}+${e.quantity}`;
          const r = f.ranges.get(key) ?? { address: e.address, quantity: e.quantity, requests: 0 };
          f.ranges.set(key, { ...r, requests: r.requests + 1 });
          break;
        }
        case 'read':
          get(e.read.unit, functionOfTable(e.read.table)).answers++;
          break;
        case 'writeAnswer':
          get(e.unit, e.fn).answers++;
          break;
        case 'exception': {
          const f = get(e.unit, e.fn);
          f.exceptions[e.code] = (f.exceptions[e.code] ?? 0) + 1;
          break;
        }
        case 'noAnswer':
          get(e.unit, e.fn).noAnswer++;
          break;
        case 'discarded':
          discarded[e.reason] = (discarded[e.reason] ?? 0) + 1;
          break;
      }
    }
    const functions = [...byKey.values()]
      .sort((a, b) => a.unit - b.unit || a.fn - b.fn)
      .map((f) => ({
        unit: f.unit,
        fn: f.fn,
        table: isReadFunction(f.fn) ? TABLE_OF_FUNCTION[f.fn] : undefined,
        requests: f.requests,
        answers: f.answers,
        noAnswer: f.noAnswer,
        exceptions: f.exceptions,
        ranges: [...f.ranges.values()].sort((a, b) => a.address - b.address || a.quantity - b.quantity),
        requestsPerMin: f.requests / minutes,
        answersPerMin: f.answers / minutes,
      }));
    const units = [...new Set(functions.map((f) => f.unit))];
    return { from, to: now, units, functions, discarded };
  }

  private prune(now: number): void {
    while (this.events.length > 0 && this.events[0]!.at < now - this.windowMs) this.events.shift();
  }
}

interface MutableFunction {
  unit: number;
  fn: number;
  requests: number;
  answers: number;
  noAnswer: number;
  exceptions: Record<number, number>;
  ranges: Map<string, RangeSeen>;
}

function functionOfTable(table: string): number {
  return table === 'coil' ? 1 : table === 'discrete' ? 2 : table === 'holding' ? 3 : 4;
}

function timeOf(e: PairerEvent): number {
  switch (e.kind) {
    case 'request':
    case 'discarded':
      return e.at;
    case 'read':
      return e.read.answerAt;
    case 'exception':
    case 'writeAnswer':
      return e.answerAt;
    case 'noAnswer':
      return e.requestAt;
  }
}
