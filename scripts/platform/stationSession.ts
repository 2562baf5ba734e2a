import type { Socket } from 'node:net';
import { type CodecOptions, encodeMessage } from '../../drivers/hj212/codec.js';
import { CN, type Hj212Version, isAnswerCn, QN_RTN, wantsAck } from '../../drivers/hj212/codes.js';
import { buildCommand, checkAddressing, type PlatformCommand } from '../../drivers/hj212/commands.js';
import { type DataSegment, isHeaderValue } from '../../drivers/hj212/dataSegment.js';
import {
  dataAnswer,
  notificationAnswer,
  requestAnswer,
  type StationIdentity,
} from '../../drivers/hj212/messages.js';
import type { QnSource } from '../../drivers/hj212/qn.js';
import { qnRtnFor, type Rejection } from '../../drivers/hj212/rejection.js';
import { Hj212StreamDecoder, type StreamEvent } from '../../drivers/hj212/streamDecoder.js';
import { formatHjTime } from '../../drivers/hj212/time.js';
import { replyMn, TOLERANCES, type Tolerance } from '../../drivers/hj212/tolerance.js';
import type { ExchangeResult, Exchanges } from './exchanges.js';
import type {
  PlatformEvent,
  ReceivedFrame,
  ReceivedRejection,
  Recorded,
  SentFrame,
  StationConnection,
} from './records.js';

/** What a session shares with the platform: settings that can change while it runs, and the records. */
export interface SessionContext {
  version: Hj212Version;
  /** Shared and mutable: a completed 1014 swaps the key for every connection. */
  codec: CodecOptions;
  ack(): boolean;
  /** The MN and password stations must present (undefined: anything goes). */
  expected(): { mn?: string; pw?: string };
  /** ST used in commands before the station has said its own. */
  defaultSt: string;
  qn: QnSource;
  now(): number;
  timeZone: string;
  /** A fresh 16-character SM4 key for a station that asks (1014). */
  newKey(): string;
  frames: Recorded<ReceivedFrame>;
  rejections: Recorded<ReceivedRejection>;
  sent: Recorded<SentFrame>;
  exchanges: Exchanges;
  /** How often each SM4 layout and tolerance arrived, all stations together. */
  variants: Map<string, number>;
  emit(e: PlatformEvent): void;
  /** An error while handling a frame (a bug in the simulator or codec). */
  fault(err: Error): void;
}

/** Uploads are CN 2000–3999, except 2012 which only a platform sends. */
function isUploadCn(cn: string): boolean {
  const n = Number(cn);
  return n >= 2000 && n <= 3999 && cn !== CN.stopRealtime;
}

/**
 * One station connection as a platform sees it: every frame is validated (length, CRC, fields, MN and
 * password), recorded, and answered as the standard says — 9014 for uploads and 9013 for heartbeats
 * when asked (and when acknowledging is on), 9011 with the QnRtn for a wrong PW/MN/CRC or unknown CN.
 */
export class StationSession {
  private readonly decoder: Hj212StreamDecoder;
  /** Variants already reported for this station: each is reported once per connection. */
  private readonly reported = new Set<string>();

  constructor(
    readonly conn: StationConnection,
    private readonly socket: Socket,
    private readonly ctx: SessionContext,
  ) {
    this.decoder = new Hj212StreamDecoder(ctx.codec);
    socket.on('data', (chunk) => this.onEvents(this.decoder.push(chunk)));
    socket.on('error', () => {
      // A reset by the station ends the session like a close does; nothing to report beyond that.
    });
    socket.on('close', () => {
      this.onEvents(this.decoder.end());
      conn.closedAt = ctx.now();
      ctx.exchanges.closeStation(conn.id);
      ctx.emit({ kind: 'closed', station: conn });
    });
  }

  get open(): boolean {
    return this.conn.closedAt === undefined && !this.socket.destroyed;
  }

  /** The header platform commands carry for this station. */
  identity(): StationIdentity {
    const expected = this.ctx.expected();
    const mn = expected.mn ?? this.conn.mn;
    if (mn === undefined)
      throw new Error('platform: the station has not sent a frame yet, its MN is unknown');
    return {
      version: this.ctx.version,
      st: this.conn.st ?? this.ctx.defaultSt,
      pw: expected.pw ?? this.conn.pw ?? '',
      mn,
    };
  }

