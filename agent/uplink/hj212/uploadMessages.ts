import { CN } from '../../../drivers/hj212/codes.js';
import { channelDecimals } from '../../../drivers/hj212/factorFormats.js';
import { formatHjTime } from '../../../drivers/hj212/time.js';
import type { AggregateFlag } from '../../aggregation/flagRule.js';
import type { PeriodCalendar, PeriodKind } from '../../aggregation/periods.js';
import type { Hj212SendKind } from '../../config/hj212Schema.js';
import type { StationConfig } from '../../config/schema.js';
import type { StoredReading } from '../../core/reading.js';
import { valueText } from '../../core/valueText.js';
import type { StoredAggregate } from '../../store/aggregateStore.js';

/**
 * Stored rows → HJ 212 data messages (one per DataTime). Pure functions: the uplink and the
 * history handler build the same messages from the same rows.
 *
 * - Factor codes come from each channel's `code`. Two channels with the same code (a sonde's pH
 *   and an analyzer's pH) cannot be told apart upstream: the config loader refuses that unless one
 *   has `excludeUplinks: [<this uplink>]`, which keeps it local; should both reach here anyway, the
 *   channel configured first is sent (FactorOwners).
 * - Real-time (2011): a snapshot per rtdInterval. Each interval [T − i, T) gives one message with
 *   DataTime T and, per factor, the latest reading in it: the values "as of" T, which is what a
 *   data logger sampling every i seconds reports.
 * - Minute/hour/day (2051/2061/2031): one message per period start with Min/Avg/Max/Cou/Flag.
 */

export interface UploadMessage {
  cn: string;
  /** Epoch ms of DataTime (real-time: the interval end; aggregates: the period start). */
  at: number;
  dataTime: string;
  factors: Record<string, Record<string, string>>;
}

/** A channel as the stores know it (unit included: it is part of the stored identity). */
export interface SentChannel {
  device: string;
  channel: string;
  code: string;
  unit: string | null;
}

/** Which channel speaks for each factor code to uplink `uplinkId`, in config order. */
export class FactorOwners {
  private readonly byChannel = new Map<string, SentChannel & { order: number }>();
  private readonly decimals = new Map<string, number | null>();

  constructor(devices: StationConfig['devices'], uplinkId: string) {
    const taken = new Set<string>();
    for (const d of devices) {
      if (!d.enabled) continue;
      for (const ch of d.channels) {
        if (ch.code === undefined || taken.has(ch.code)) continue;
        if (ch.excludeUplinks?.includes(uplinkId)) continue;
        taken.add(ch.code);
        const order = this.byChannel.size;
        this.byChannel.set(key(d.id, ch.id), {
          device: d.id,
          channel: ch.id,
          code: ch.code,
          unit: ch.unit ?? null,
          order,
        });
        this.decimals.set(key(d.id, ch.id), channelDecimals(ch));
      }
    }
  }

  /** The code a channel is sent under, or undefined when it is not sent. */
  codeOf(device: string, channel: string): string | undefined {
    return this.byChannel.get(key(device, channel))?.code;
  }

  /** Digits after the point its values are sent with (factorFormats.ts); null: as measured. */
  decimalsOf(device: string, channel: string): number | null {
    return this.decimals.get(key(device, channel)) ?? null;
  }

  orderOf(device: string, channel: string): number {
    return this.byChannel.get(key(device, channel))?.order ?? Number.MAX_SAFE_INTEGER;
  }

  /** The channels that are sent, in config order: for history queries by channel. */
  channels(): SentChannel[] {
    return [...this.byChannel.values()].map(({ order: _order, ...ch }) => ch);
  }
}

function key(device: string, channel: string): string {
  return `${device}\u0000${channel}`;
}

/** End of the real-time interval containing `ts`: intervals are aligned on the local hour. */
export function rtdIntervalEnd(calendar: PeriodCalendar, ts: number, intervalMs: number): number {
  const hour = calendar.periodOf('hour', ts);
  const end = hour.start + (Math.floor((ts - hour.start) / intervalMs) + 1) * intervalMs;
  // An interval that does not divide the hour ends early at the hour rather than straddle it.
  return Math.min(end, hour.end);
}

/**
 * A value as CP text: with `decimals` (the channel's, else its factor code's format) exactly that many
 * digits after the point, else the value as measured; never an exponent (valueText.ts, docs/values.md).
 */
export function formatValue(v: number, decimals: number | null = null): string {
  return valueText(v, decimals);
}

export interface RealtimeOptions {
  owners: FactorOwners;
  calendar: PeriodCalendar;
  intervalMs: number;
}

