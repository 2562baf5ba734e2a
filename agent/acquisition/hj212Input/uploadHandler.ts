import {
  CN,
  type Hj212Version,
  isAnswerCn,
  QN_RTN,
  versionOfFlag,
  wantsAck,
} from '../../../drivers/hj212/codes.js';
import { checkAddressing } from '../../../drivers/hj212/commands.js';
import type { DataSegment } from '../../../drivers/hj212/dataSegment.js';
import { dataAnswer, notificationAnswer, requestAnswer } from '../../../drivers/hj212/messages.js';
import type { QnSource } from '../../../drivers/hj212/qn.js';
import { replyMn, sameMn } from '../../../drivers/hj212/tolerance.js';
import type { PollResult } from '../../core/pollOutcome.js';
import type { NewReading } from '../../core/reading.js';
import type { InputCounters } from './inputCounters.js';
import type {
  LoggerAggregateRecord,
  LoggerAggregates,
  LoggerConfig,
  LoggerPollResult,
} from './inputTypes.js';
import { type SeenPort, seenKey } from './seenPort.js';
import { isInputCn, mapUpload } from './uploadMapping.js';

export interface InputCallbacks {
  /** A 2011 upload's new values. Awaited before the 9014: a throw (or rejection) means no answer. */
  onRealtime(r: LoggerPollResult): void | Promise<void>;
  /** A 2051/2061/2031 upload's new records; same contract as onRealtime. */
  onAggregates(r: LoggerAggregates): void | Promise<void>;
}

export interface HandlerContext extends InputCallbacks {
  loggers: readonly LoggerConfig[];
  timeZone: string;
  seen: SeenPort;
  counters: InputCounters;
  /** QNs for answers to frames that came without one. */
  qn: QnSource;
}

/** The logger a frame's MN names (blanks and hex case do not matter). */
export function loggerOf(loggers: readonly LoggerConfig[], mn: string | undefined): LoggerConfig | undefined {
  return mn === undefined || mn === '' ? undefined : loggers.find((l) => sameMn(l.mn, mn));
}

function answerVersion(logger: LoggerConfig | undefined, flag: number): Hj212Version {
  if (logger?.version !== undefined) return logger.version;
  const v = versionOfFlag(flag);
  return v === '2025' ? '2025' : '2017';
}

/**
 * Takes one decoded frame of a logger and returns the answer to send, if any. Wrong MN or PW: refused,
 * answered 9011 with QnRtn 4 or 3 as a platform does (the standard's way of telling the logger its
 * setting is wrong), and the connection is kept: the logger would only reconnect. An upload is answered
 * 9014 when its Flag asks, after its new values reached the callback, duplicates or not, so the logger
 * stops re-sending; a callback failure gets no answer, so the logger sends it again.
 */
export async function handleFrame(
  received: DataSegment,
  ctx: HandlerContext,
): Promise<DataSegment | undefined> {
  // Answers echo the frame's fields; a missing QN or an MN that cannot be echoed is filled in.
  const logger = loggerOf(ctx.loggers, received.mn);
  const seg: DataSegment = {
    ...received,
    qn: received.qn === '' ? ctx.qn.next() : received.qn,
    mn: replyMn(received.mn, logger?.mn ?? ''),
  };
  const version = answerVersion(logger, seg.flag);
  if (isAnswerCn(seg.cn)) {
    ctx.counters.otherCn(seg.cn, seg.mn);
    return undefined;
  }
  if (logger === undefined) {
    ctx.counters.refuse('unknown-mn', { mn: received.mn, detail: 'no logger is configured with this MN' });
    return requestAnswer(seg, version, QN_RTN.wrongMn);
  }
  if (checkAddressing(seg, { pw: logger.pw }) !== undefined) {
    ctx.counters.refuse('wrong-pw', { mn: logger.mn, detail: 'PW is not the one configured for this MN' });
    return requestAnswer(seg, version, QN_RTN.wrongPassword);
  }
  const ack = wantsAck(seg.flag);
  if (seg.cn === CN.heartbeat) return ack ? notificationAnswer(seg, version) : undefined;
  if (!isInputCn(seg.cn)) {
    ctx.counters.otherCn(seg.cn, logger.mn);
    return undefined;
  }
  const mapped = mapUpload(seg, logger, ctx.timeZone);
  if (!mapped.ok) {
    // Sending it again cannot make its time readable: answered all the same, so it is not re-sent.
    ctx.counters.refuse(mapped.reason, { mn: logger.mn, detail: mapped.detail });
    return ack ? answered(seg, version, ctx) : undefined;
  }
  // An unknown code is remembered like a value, so a re-sent upload does not count it again.
  const unknown = mapped.unknownCodes
    .map((code) => ({ code, key: seenKey(logger.mn, seg.cn, mapped.dataTime, code) }))
    .filter((u) => !ctx.seen.has(u.key));
  for (const u of unknown) ctx.counters.unknownCode(u.code, logger.mn);
  for (const flag of mapped.unknownFlags) ctx.counters.unknownFlag(flag, logger.mn);
  const fresh = mapped.values.filter((v) => !ctx.seen.has(v.key));
  if (fresh.length > 0) {
    try {
      if (mapped.period === 'realtime') {
        const readings = fresh.flatMap((v) => (v.kind === 'reading' ? [v.reading] : []));
        await ctx.onRealtime({
          device: logger.device,
          mn: logger.mn,
          dataTime: mapped.dataTime,
          result: pollResult(inChannelOrder(readings, logger), mapped.ts),
        });
      } else {
        const records = fresh.flatMap((v) => (v.kind === 'record' ? [v.record] : []));
        await ctx.onAggregates({
          device: logger.device,
          mn: logger.mn,
          period: mapped.period,
          dataTime: mapped.dataTime,
          records: inChannelOrder(records, logger),
        });
      }
    } catch (err) {
      ctx.counters.refuse('callback-failed', { mn: logger.mn, detail: (err as Error).message });
      return undefined;
    }
  }
  // Marked once the values reached the callback (a failure returned above: the re-send is taken).
  if (fresh.length + unknown.length > 0) ctx.seen.addAll([...fresh, ...unknown].map((v) => v.key));
  ctx.counters.ok(logger.mn);
  ctx.counters.duplicate(mapped.values.length - fresh.length, logger.mn);
  return ack ? answered(seg, version, ctx) : undefined;
}

function answered(seg: DataSegment, version: Hj212Version, ctx: HandlerContext): DataSegment {
  ctx.counters.answer(seg.mn);
  return dataAnswer(seg, version);
}

function inChannelOrder<T extends NewReading | LoggerAggregateRecord>(items: T[], logger: LoggerConfig): T[] {
  const order = new Map(logger.channels.map((ch, i) => [ch.id, i]));
  return [...items].sort((a, b) => (order.get(a.channel) ?? 0) - (order.get(b.channel) ?? 0));
}

function pollResult(readings: NewReading[], measuredAt: number): PollResult {
  return { readings, ok: true, errors: [], raw: new Map(), state: null, measuredAt };
}
