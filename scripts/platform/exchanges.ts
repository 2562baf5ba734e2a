import { CN, EXE_RTN, isHistoryCn, QN_RTN } from '../../drivers/hj212/codes.js';
import type { PlatformCommand } from '../../drivers/hj212/commands.js';
import { readAnswer } from '../../drivers/hj212/messages.js';
import type { ReceivedFrame } from './records.js';

/** What a station did with one platform command, collected from the frames that carry its QN. */
export interface ExchangeResult {
  qn: string;
  cn: string;
  command: PlatformCommand | undefined;
  /** From the station's 9011; undefined if none came. */
  qnRtn?: number;
  /** From the station's 9012. */
  exeRtn?: number;
  /** The station answered 9013 (notifications such as 2012). */
  notified: boolean;
  /** Frames with the command's CN and QN: the data of a get command (1011 SystemTime…). */
  answers: ReceivedFrame[];
  /** For history requests: the uploads of the requested CN between 9011 and 9012 (own QNs). */
  uploads: ReceivedFrame[];
}

interface Pending {
  result: ExchangeResult;
  station: number;
  resolve: (r: ExchangeResult) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Open command exchanges of the platform, keyed by QN. An exchange ends with the station's 9012, a
 * 9013, or a 9011 other than "ready"; `onDone` lets the platform apply what the station accepted
 * (new password, new SM4 key) only once the station says it executed.
 */
export class Exchanges {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly onDone: (r: ExchangeResult) => void) {}

  open(station: number, qn: string, cn: string, command: PlatformCommand | undefined, timeoutMs: number) {
    return new Promise<ExchangeResult>((resolve, reject) => {
      const result: ExchangeResult = { qn, cn, command, notified: false, answers: [], uploads: [] };
      const timer = setTimeout(() => {
        this.pending.delete(qn);
        reject(
          new Error(
            `platform: no end to the ${cn} exchange QN=${qn} within ${timeoutMs} ms: ${summary(result)}`,
          ),
        );
      }, timeoutMs);
      this.pending.set(qn, { result, station, resolve, reject, timer });
    });
  }

  /** Offers a frame from a station; true when it belonged to an exchange as an answer (not an upload). */
  offer(frame: ReceivedFrame): boolean {
    const seg = frame.segment;
    const mine = this.pending.get(seg.qn);
    const answer = readAnswer(seg);
    if (mine !== undefined && mine.station === frame.station) {
      if (answer === undefined) {
        if (seg.cn === mine.result.cn) mine.result.answers.push(frame);
        return seg.cn === mine.result.cn;
      }
      switch (answer.cn) {
        case CN.requestAnswer:
          mine.result.qnRtn = answer.qnRtn;
          if (answer.qnRtn !== QN_RTN.ready) this.finish(mine);
          return true;
        case CN.executionResult:
          mine.result.exeRtn = answer.exeRtn;
          this.finish(mine);
          return true;
        case CN.notificationAnswer:
          mine.result.notified = true;
          this.finish(mine);
          return true;
        case CN.dataAnswer:
          return true;
      }
    }
    if (answer === undefined && isHistoryCn(seg.cn)) {
      // History data comes with new QNs: it belongs to the oldest open request for that CN.
      for (const p of this.pending.values()) {
        if (p.station === frame.station && p.result.cn === seg.cn && p.result.qnRtn === QN_RTN.ready) {
          p.result.uploads.push(frame);
          break;
        }
      }
    }
    return false;
  }

  /** Fails every open exchange of a station whose connection closed. */
  closeStation(station: number): void {
    for (const p of [...this.pending.values()]) {
      if (p.station !== station) continue;
      this.pending.delete(p.result.qn);
      clearTimeout(p.timer);
      p.reject(new Error(`platform: station connection closed during ${p.result.cn} QN=${p.result.qn}`));
    }
  }

  closeAll(): void {
    for (const station of new Set([...this.pending.values()].map((p) => p.station)))
      this.closeStation(station);
  }

  private finish(p: Pending): void {
    this.pending.delete(p.result.qn);
    clearTimeout(p.timer);
    this.onDone(p.result);
    p.resolve(p.result);
  }
}

function summary(r: ExchangeResult): string {
  return `qnRtn=${r.qnRtn ?? '-'} exeRtn=${r.exeRtn ?? '-'} answers=${r.answers.length} uploads=${r.uploads.length}`;
}

/** True when the exchange says the station executed the command. */
export function executed(r: ExchangeResult): boolean {
  return r.qnRtn === QN_RTN.ready && r.exeRtn === EXE_RTN.ok;
}