  send(seg: DataSegment): void {
    const frames = encodeMessage(seg, { ...this.ctx.codec, nextQn: () => this.ctx.qn.next() });
    for (const raw of frames) {
      this.socket.write(raw);
      const sent: SentFrame = { station: this.conn.id, at: this.ctx.now(), segment: seg, raw };
      this.ctx.sent.push(sent);
      this.ctx.emit({ kind: 'sent', frame: sent });
    }
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends a command and resolves with the station's answers (see ExchangeResult). */
  request(cmd: PlatformCommand, timeoutMs: number): Promise<ExchangeResult> {
    const seg = buildCommand(this.identity(), this.ctx.qn.next(), cmd);
    const done = this.ctx.exchanges.open(this.conn.id, seg.qn, seg.cn, cmd, timeoutMs);
    this.send(seg);
    return done;
  }

  private onEvents(events: StreamEvent[]): void {
    for (const ev of events) {
      // A bug in answering one frame must not take the simulator (or the test run) down: it is
      // recorded for the test to assert on, and the next frame is handled as usual.
      try {
        const at = this.ctx.now();
        if (ev.kind === 'frame') {
          const frame: ReceivedFrame = {
            station: this.conn.id,
            at,
            segment: ev.segment,
            encrypted: ev.encrypted,
            tolerated: ev.tolerated,
            raw: ev.raw,
          };
          if (ev.variant !== undefined) frame.variant = ev.variant;
          this.onFrame(frame);
        } else {
          this.onRejection({ station: this.conn.id, at, rejection: ev.rejection, raw: ev.raw });
        }
      } catch (err) {
        this.ctx.fault(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  private onFrame(frame: ReceivedFrame): void {
    const received = frame.segment;
    if (received.mn !== '') this.conn.mn ??= received.mn;
    this.conn.st ??= received.st === '91' ? undefined : received.st;
    this.conn.pw ??= received.pw;
    this.ctx.frames.push(frame);
    this.ctx.emit({ kind: 'received', frame });
    this.noteVariants(frame);

    if (this.ctx.exchanges.offer(frame) || isAnswerCn(received.cn)) return;
    const wrong = checkAddressing(received, this.ctx.expected());
    // Answers echo the upload's fields; a missing QN or an MN that cannot be echoed is filled in.
    const seg = {
      ...received,
      qn: received.qn === '' ? this.ctx.qn.next() : received.qn,
      mn: replyMn(received.mn, this.ctx.expected().mn ?? this.conn.mn ?? ''),
    };
    if (wrong !== undefined) {
      this.send(requestAnswer(seg, this.ctx.version, wrong));
      return;
    }
    const ack = wantsAck(seg.flag) && this.ctx.ack();
    if (isUploadCn(seg.cn)) {
      if (ack) this.send(dataAnswer(seg, this.ctx.version));
      return;
    }
    switch (seg.cn) {
      case CN.heartbeat:
        if (ack) this.send(notificationAnswer(seg, this.ctx.version));
        return;
      case CN.timeCalibrationRequest:
        if (ack) this.send(notificationAnswer(seg, this.ctx.version));
        this.background({
          kind: 'set-time',
          systemTime: formatHjTime(this.ctx.now(), { timeZone: this.ctx.timeZone }),
        });
        return;
      case CN.keyExchange:
        if (ack) this.send(notificationAnswer(seg, this.ctx.version));
        this.background({
          kind: 'key-exchange',
          skCreateTime: formatHjTime(this.ctx.now(), { timeZone: this.ctx.timeZone }),
          newSk: this.ctx.newKey(),
        });
        return;
      default:
        this.send(requestAnswer(seg, this.ctx.version, QN_RTN.wrongCn));
    }
  }

  /** Counts each SM4 layout and tolerance, and reports each once per connection. */
  private noteVariants(frame: ReceivedFrame): void {
    const kinds = [...(frame.variant === undefined ? [] : [frame.variant]), ...frame.tolerated];
    for (const variant of kinds) {
      this.ctx.variants.set(variant, (this.ctx.variants.get(variant) ?? 0) + 1);
      if (this.reported.has(variant)) continue;
      this.reported.add(variant);
      const detail = variant in TOLERANCES ? TOLERANCES[variant as Tolerance] : 'SM4 layout';
      this.ctx.emit({ kind: 'variant', station: this.conn, variant, detail });
    }
  }

  /** A command the platform sends on its own (1012 after 1013, 1014 after a key request). */
  private background(cmd: PlatformCommand): void {
    this.request(cmd, 30_000).catch(() => {
      // Recorded through the frames; a station that never answers is for the test to notice.
    });
  }

  private onRejection(rec: ReceivedRejection): void {
    this.ctx.rejections.push(rec);
    this.ctx.emit({ kind: 'rejected', rejection: rec });
    const to = answerable(rec.rejection, this.ctx.expected().mn ?? this.conn.mn);
    const qnRtn = qnRtnFor(rec.rejection);
    if (to !== undefined && qnRtn !== undefined) this.send(requestAnswer(to, this.ctx.version, qnRtn));
  }
}

/** The header to answer a rejected frame with, when it has a QN to answer and is not itself an answer. */
function answerable(rejection: Rejection, fallbackMn: string | undefined): DataSegment | undefined {
  const h = rejection.header;
  const mn = h?.mn || fallbackMn;
  const pw = h?.pw ?? '';
  if (
    h?.qn === undefined ||
    !/^\d+$/.test(h.qn) ||
    mn === undefined ||
    (h.cn !== undefined && isAnswerCn(h.cn))
  ) {
    return undefined;
  }
  if (!isHeaderValue(mn) || !isHeaderValue(pw)) return undefined;
  return {
    qn: h.qn,
    st: '91',
    cn: CN.requestAnswer,
    pw,
    mn,
    flag: 0,
    cp: { fields: new Map(), factors: new Map() },
  };
}
