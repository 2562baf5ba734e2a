import { CN, type HistoryCn } from '../../../drivers/hj212/codes.js';
import type { AggregateFlag } from '../../aggregation/flagRule.js';
import type { PeriodCalendar, PeriodKind } from '../../aggregation/periods.js';
import type { AggregateRecord } from '../../aggregation/records.js';
import { HJ212_SEND } from '../../config/hj212Schema.js';
import type { AggregateStore, StoredAggregate } from '../../store/aggregateStore.js';
import type { ReadingStore } from '../../store/readingStore.js';
import { type BlockRules, blocksInRange } from './minuteBlocks.js';
import {
  aggregateMessages,
  type FactorOwners,
  RealtimeSnapshots,
  type UploadMessage,
} from './uploadMessages.js';

/**
 * The data messages answering a platform's history request (2011/2051/2061/2031 with BeginTime and
 * EndTime): every message whose DataTime lies in [begin, end], both inclusive, oldest first, built
 * exactly as live uploads are (uploadMessages.ts). Real-time history is rebuilt from the stored
 * readings with the real-time interval now in effect; minute history follows MinInterval.
 */

export interface HistoryDeps {
  readings: Pick<ReadingStore, 'firstSeqSince' | 'iterateFrom'>;
  aggregates: Pick<AggregateStore, 'byRange'>;
  owners: FactorOwners;
  calendar: PeriodCalendar;
  blocks: BlockRules;
  insufficientFlag: AggregateFlag;
}

export interface HistoryQuery {
  cn: HistoryCn;
  begin: number;
  end: number;
  rtdIntervalMs: number;
  minIntervalMin: number;
  /** More messages than this: the request is refused rather than flooding the link. */
  maxMessages: number;
}

/**
 * Readings are in seq order, which follows time except across a clock step; the scan goes on this
 * far past `end` so a reading stamped slightly out of order is not missed, then stops.
 */
const SCAN_SLACK_MS = 60_000;

const PERIOD_OF: Record<string, PeriodKind> = {
  [CN.minuteData]: 'minute',
  [CN.hourData]: 'hour',
  [CN.dayData]: 'day',
};

export function historyMessages(q: HistoryQuery, deps: HistoryDeps): UploadMessage[] | 'too-many' {
  return q.cn === CN.realtimeData ? realtimeHistory(q, deps) : aggregateHistory(q, deps);
}

function realtimeHistory(q: HistoryQuery, deps: HistoryDeps): UploadMessage[] | 'too-many' {
  const snapshots = new RealtimeSnapshots({
    owners: deps.owners,
    calendar: deps.calendar,
    intervalMs: q.rtdIntervalMs,
  });
  // Intervals end at DataTime: the first one in range started up to one interval before `begin`.
  const from = q.begin - q.rtdIntervalMs;
  const firstSeq = deps.readings.firstSeqSince(from);
  if (firstSeq === null) return [];
  for (const r of deps.readings.iterateFrom(firstSeq)) {
    if (r.ts > q.end + SCAN_SLACK_MS) break;
    if (r.ts < from || r.ts >= q.end) continue;
    snapshots.add(r);
    // +2: the partial intervals at both ends are dropped below.
    if (snapshots.size > q.maxMessages + 2) return 'too-many';
  }
  const messages = snapshots.messages().filter((m) => m.at >= q.begin && m.at <= q.end);
  return messages.length > q.maxMessages ? 'too-many' : messages;
}

function aggregateHistory(q: HistoryQuery, deps: HistoryDeps): UploadMessage[] | 'too-many' {
  const period = PERIOD_OF[q.cn];
  if (period === undefined) return [];
  const rows: StoredAggregate[] = [];
  for (const ch of deps.owners.channels()) {
    const records: AggregateRecord[] =
      period === 'minute' && q.minIntervalMin > 1
        ? blocksInRange(ch, q.begin, q.end, q.minIntervalMin, deps.blocks)
        : deps.aggregates.byRange(ch, period, q.begin, q.end + 1);
    for (const r of records) rows.push({ ...r, aseq: 0 });
  }
  rows.sort((a, b) => a.start - b.start);
  const messages = aggregateMessages(rows, {
    owners: deps.owners,
    timeZone: deps.calendar.timeZone,
    send: new Set(HJ212_SEND),
    insufficientFlag: deps.insufficientFlag,
  });
  return messages.length > q.maxMessages ? 'too-many' : messages;
}
