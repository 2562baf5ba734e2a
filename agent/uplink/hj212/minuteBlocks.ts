import type { PeriodCalendar } from '../../aggregation/periods.js';
import { type AggregateRecord, type ChannelIdentity, parentRecord } from '../../aggregation/records.js';
import type { AggregationConfig } from '../../config/qualitySchema.js';
import type { AggregateStore, StoredAggregate } from '../../store/aggregateStore.js';

/**
 * HJ 212 "minute data" comes every MinInterval minutes (1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30;
 * CN 1064), while the aggregator stores 1-minute records. With MinInterval N > 1 a 2051 carries
 * the N-minute block, built from its stored minute records the way an hour is built from minutes
 * (records.ts parentRecord: mean of the valid minute means, min of minima, max of maxima, sum of
 * Cou, the flag rule). A block is valid with the share of valid minutes the hour rule asks
 * (hourMinValidMinutes of 60). Blocks are aligned on the local hour; every allowed N divides it.
 */

const MINUTE = 60_000;

export interface BlockRules {
  calendar: PeriodCalendar;
  rules: Pick<AggregationConfig, 'hourMinValidMinutes' | 'flagShare'>;
  byRange: AggregateStore['byRange'];
}

export function blockOf(
  calendar: PeriodCalendar,
  ts: number,
  minutes: number,
): { start: number; end: number } {
  const hour = calendar.periodOf('hour', ts);
  const len = minutes * MINUTE;
  const start = hour.start + Math.floor((ts - hour.start) / len) * len;
  return { start, end: Math.min(start + len, hour.end) };
}

function identity(r: ChannelIdentity): ChannelIdentity {
  return { device: r.device, channel: r.channel, code: r.code, unit: r.unit };
}

function blockRecord(
  id: ChannelIdentity,
  block: { start: number; end: number },
  children: readonly AggregateRecord[],
  minutes: number,
  deps: BlockRules,
): AggregateRecord {
  const minValid = Math.max(1, Math.ceil((minutes * deps.rules.hourMinValidMinutes) / 60));
  return parentRecord(id, { kind: 'minute', ...block }, children, minutes, {
    minValid,
    flagShare: deps.rules.flagShare,
  });
}

/**
 * Stored rows as they are to be sent: hour and day records as they are; a minute record is
 * replaced by its block when it is the block's last minute, and dropped otherwise (the block
 * is sent once, when complete). N = 1 changes nothing.
 */
export function toMinuteBlocks(
  rows: readonly StoredAggregate[],
  minutes: number,
  deps: BlockRules,
): StoredAggregate[] {
  if (minutes <= 1) return [...rows];
  const out: StoredAggregate[] = [];
  for (const r of rows) {
    if (r.period !== 'minute') {
      out.push(r);
      continue;
    }
    const block = blockOf(deps.calendar, r.start, minutes);
    if (r.end !== block.end) continue;
    const children = deps.byRange(identity(r), 'minute', block.start, block.end);
    out.push({ ...blockRecord(identity(r), block, children, minutes, deps), aseq: r.aseq });
  }
  return out;
}

/** The complete N-minute blocks of one channel starting in [from, to] (history requests). */
export function blocksInRange(
  channel: ChannelIdentity,
  from: number,
  to: number,
  minutes: number,
  deps: BlockRules,
): AggregateRecord[] {
  const first = blockOf(deps.calendar, from, minutes);
  const last = blockOf(deps.calendar, to, minutes);
  const records = deps.byRange(channel, 'minute', first.start, last.end);
  const byBlock = new Map<number, { block: { start: number; end: number }; children: AggregateRecord[] }>();
  for (const r of records) {
    const block = blockOf(deps.calendar, r.start, minutes);
    const entry = byBlock.get(block.start) ?? { block, children: [] };
    entry.children.push(r);
    byBlock.set(block.start, entry);
  }
  const out: AggregateRecord[] = [];
  for (const { block, children } of byBlock.values()) {
    if (block.start < from || block.start > to) continue;
    // Only closed blocks: the record of the block's last minute exists.
    if (!children.some((c) => c.end === block.end)) continue;
    out.push(blockRecord(channel, block, children, minutes, deps));
  }
  return out.sort((a, b) => a.start - b.start);
}
