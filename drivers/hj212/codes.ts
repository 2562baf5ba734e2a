/** The numbers of HJ 212 that both sides must agree on: protocol versions, Flag bits, CNs, return codes. */

import {
  dialectOf,
  dialectOfFlagVersion,
  HJ212_DIALECTS,
  type Hj212Dialect,
  type Hj212Version,
} from './dialect.js';

export type { Hj212Version } from './dialect.js';
export const HJ212_VERSIONS: readonly Hj212Version[] = HJ212_DIALECTS.map((d) => d.version);

/** Flag bit 0: the sender wants an answer (9011 for commands, 9013/9014 for notifications and data). */
export const FLAG_ACK = 0b01;
/** Flag bit 1: a split message; PNUM and PNO are present. */
export const FLAG_SPLIT = 0b10;

/** Flag bits 2–7 hold the version: 0 = HJ/T 212-2005, then each dialect's `flagVersion`. */
export function makeFlag(version: Hj212Version, opts: { ack?: boolean; split?: boolean } = {}): number {
  return (dialectOf(version).flagVersion << 2) | (opts.ack ? FLAG_ACK : 0) | (opts.split ? FLAG_SPLIT : 0);
}

export function wantsAck(flag: number): boolean {
  return (flag & FLAG_ACK) !== 0;
}

export function isSplit(flag: number): boolean {
  return (flag & FLAG_SPLIT) !== 0;
}

/** The version a received Flag announces; `other` for values no published text defines. */
export function versionOfFlag(flag: number): '2005' | Hj212Version | 'other' {
  if (flagVersionBits(flag) === 0) return '2005';
  return dialectOfFlag(flag)?.version ?? 'other';
}

/** The dialect a received Flag announces; undefined for 2005 and values no published text defines. */
export function dialectOfFlag(flag: number): Hj212Dialect | undefined {
  return dialectOfFlagVersion(flagVersionBits(flag));
}

function flagVersionBits(flag: number): number {
  return (flag >> 2) & 0x3f;
}

/** ST: the system a station belongs to; 91 is used by answers (system interaction). */
export const ST = {
  surfaceWater: '21',
  ambientAir: '22',
  noise: '23',
  airPollutionSource: '31',
  waterPollutionSource: '32',
  systemInteraction: '91',
} as const;

export const CN = {
  timeouts: '1000',
  getTime: '1011',
  setTime: '1012',
  timeCalibrationRequest: '1013',
  keyExchange: '1014',
  getRtdInterval: '1061',
  setRtdInterval: '1062',
  getMinInterval: '1063',
  setMinInterval: '1064',
  setPassword: '1072',
  realtimeData: '2011',
  stopRealtime: '2012',
  dayData: '2031',
  minuteData: '2051',
  hourData: '2061',
  fieldInfo: '3020',
  requestAnswer: '9011',
  executionResult: '9012',
  notificationAnswer: '9013',
  dataAnswer: '9014',
  heartbeat: '9015',
} as const;

/** The data CNs a platform may ask history for (with BeginTime/EndTime). */
export const HISTORY_CNS = [CN.realtimeData, CN.minuteData, CN.hourData, CN.dayData] as const;
export type HistoryCn = (typeof HISTORY_CNS)[number];

export function isHistoryCn(cn: string): cn is HistoryCn {
  return (HISTORY_CNS as readonly string[]).includes(cn);
}

/** Answers never get an answer themselves (that would ping-pong between the two sides). */
export function isAnswerCn(cn: string): boolean {
  return (
    cn === CN.requestAnswer ||
    cn === CN.executionResult ||
    cn === CN.notificationAnswer ||
    cn === CN.dataAnswer
  );
}

/** 9011 request answer. */
export const QN_RTN = {
  ready: 1,
  refused: 2,
  wrongPassword: 3,
  wrongMn: 4,
  wrongSt: 5,
  wrongFlag: 6,
  wrongQn: 7,
  wrongCn: 8,
  wrongCrc: 9,
  unknown: 100,
} as const;
export type QnRtn = (typeof QN_RTN)[keyof typeof QN_RTN];

/** 9012 execution result. */
export const EXE_RTN = {
  ok: 1,
  failed: 2,
  badCondition: 3,
  timeout: 4,
  busy: 5,
  fault: 6,
  noData: 100,
} as const;
export type ExeRtn = (typeof EXE_RTN)[keyof typeof EXE_RTN];

/**
 * CNs whose CP is SM4-encrypted under HJ 212-2025: uploads 2000–2999, key exchange 1014, field
 * information 3020. Applied by CN in both directions, so a receiver knows from the plain header alone
 * whether to decrypt (see docs/hj212.md).
 */
export function isEncryptedCn(cn: string): boolean {
  if (cn === CN.keyExchange || cn === CN.fieldInfo) return true;
  const n = Number(cn);
  return /^\d{4}$/.test(cn) && n >= 2000 && n <= 2999;
}
