import { CN, EXE_RTN, type HistoryCn, isHistoryCn, makeFlag, QN_RTN } from './codes.js';
import { type Cp, cpField, cpFrom, emptyCp } from './cp.js';
import { type DataSegment, isHeaderValue } from './dataSegment.js';
import type { StationIdentity } from './messages.js';
import { isSm4KeyText } from './sm4.js';
import { sameMn } from './tolerance.js';

/**
 * The commands a platform sends a station, as data: the platform simulator builds frames from them
 * (`buildCommand`) and the station side reads frames into them (`readCommand`), so both ends share
 * one definition of each command's CP.
 */
export type PlatformCommand =
  /** Data of a period: 9011, the uploads (each with a new QN), 9012 (ExeRtn 100 when none). */
  | { kind: 'history'; cn: HistoryCn; beginTime: string; endTime: string }
  | { kind: 'start-realtime' }
  | { kind: 'stop-realtime' }
  | { kind: 'get-time'; polId?: string }
  | { kind: 'set-time'; systemTime: string; polId?: string }
  | { kind: 'get-rtd-interval' }
  /** Real-time upload interval, 30–3600 s. */
  | { kind: 'set-rtd-interval'; seconds: number }
  | { kind: 'get-min-interval' }
  /** Minute data interval: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 min. */
  | { kind: 'set-min-interval'; minutes: number }
  /** CN 1000: answer timeout (s) and retry count. */
  | { kind: 'set-timeouts'; overTimeS: number; reCount: number }
  | { kind: 'set-password'; newPw: string }
  /** CN 1014 (2025): a new SM4 key, 16 characters. */
  | { kind: 'key-exchange'; skCreateTime: string; newSk: string };

export type CommandKind = PlatformCommand['kind'];

export const RTD_INTERVAL_RANGE_S = { min: 30, max: 3600 } as const;
export const MIN_INTERVALS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30] as const;

function cpOf(cmd: PlatformCommand): { cn: string; cp: Cp } {
  switch (cmd.kind) {
    case 'history':
      return { cn: cmd.cn, cp: cpFrom({ fields: { BeginTime: cmd.beginTime, EndTime: cmd.endTime } }) };
    case 'start-realtime':
      return { cn: CN.realtimeData, cp: emptyCp() };
    case 'stop-realtime':
      return { cn: CN.stopRealtime, cp: emptyCp() };
    case 'get-time':
      return { cn: CN.getTime, cp: cpFrom({ fields: cmd.polId ? { PolId: cmd.polId } : {} }) };
    case 'set-time':
      return {
        cn: CN.setTime,
        cp: cpFrom({ fields: { ...(cmd.polId ? { PolId: cmd.polId } : {}), SystemTime: cmd.systemTime } }),
      };
    case 'get-rtd-interval':
      return { cn: CN.getRtdInterval, cp: emptyCp() };
    case 'set-rtd-interval':
      return { cn: CN.setRtdInterval, cp: cpFrom({ fields: { RtdInterval: cmd.seconds } }) };
    case 'get-min-interval':
      return { cn: CN.getMinInterval, cp: emptyCp() };
    case 'set-min-interval':
      return { cn: CN.setMinInterval, cp: cpFrom({ fields: { MinInterval: cmd.minutes } }) };
    case 'set-timeouts':
      return { cn: CN.timeouts, cp: cpFrom({ fields: { OverTime: cmd.overTimeS, ReCount: cmd.reCount } }) };
    case 'set-password':
      return { cn: CN.setPassword, cp: cpFrom({ fields: { NewPW: cmd.newPw } }) };
    case 'key-exchange':
      return {
        cn: CN.keyExchange,
        cp: cpFrom({ fields: { SKCreateTime: cmd.skCreateTime, NewSK: cmd.newSk } }),
      };
  }
}

/** A platform → station command frame's segment. Commands ask for a 9011 unless `ack` is false. */
export function buildCommand(id: StationIdentity, qn: string, cmd: PlatformCommand, ack = true): DataSegment {
  const { cn, cp } = cpOf(cmd);
  return { qn, st: id.st, cn, pw: id.pw, mn: id.mn, flag: makeFlag(id.version, { ack }), cp };
}

export type ReadCommand =
  | { kind: 'command'; command: PlatformCommand }
  /** A CN the station does not implement: answer 9011 QnRtn 8. */
  | { kind: 'unknown'; qnRtn: typeof QN_RTN.wrongCn; detail: string }
  /** A known CN with a missing or impossible parameter: answer 9011 QnRtn 1, then 9012 ExeRtn 3. */
  | { kind: 'invalid'; exeRtn: typeof EXE_RTN.badCondition; detail: string };

const TIME = /^\d{14}$/;
/**
 * A factor code (`w01018`, `a21026-Cou`): echoed back in the answer, so it must be something a CP can
 * carry and short enough that the answer fits one frame. Anything else is refused as a bad parameter
 * rather than failing when the answer is written.
 */
const POL_ID = /^[A-Za-z0-9_-]{1,24}$/;

