import type { Hj212Version } from '../../../drivers/hj212/codes.js';
import type { RejectReason } from '../../../drivers/hj212/rejection.js';
import type { Sm4Layout } from '../../../drivers/hj212/sm4Layout.js';
import type { AggregateFlag, ChannelIdentity, PeriodKind } from '../../core/aggregateRecord.js';
import type { PollResult } from '../../core/pollOutcome.js';

/**
 * HJ 212 input (issue 16 part 2): a certified data logger (数采仪) at the station sends its HJ 212
 * uploads to the agent as to one more platform. These are the shapes the server takes and gives;
 * docs/hj212-input.md describes the setting on the logger's side.
 */

/** One of the logger's factors, as a channel of the logger's device. */
export interface LoggerChannel {
  id: string;
  /** HJ 212 factor code the logger sends it under, e.g. w01018. */
  code: string;
  unit?: string | null;
}

/** One logger (one MN) the agent accepts data from. */
export interface LoggerConfig {
  /** The agent-side device id its readings and records carry. */
  device: string;
  mn: string;
  /** The password the logger sends in PW; a frame with another one is refused (9011 QnRtn 3). */
  pw: string;
  /** The edition answers are written in; default: the one the upload's Flag announces (2017 otherwise). */
  version?: Hj212Version;
  /** HJ 212-2025 SM4 key as configured on the logger (16 characters or 32 hex digits). */
  sm4Key?: string;
  /** Layout hint for a CRC that matches both readings (see sm4Layout.ts); the receiver reads every layout. */
  sm4Layout?: Partial<Sm4Layout>;
  channels: LoggerChannel[];
}

/** A 2011 upload: one poll-like result of the logger's device, stamped with the upload's DataTime. */
export interface LoggerPollResult {
  device: string;
  mn: string;
  /** DataTime as sent (station local time). */
  dataTime: string;
  /** Readings one per configured channel present in the frame, ts = DataTime (epoch ms); measuredAt too. */
  result: PollResult;
}

/** A minute/hour/day value as the logger computed it: kept beside the agent's own AggregateRecord. */
export interface LoggerAggregateRecord extends ChannelIdentity {
  source: 'logger';
  mn: string;
  period: PeriodKind;
  /** Period start (DataTime, epoch ms). The logger's period length is its own setting, not sent. */
  start: number;
  dataTime: string;
  min: number | null;
  avg: number | null;
  max: number | null;
  cou: number | null;
  /** The logger's `-Flag`; N when it sent none; D for a flag text no edition defines (counted). */
  flag: AggregateFlag;
}

export interface LoggerAggregates {
  device: string;
  mn: string;
  period: PeriodKind;
  dataTime: string;
  records: LoggerAggregateRecord[];
}

/** Why a frame was not taken: the decoder's reasons (rejection.ts) and the server's own. */
export type RefuseReason =
  | RejectReason
  /** An MN no logger is configured with (answered 9011 QnRtn 4). */
  | 'unknown-mn'
  /** The MN is known, the PW is not its one (answered 9011 QnRtn 3). */
  | 'wrong-pw'
  /** An upload whose DataTime is missing or not a time. */
  | 'bad-data-time'
  /** The results callback threw: no 9014, the logger sends it again. */
  | 'callback-failed';

export interface InputCountersSnapshot {
  /** Upload frames taken (including those whose values were all duplicates). */
  framesOk: number;
  refused: Partial<Record<RefuseReason, number>>;
  /** Values (MN, CN, DataTime, code) dropped as already received. */
  duplicates: number;
  /** Values under a factor code no channel of the logger has, per code. */
  unknownCodes: Record<string, number>;
  /** Flag texts no edition defines, per text (the value is kept with flag D). */
  unknownFlags: Record<string, number>;
  /** Frames of a CN the input does not take (commands, answers), per CN. */
  otherCns: Record<string, number>;
  /** 9014 data answers sent. */
  answered: number;
  connections: number;
  /** A logger's older connections closed because it connected again and they had gone silent. */
  staleClosed: number;
  /** framesOk, duplicates, answered and unknownCodes per logger, keyed by MN in upper case. */
  byMn: Record<string, LoggerCounters>;
}

/** One logger's share of the input's counters. */
export interface LoggerCounters {
  framesOk: number;
  duplicates: number;
  answered: number;
  unknownCodes: Record<string, number>;
}
