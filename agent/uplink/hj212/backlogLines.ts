import { HJ212_SEND, type Hj212SendKind } from '../../config/hj212Schema.js';
import type { BacklogQueries, Pending } from '../../store/backlogQueries.js';
import type { BacklogLine, CursorTable } from '../backlogLine.js';
import { type Hj212StreamName, streamPairKeys } from './streamPair.js';

/**
 * The backlog of an HJ 212 uplink for `station-agent backlog`, one line per kind of data it sends
 * (realtime 2011, minute 2051, hour 2061, day 2031). Each kind of data travels in a stream pair
 * (backlog.ts): a live cursor, and the re-send (补传) ranges the live stream handed over when a
 * connection opened, with their own cursor. Not yet delivered = rows after the live cursor + rows
 * of the ranges after the re-send cursor; the same arithmetic as the uplink's own stats, done on the
 * store alone.
 * Minute, hour and day records share the aggregates pair and are told apart by their period.
 */

const NONE: Pending = { count: 0, oldestTs: null };
const PERIODS = ['minute', 'hour', 'day'] as const satisfies readonly Hj212SendKind[];

interface SeqRange {
  from: number;
  to: number;
}

interface PairState {
  liveKey: string;
  liveCursor: number | null;
  /** The seq spans still to re-send: each range from the re-send cursor on. */
  resendSpans: { after: number; upTo: number }[];
  updatedAt: number | null;
}

export function hj212BacklogLines(
  uplink: { id: string; send?: readonly Hj212SendKind[] },
  q: BacklogQueries,
  cursors: CursorTable,
): BacklogLine[] {
  const send = new Set(uplink.send ?? HJ212_SEND);
  const lines: BacklogLine[] = [];
  const line = (stream: Hj212SendKind, pair: PairState, live: Pending, resend: Pending): BacklogLine => {
    const total = add(live, resend);
    return {
      uplink: uplink.id,
      type: 'hj212',
      stream,
      cursorKey: pair.liveKey,
      cursor: pair.liveCursor,
      depth: total.count,
      oldestTs: total.oldestTs,
      updatedAt: pair.updatedAt,
      resend: resend.count,
    };
  };

  if (send.has('realtime')) {
    const pair = pairState(uplink.id, 'realtime', q, cursors);
    const live = q.readings({ after: pair.liveCursor ?? 0 });
    const resend = pair.resendSpans.map((s) => q.readings(s)).reduce(add, NONE);
    lines.push(line('realtime', pair, live, resend));
  }
  const periods = PERIODS.filter((p) => send.has(p));
  if (periods.length > 0) {
    const pair = pairState(uplink.id, 'aggregates', q, cursors);
    const live = q.aggregatesByPeriod({ after: pair.liveCursor ?? 0 });
    const resend = pair.resendSpans.map((s) => q.aggregatesByPeriod(s));
    for (const p of periods) {
      const resendOf = resend.map((byPeriod) => byPeriod.get(p) ?? NONE).reduce(add, NONE);
      lines.push(line(p, pair, live.get(p) ?? NONE, resendOf));
    }
  }
  return lines;
}

function pairState(
  uplinkId: string,
  name: Hj212StreamName,
  q: BacklogQueries,
  cursors: CursorTable,
): PairState {
  const keys = streamPairKeys(uplinkId, name);
  const live = cursors.get(keys.live);
  const backlog = cursors.get(keys.backlog);
  const resendCursor = backlog?.ackedSeq ?? 0;
  const resendSpans = rangesOf(q.uplinkSetting(uplinkId, keys.ranges))
    .filter((r) => r.to > resendCursor)
    .map((r) => ({ after: Math.max(r.from, resendCursor), upTo: r.to }));
  const moved = [live?.updatedAt, backlog?.updatedAt].filter((t): t is number => typeof t === 'number');
  return {
    liveKey: keys.live,
    liveCursor: live?.ackedSeq ?? null,
    resendSpans,
    updatedAt: moved.length > 0 ? Math.max(...moved) : null,
  };
}

/** The persisted ranges (`[{from, to}]`); anything else reads as none, as the uplink itself does. */
function rangesOf(value: unknown): SeqRange[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (r): r is SeqRange =>
      typeof r === 'object' &&
      r !== null &&
      Number.isFinite((r as SeqRange).from) &&
      Number.isFinite((r as SeqRange).to),
  );
}

function add(a: Pending, b: Pending): Pending {
  const times = [a.oldestTs, b.oldestTs].filter((t): t is number => t !== null);
  return { count: a.count + b.count, oldestTs: times.length > 0 ? Math.min(...times) : null };
}
