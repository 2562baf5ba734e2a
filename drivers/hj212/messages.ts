import { CN, type ExeRtn, type Hj212Version, makeFlag, type QnRtn, ST } from './codes.js';
import { type Cp, cpField, cpFrom, emptyCp } from './cp.js';
import type { DataSegment } from './dataSegment.js';
import { dialectOf } from './dialect.js';

/** Who a message is from or about: the station's system code, password and MN, and the edition spoken. */
export interface StationIdentity {
  version: Hj212Version;
  st: string;
  pw: string;
  mn: string;
}

function segment(id: StationIdentity, qn: string, cn: string, cp: Cp, ack: boolean): DataSegment {
  return { qn, st: id.st, cn, pw: id.pw, mn: id.mn, flag: makeFlag(id.version, { ack }), cp };
}

export interface UploadInput {
  /** 2011 real-time, 2051 minute, 2061 hour, 2031 day (or any other upload CN). */
  cn: string;
  qn: string;
  /** `yyyyMMddHHmmss`: the sampling instant (2011) or the period start (2051/2061/2031). */
  dataTime: string;
  /** code → field → value, e.g. { w01018: { Avg: '25.5', Flag: 'N' } }. */
  factors: Cp['factors'] | Record<string, Record<string, string | number>>;
  /** Ask for a 9014. */
  ack: boolean;
  /** Re-sent (补传) data: `RF=1` where the dialect marks re-sends (2025); 2017 has no way to say it. */
  resend?: boolean;
}

/** A data upload (station → platform). */
export function dataUpload(id: StationIdentity, input: UploadInput): DataSegment {
  const cp =
    input.factors instanceof Map
      ? { dataTime: input.dataTime, fields: new Map<string, string>(), factors: input.factors }
      : cpFrom({ dataTime: input.dataTime, factors: input.factors });
  const seg = segment(id, input.qn, input.cn, cp, input.ack);
  if (input.resend && dialectOf(id.version).marksResend) seg.rf = 1;
  return seg;
}

/** 9015 heartbeat (2025), empty CP; with ack the platform answers 9013. */
export function heartbeat(id: StationIdentity, qn: string, ack = true): DataSegment {
  return segment(id, qn, CN.heartbeat, emptyCp(), ack);
}

/** 1013: the station asks the platform to set its time; the platform answers 9013, then sends 1012. */
export function timeCalibrationRequest(id: StationIdentity, qn: string): DataSegment {
  return segment(id, qn, CN.timeCalibrationRequest, emptyCp(), true);
}

/** 1014 from the station (2025): asks for a new SM4 key, saying when its current key was created. */
export function keyRequest(id: StationIdentity, qn: string, skCreateTime: string): DataSegment {
  return segment(id, qn, CN.keyExchange, cpFrom({ fields: { SKCreateTime: skCreateTime } }), true);
}

/**
 * An answer to `to`: its QN, PW and MN, ST 91 (system interaction) and no answer wanted back.
 * `version` is the answering side's edition.
 */
function answer(to: DataSegment, version: Hj212Version, cn: string, cp: Cp): DataSegment {
  return { qn: to.qn, st: ST.systemInteraction, cn, pw: to.pw, mn: to.mn, flag: makeFlag(version), cp };
}

/** 9011: the request is accepted (1) or refused, with why (QnRtn). */
export function requestAnswer(to: DataSegment, version: Hj212Version, qnRtn: QnRtn): DataSegment {
  return answer(to, version, CN.requestAnswer, cpFrom({ fields: { QnRtn: qnRtn } }));
}

/** 9012: how the execution ended (ExeRtn; 100 = no data for a history request). */
export function executionResult(to: DataSegment, version: Hj212Version, exeRtn: ExeRtn): DataSegment {
  return answer(to, version, CN.executionResult, cpFrom({ fields: { ExeRtn: exeRtn } }));
}

/** 9013: a notification (heartbeat, 1013, 1014 request, 2012) was received. */
export function notificationAnswer(to: DataSegment, version: Hj212Version): DataSegment {
  return answer(to, version, CN.notificationAnswer, emptyCp());
}

/** 9014: an upload was received. */
export function dataAnswer(to: DataSegment, version: Hj212Version): DataSegment {
  return answer(to, version, CN.dataAnswer, emptyCp());
}

/**
 * The station's answer carrying data for a get command (1011 time, 1061/1063 intervals): the
 * request's CN and QN, the station's own header. Sent between its 9011 and 9012.
 */
export function commandAnswer(
  to: DataSegment,
  id: StationIdentity,
  fields: Record<string, string | number>,
): DataSegment {
  return segment(id, to.qn, to.cn, cpFrom({ fields }), false);
}

export type Answer =
  | { cn: typeof CN.requestAnswer; qn: string; qnRtn: number | undefined }
  | { cn: typeof CN.executionResult; qn: string; exeRtn: number | undefined }
  | { cn: typeof CN.notificationAnswer | typeof CN.dataAnswer; qn: string };

/** Reads a 9011/9012/9013/9014; undefined for any other CN. A missing or odd code reads as undefined. */
export function readAnswer(seg: DataSegment): Answer | undefined {
  const code = (name: string) => {
    const v = cpField(seg.cp, name);
    return v !== undefined && /^\d{1,3}$/.test(v) ? Number(v) : undefined;
  };
  switch (seg.cn) {
    case CN.requestAnswer:
      return { cn: CN.requestAnswer, qn: seg.qn, qnRtn: code('QnRtn') };
    case CN.executionResult:
      return { cn: CN.executionResult, qn: seg.qn, exeRtn: code('ExeRtn') };
    case CN.notificationAnswer:
    case CN.dataAnswer:
      return { cn: seg.cn, qn: seg.qn };
    default:
      return undefined;
  }
}
