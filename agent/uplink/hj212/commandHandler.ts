import {
  CN,
  EXE_RTN,
  type ExeRtn,
  type Hj212Version,
  isAnswerCn,
  QN_RTN,
  type QnRtn,
  wantsAck,
} from '../../../drivers/hj212/codes.js';
import { checkAddressing, type PlatformCommand, readCommand } from '../../../drivers/hj212/commands.js';
import { emptyCp } from '../../../drivers/hj212/cp.js';
import { type DataSegment, isHeaderValue } from '../../../drivers/hj212/dataSegment.js';
import { dialectOf } from '../../../drivers/hj212/dialect.js';
import {
  commandAnswer,
  dataUpload,
  executionResult,
  notificationAnswer,
  requestAnswer,
  type StationIdentity,
} from '../../../drivers/hj212/messages.js';
import type { QnSource } from '../../../drivers/hj212/qn.js';
import { qnRtnFor, type Rejection } from '../../../drivers/hj212/rejection.js';
import { formatHjTime, parseHjTime } from '../../../drivers/hj212/time.js';
import { replyMn } from '../../../drivers/hj212/tolerance.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import { type HistoryDeps, historyMessages } from './history.js';
import type { ExchangeTiming } from './hj212Link.js';
import type { LiveSettings } from './liveSettings.js';

/**
 * Platform → station requests on one HJ 212 uplink: 9011 (QnRtn) first, then whatever the command
 * gives (data, a get's answer), then 9012 (ExeRtn). A wrong MN or password, a bad CRC or a broken
 * field gets its QnRtn; an unknown CN gets QnRtn 8. Nothing a platform sends closes the connection.
 */

export interface CommandContext {
  version: Hj212Version;
  identity(): StationIdentity;
  settings: LiveSettings;
  qn: QnSource;
  clock: Clock;
  timeZone: string;
  log: Logger;
  history: HistoryDeps;
  historyMaxRecords: number;
  /** Ask for a 9014 per history upload (the uplink's `ack`). */
  ack: boolean;
  timing(): ExchangeTiming;
  /** Apply a 1012 to the system clock; absent: answered and logged only (the default). */
  setSystemTime?: (ms: number) => Promise<void>;
  /** A new SM4 key is in effect from the next frame on (1014). */
  onKey(key: string): void;
  write(seg: DataSegment): void;
  send(seg: DataSegment, answer: ExchangeTiming | null): Promise<void>;
}

export class CommandHandler {
  constructor(private readonly ctx: CommandContext) {}

  onFrame(received: DataSegment): void {
    const { ctx } = this;
    // A late 9014/9013 (its exchange already failed) or a 9011/9012 to something we never asked.
    if (isAnswerCn(received.cn)) return;
    // Replies echo the request's MN unless it cannot be written back (blanks): then ours.
    const seg = { ...received, mn: replyMn(received.mn, ctx.identity().mn) };
    if (seg.cn === CN.heartbeat) {
      if (wantsAck(seg.flag)) ctx.write(notificationAnswer(seg, ctx.version));
      return;
    }
    const id = ctx.identity();
    const wrong = checkAddressing(received, { mn: id.mn, pw: id.pw });
    if (wrong !== undefined) {
      ctx.log.warn(
        { code: 'HJ212_REQUEST_REFUSED', cn: seg.cn, qn: seg.qn, qnRtn: wrong },
        'HJ 212 request with a wrong MN or password',
      );
      this.refuse(seg, wrong);
      return;
    }
    const read = readCommand(seg);
    if (read.kind === 'unknown' || (read.kind === 'command' && !this.supports(read.command))) {
      ctx.log.info(
        { code: 'HJ212_REQUEST_REFUSED', cn: seg.cn, qn: seg.qn, qnRtn: QN_RTN.wrongCn },
        'HJ 212 request with a CN this station does not implement',
      );
      this.refuse(seg, QN_RTN.wrongCn);
      return;
    }
    this.ready(seg);
    if (read.kind === 'invalid') {
      ctx.log.warn(
        { code: 'HJ212_REQUEST_REFUSED', cn: seg.cn, qn: seg.qn, exeRtn: read.exeRtn, detail: read.detail },
        'HJ 212 request with a bad parameter',
      );
      this.done(seg, read.exeRtn);
      return;
    }
    void this.execute(seg, read.command).catch((err: unknown) => {
      ctx.log.warn({ err, cn: seg.cn, qn: seg.qn }, 'HJ 212 request failed');
      this.done(seg, EXE_RTN.failed);
    });
  }