/** One 2011 per real-time interval present in `rows`, oldest first. */
export function realtimeMessages(rows: readonly StoredReading[], opts: RealtimeOptions): UploadMessage[] {
  const snapshots = new RealtimeSnapshots(opts);
  for (const r of rows) snapshots.add(r);
  return snapshots.messages();
}

/**
 * The snapshots of readings fed one by one: memory holds one reading per factor and interval, not
 * the readings themselves (a history request may scan days of them).
 */
export class RealtimeSnapshots {
  private readonly buckets = new Map<number, Map<string, StoredReading>>();

  constructor(private readonly opts: RealtimeOptions) {}

  /** Intervals seen so far. */
  get size(): number {
    return this.buckets.size;
  }

  add(r: StoredReading): void {
    const { owners, calendar, intervalMs } = this.opts;
    const code = owners.codeOf(r.device, r.channel);
    if (code === undefined) return;
    const end = rtdIntervalEnd(calendar, r.ts, intervalMs);
    let latest = this.buckets.get(end);
    if (latest === undefined) {
      latest = new Map();
      this.buckets.set(end, latest);
    }
    const seen = latest.get(code);
    if (seen === undefined || r.ts > seen.ts || (r.ts === seen.ts && r.seq > seen.seq)) latest.set(code, r);
  }

  messages(): UploadMessage[] {
    const { owners, calendar } = this.opts;
    return [...this.buckets]
      .sort(([a], [b]) => a - b)
      .map(([end, latest]) => {
        const factors: Record<string, Record<string, string>> = {};
        const ordered = [...latest].sort(
          ([, a], [, b]) => owners.orderOf(a.device, a.channel) - owners.orderOf(b.device, b.channel),
        );
        for (const [code, r] of ordered) {
          // A reading without a value (flag B, D) still says why: the flag travels alone.
          factors[code] =
            r.value === null
              ? { Flag: r.flag }
              : { Rtd: formatValue(r.value, owners.decimalsOf(r.device, r.channel)), Flag: r.flag };
        }
        const dataTime = formatHjTime(end, { timeZone: calendar.timeZone });
        return { cn: CN.realtimeData, at: end, dataTime, factors };
      });
  }
}

export const CN_OF_PERIOD: Record<PeriodKind, string> = {
  minute: CN.minuteData,
  hour: CN.hourData,
  day: CN.dayData,
};

export interface AggregateOptions {
  owners: FactorOwners;
  timeZone: string;
  send: ReadonlySet<Hj212SendKind>;
  /** What the stored H (not enough valid data) is sent as. */
  insufficientFlag: AggregateFlag;
}

/** One 2051/2061/2031 per (period kind, start) in `rows`, in the order the first row of each came. */
export function aggregateMessages(rows: readonly StoredAggregate[], opts: AggregateOptions): UploadMessage[] {
  const groups = new Map<string, UploadMessage & { orders: Map<string, number> }>();
  for (const a of rows) {
    if (!opts.send.has(a.period)) continue;
    const code = opts.owners.codeOf(a.device, a.channel);
    if (code === undefined) continue;
    const id = `${a.period}@${a.start}`;
    let msg = groups.get(id);
    if (msg === undefined) {
      msg = {
        cn: CN_OF_PERIOD[a.period],
        at: a.start,
        dataTime: formatHjTime(a.start, { timeZone: opts.timeZone }),
        factors: {},
        orders: new Map(),
      };
      groups.set(id, msg);
    }
    msg.factors[code] = aggregateFields(
      a,
      opts.insufficientFlag,
      opts.owners.decimalsOf(a.device, a.channel),
    );
    msg.orders.set(code, opts.owners.orderOf(a.device, a.channel));
  }
  return [...groups.values()].map(({ orders, ...msg }) => {
    const sorted = Object.entries(msg.factors).sort(
      ([a], [b]) => (orders.get(a) ?? 0) - (orders.get(b) ?? 0),
    );
    return { ...msg, factors: Object.fromEntries(sorted) };
  });
}

function aggregateFields(
  a: StoredAggregate,
  insufficientFlag: AggregateFlag,
  decimals: number | null,
): Record<string, string> {
  const fields: Record<string, string> = {};
  if (a.min !== null) fields.Min = formatValue(a.min, decimals);
  if (a.avg !== null) fields.Avg = formatValue(a.avg, decimals);
  if (a.max !== null) fields.Max = formatValue(a.max, decimals);
  // Cou is an amount (m3, kg), not the concentration the factor's format is for: as measured.
  if (a.cou !== null) fields.Cou = formatValue(a.cou);
  fields.Flag = a.flag === 'H' ? insufficientFlag : a.flag;
  return fields;
}
