import type { DataFlag } from './reading.js';

/**
 * The vocabulary of minute, hour and day records, shared by the aggregation (which builds them,
 * agent/aggregation/) and the store (which keeps them): here so the store needs no aggregation code.
 */

export const PERIOD_KINDS = ['minute', 'hour', 'day'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

/** A record's flag: a reading's (DataFlag) or H, "not enough valid data" (aggregation/flagRule.ts). */
export type AggregateFlag = DataFlag | 'H';

export interface ChannelIdentity {
  device: string;
  channel: string;
  code: string | null;
  unit: string | null;
}

export interface AggregateRecord extends ChannelIdentity {
  period: PeriodKind;
  /** Epoch ms; the period's identity upstream together with station, device, channel and period. */
  start: number;
  end: number;
  /** Over valid samples (minute) or valid children (hour, day); null when there are none. */
  min: number | null;
  avg: number | null;
  max: number | null;
  /** Increase of a cumulative channel over the period; null for other channels or without data. */
  cou: number | null;
  /** Samples received (minute), or children holding data (hour, day). */
  count: number;
  /** Valid samples, or valid children. */
  valid: number;
  /** Samples or children the period should have had; see aggregator.ts for forward clock steps. */
  expected: number;
  flag: AggregateFlag;
  /** True when the period met its validity rule. */
  ok: boolean;
}