  /** A frame the decoder refused: answered with its QnRtn when its header can be trusted. */
  onRejection(rejection: Rejection): void {
    const { ctx } = this;
    const qnRtn = qnRtnFor(rejection);
    const h = rejection.header;
    ctx.log.warn(
      { code: 'HJ212_REQUEST_REFUSED', reason: rejection.reason, detail: rejection.detail, qn: h?.qn, qnRtn },
      'HJ 212 frame refused',
    );
    if (qnRtn === undefined || h?.qn === undefined || !/^\d+$/.test(h.qn)) return;
    if (h.cn !== undefined && isAnswerCn(h.cn)) return;
    const id = ctx.identity();
    const mn = h.mn !== undefined && h.mn !== '' && isHeaderValue(h.mn) ? h.mn : id.mn;
    const pw = h.pw !== undefined && isHeaderValue(h.pw) ? h.pw : '';
    const to: DataSegment = { qn: h.qn, st: id.st, cn: CN.requestAnswer, pw, mn, flag: 0, cp: emptyCp() };
    ctx.write(requestAnswer(to, ctx.version, qnRtn));
  }

  /** The key exchange is HJ 212-2025 only; under 2017 CN 1014 is as unknown as any other. */
  private supports(cmd: PlatformCommand): boolean {
    return cmd.kind !== 'key-exchange' || dialectOf(this.ctx.version).hasKeyExchange;
  }

  private refuse(seg: DataSegment, qnRtn: QnRtn): void {
    this.ctx.write(requestAnswer(seg, this.ctx.version, qnRtn));
  }

  private ready(seg: DataSegment): void {
    if (wantsAck(seg.flag)) this.ctx.write(requestAnswer(seg, this.ctx.version, QN_RTN.ready));
  }

  private done(seg: DataSegment, exeRtn: ExeRtn): void {
    this.ctx.write(executionResult(seg, this.ctx.version, exeRtn));
  }

  private answer(seg: DataSegment, fields: Record<string, string | number>): void {
    this.ctx.write(commandAnswer(seg, this.ctx.identity(), fields));
  }

  private async execute(seg: DataSegment, cmd: PlatformCommand): Promise<void> {
    const { ctx } = this;
    const s = ctx.settings;
    const now = () => formatHjTime(ctx.clock.now(), { timeZone: ctx.timeZone });
    switch (cmd.kind) {
      case 'history':
        return this.history(seg, cmd);
      case 'start-realtime':
      case 'stop-realtime':
        s.realtimeOn = cmd.kind === 'start-realtime';
        ctx.log.info({ realtime: s.realtimeOn }, 'HJ 212 platform switched real-time data');
        return this.done(seg, EXE_RTN.ok);
      case 'get-time':
        this.answer(seg, { ...(cmd.polId ? { PolId: cmd.polId } : {}), SystemTime: now() });
        return this.done(seg, EXE_RTN.ok);
      case 'set-time':
        return this.setTime(seg, cmd.systemTime);
      case 'get-rtd-interval':
        this.answer(seg, { RtdInterval: Math.round(s.rtdIntervalMs / 1000) });
        return this.done(seg, EXE_RTN.ok);
      case 'set-rtd-interval':
        s.setRtdInterval(cmd.seconds);
        ctx.log.info({ seconds: cmd.seconds }, 'HJ 212 platform set the real-time interval');
        return this.done(seg, EXE_RTN.ok);
      case 'get-min-interval':
        this.answer(seg, { MinInterval: s.minIntervalMin });
        return this.done(seg, EXE_RTN.ok);
      case 'set-min-interval':
        s.setMinInterval(cmd.minutes);
        ctx.log.info({ minutes: cmd.minutes }, 'HJ 212 platform set the minute-data interval');
        return this.done(seg, EXE_RTN.ok);
      case 'set-timeouts':
        s.setTimeouts(cmd.overTimeS * 1000, cmd.reCount);
        ctx.log.info({ overTimeS: cmd.overTimeS, reCount: cmd.reCount }, 'HJ 212 platform set the timeouts');
        return this.done(seg, EXE_RTN.ok);
      case 'set-password':
        // Answered under the old password (the answer echoes the request's), used from the next frame.
        this.done(seg, EXE_RTN.ok);
        s.setPassword(cmd.newPw);
        ctx.log.info('HJ 212 platform changed the access password');
        return;
      case 'key-exchange': {
        // The 9012 still goes under the old key (answers are plain anyway); the platform switches
        // when it reads it, and TCP keeps our next frame behind it.
        this.done(seg, EXE_RTN.ok);
        const created = parseHjTime(cmd.skCreateTime, ctx.timeZone) ?? ctx.clock.now();
        s.setSm4Key(cmd.newSk, created);
        ctx.onKey(cmd.newSk);
        ctx.log.info({ skCreateTime: cmd.skCreateTime }, 'HJ 212 platform handed out a new SM4 key');
        return;
      }
    }
  }