/** Reads a platform frame (not an answer: see `readAnswer`) into a command. */
export function readCommand(seg: DataSegment): ReadCommand {
  const cp = seg.cp;
  const invalid = (detail: string): ReadCommand => ({
    kind: 'invalid',
    exeRtn: EXE_RTN.badCondition,
    detail,
  });
  const ok = (command: PlatformCommand): ReadCommand => ({ kind: 'command', command });
  const int = (name: string) => {
    const v = cpField(cp, name);
    return v !== undefined && /^\d{1,6}$/.test(v) ? Number(v) : undefined;
  };
  const polId = cpField(cp, 'PolId');
  const withPol = <T extends object>(c: T) => (polId === undefined ? c : { ...c, polId });
  const badPolId = polId !== undefined && !POL_ID.test(polId);

  if (isHistoryCn(seg.cn)) {
    const beginTime = cpField(cp, 'BeginTime');
    const endTime = cpField(cp, 'EndTime');
    if (seg.cn === CN.realtimeData && beginTime === undefined && endTime === undefined) {
      return ok({ kind: 'start-realtime' });
    }
    if (beginTime === undefined || endTime === undefined)
      return invalid('BeginTime and EndTime are required');
    if (!TIME.test(beginTime) || !TIME.test(endTime))
      return invalid('BeginTime/EndTime are not yyyyMMddHHmmss');
    // Same digits, same order: the texts compare as the times do.
    if (beginTime > endTime) return invalid('BeginTime is after EndTime');
    return ok({ kind: 'history', cn: seg.cn, beginTime, endTime });
  }
  switch (seg.cn) {
    case CN.stopRealtime:
      return ok({ kind: 'stop-realtime' });
    case CN.getTime:
      if (badPolId) return invalid('PolId is not a factor code');
      return ok(withPol({ kind: 'get-time' as const }));
    case CN.setTime: {
      if (badPolId) return invalid('PolId is not a factor code');
      const systemTime = cpField(cp, 'SystemTime');
      if (systemTime === undefined || !TIME.test(systemTime))
        return invalid('SystemTime is not yyyyMMddHHmmss');
      return ok(withPol({ kind: 'set-time' as const, systemTime }));
    }
    case CN.getRtdInterval:
      return ok({ kind: 'get-rtd-interval' });
    case CN.setRtdInterval: {
      const seconds = int('RtdInterval');
      if (seconds === undefined || seconds < RTD_INTERVAL_RANGE_S.min || seconds > RTD_INTERVAL_RANGE_S.max) {
        return invalid(`RtdInterval must be ${RTD_INTERVAL_RANGE_S.min}..${RTD_INTERVAL_RANGE_S.max} s`);
      }
      return ok({ kind: 'set-rtd-interval', seconds });
    }
    case CN.getMinInterval:
      return ok({ kind: 'get-min-interval' });
    case CN.setMinInterval: {
      const minutes = int('MinInterval');
      if (minutes === undefined || !(MIN_INTERVALS as readonly number[]).includes(minutes)) {
        return invalid(`MinInterval must be one of ${MIN_INTERVALS.join(', ')} min`);
      }
      return ok({ kind: 'set-min-interval', minutes });
    }
    case CN.timeouts: {
      const overTimeS = int('OverTime');
      const reCount = int('ReCount');
      if (overTimeS === undefined || overTimeS < 1 || reCount === undefined) {
        return invalid('OverTime (≥ 1 s) and ReCount are required');
      }
      return ok({ kind: 'set-timeouts', overTimeS, reCount });
    }
    case CN.setPassword: {
      const newPw = cpField(cp, 'NewPW');
      if (newPw === undefined || newPw.length !== 6) return invalid('NewPW must be 6 characters');
      // It becomes the PW header field of every later frame: one that cannot be written there
      // (`;`, `,`, `=`, `&`, blanks) would stop all uploads, and it is persisted across restarts.
      if (!isHeaderValue(newPw)) return invalid('NewPW must not contain ; , = & or blanks');
      return ok({ kind: 'set-password', newPw });
    }
    case CN.keyExchange: {
      const newSk = cpField(cp, 'NewSK');
      const skCreateTime = cpField(cp, 'SKCreateTime');
      if (newSk === undefined || !isSm4KeyText(newSk))
        return invalid('NewSK must be 16 characters (or 32 hex digits)');
      if (skCreateTime === undefined || !TIME.test(skCreateTime))
        return invalid('SKCreateTime is not yyyyMMddHHmmss');
      return ok({ kind: 'key-exchange', skCreateTime, newSk });
    }
    default:
      return { kind: 'unknown', qnRtn: QN_RTN.wrongCn, detail: `CN ${seg.cn} is not implemented` };
  }
}

/**
 * 9011 QnRtn for the addressing of a frame: 4 when the MN is not ours, 3 when the password is wrong,
 * undefined when both match. MN first: a frame for another station says nothing about our password.
 * An empty MN names no other station (the connection says who it is), and blanks or letter case do
 * not make an MN another one (tolerance.ts counts both).
 */
export function checkAddressing(seg: DataSegment, expected: { mn?: string; pw?: string }): 3 | 4 | undefined {
  if (expected.mn !== undefined && seg.mn !== '' && !sameMn(seg.mn, expected.mn)) return QN_RTN.wrongMn;
  if (expected.pw !== undefined && seg.pw !== expected.pw) return QN_RTN.wrongPassword;
  return undefined;
}