  private async setTime(seg: DataSegment, systemTime: string): Promise<void> {
    const { ctx } = this;
    const target = parseHjTime(systemTime, ctx.timeZone);
    if (target === undefined) return this.done(seg, EXE_RTN.badCondition);
    const offsetMs = target - ctx.clock.now();
    if (ctx.setSystemTime === undefined) {
      // Default: the station clock is kept by NTP/the OS; a platform's opinion is logged, not applied.
      ctx.log.info(
        { systemTime, offsetMs },
        'HJ 212 platform set the time (not applied: applyTimeSet is off)',
      );
      return this.done(seg, EXE_RTN.ok);
    }
    try {
      await ctx.setSystemTime(target);
      ctx.log.warn({ systemTime, offsetMs }, 'HJ 212 platform set the system clock');
      this.done(seg, EXE_RTN.ok);
    } catch (err) {
      ctx.log.error({ err, systemTime }, 'HJ 212 platform time could not be applied');
      this.done(seg, EXE_RTN.failed);
    }
  }

  private async history(seg: DataSegment, cmd: Extract<PlatformCommand, { kind: 'history' }>): Promise<void> {
    const { ctx } = this;
    const begin = parseHjTime(cmd.beginTime, ctx.timeZone);
    const end = parseHjTime(cmd.endTime, ctx.timeZone);
    if (begin === undefined || end === undefined) return this.done(seg, EXE_RTN.badCondition);
    const messages = historyMessages(
      {
        cn: cmd.cn,
        begin,
        end,
        rtdIntervalMs: ctx.settings.rtdIntervalMs,
        minIntervalMin: ctx.settings.minIntervalMin,
        maxMessages: ctx.historyMaxRecords,
      },
      ctx.history,
    );
    if (messages === 'too-many') {
      ctx.log.warn(
        { cn: cmd.cn, begin: cmd.beginTime, end: cmd.endTime },
        'HJ 212 history request too large',
      );
      return this.done(seg, EXE_RTN.badCondition);
    }
    if (messages.length === 0) return this.done(seg, EXE_RTN.noData);
    for (const m of messages) {
      // Answers to a request, not re-sent data: no RF (that marks the backlog, see backlog.ts).
      const upload = dataUpload(ctx.identity(), {
        cn: m.cn,
        qn: ctx.qn.next(),
        dataTime: m.dataTime,
        factors: m.factors,
        ack: ctx.ack,
      });
      await ctx.send(upload, ctx.ack ? ctx.timing() : null);
    }
    ctx.log.info({ cn: cmd.cn, messages: messages.length }, 'HJ 212 history request answered');
    this.done(seg, EXE_RTN.ok);
  }
}
