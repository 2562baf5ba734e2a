import { CN } from '../../../drivers/hj212/codes.js';
import type { DataSegment } from '../../../drivers/hj212/dataSegment.js';
import { parseHjTime } from '../../../drivers/hj212/time.js';
import type { AggregateFlag, PeriodKind } from '../../core/aggregateRecord.js';
import { channelReading } from '../../core/pollOutcome.js';
import { DATA_FLAGS, type DataFlag, type NewReading } from '../../core/reading.js';
import type { LoggerAggregateRecord, LoggerConfig } from './inputTypes.js';
import { seenKey } from './seenPort.js';

/**
 * An upload of a logger as the agent's values: pure, so the mapping is tested without sockets.
 * 2011 `-Rtd` become readings; 2051/2061/2031 `-Min/-Avg/-Max/-Cou` become the logger's records.
 */

export const UPLOAD_PERIODS: Readonly<Record<string, PeriodKind | 'realtime'>> = {
  [CN.realtimeData]: 'realtime',
  [CN.minuteData]: 'minute',
  [CN.hourData]: 'hour',
  [CN.dayData]: 'day',
};

export function isInputCn(cn: string): boolean {
  return Object.hasOwn(UPLOAD_PERIODS, cn);
}

/** One configured factor of the upload, with the key it is deduplicated under. */
export type MappedValue =
  | { code: string; key: string; kind: 'reading'; reading: NewReading }
  | { code: string; key: string; kind: 'record'; record: LoggerAggregateRecord };

export type MappedUpload =
  | { ok: false; reason: 'bad-data-time'; detail: string }
  | {
      ok: true;
      period: PeriodKind | 'realtime';
      dataTime: string;
      /** DataTime as epoch ms (station time zone). */
      ts: number;
      values: MappedValue[];
      /** Factor codes in the frame that no channel of the logger has. */
      unknownCodes: string[];
      /** Flag texts that are not a DataFlag (nor H in records). */
      unknownFlags: string[];
    };

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A value as sent, or null when it is missing or not a number (`--`, empty): never guessed. */
export function numberOf(text: string | undefined): number | null {
  if (text === undefined || !NUMBER.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/**
 * The logger's flag as a DataFlag: missing is N (loggers omit it for normal data); a text no edition
 * defines is D, so an unknown state is never taken as valid data, and it is reported to be counted.
 */
export function flagOf(text: string | undefined, allowH: boolean): { flag: AggregateFlag; unknown?: string } {
  if (text === undefined || text === '') return { flag: 'N' };
  const t = text.trim().toUpperCase();
  if ((DATA_FLAGS as readonly string[]).includes(t)) return { flag: t as DataFlag };
  if (allowH && t === 'H') return { flag: 'H' };
  return { flag: 'D', unknown: text };
}

export function mapUpload(seg: DataSegment, logger: LoggerConfig, timeZone: string): MappedUpload {
  const period = UPLOAD_PERIODS[seg.cn];
  if (period === undefined) throw new Error(`HJ 212 input: CN ${seg.cn} is not an upload the input takes`);
  const dataTime = seg.cp.dataTime;
  const ts = dataTime === undefined ? undefined : parseHjTime(dataTime, timeZone);
  if (dataTime === undefined || ts === undefined) {
    return {
      ok: false,
      reason: 'bad-data-time',
      detail: `DataTime '${dataTime ?? ''}' is not yyyyMMddHHmmss`,
    };
  }
  const byCode = new Map(logger.channels.map((ch) => [ch.code, ch]));
  const values: MappedValue[] = [];
  const unknownCodes: string[] = [];
  const unknownFlags: string[] = [];
  for (const [code, fields] of seg.cp.factors) {
    const ch = byCode.get(code);
    if (ch === undefined) {
      unknownCodes.push(code);
      continue;
    }
    const key = seenKey(logger.mn, seg.cn, dataTime, code);
    const { flag, unknown } = flagOf(fields.get('Flag'), period !== 'realtime');
    if (unknown !== undefined) unknownFlags.push(unknown);
    if (period === 'realtime') {
      const reading = channelReading(logger.device, ch, ts, numberOf(fields.get('Rtd')), flag as DataFlag);
      values.push({ code, key, kind: 'reading', reading });
    } else {
      values.push({
        code,
        key,
        kind: 'record',
        record: {
          source: 'logger',
          mn: logger.mn,
          device: logger.device,
          channel: ch.id,
          code,
          unit: ch.unit ?? null,
          period,
          start: ts,
          dataTime,
          min: numberOf(fields.get('Min')),
          avg: numberOf(fields.get('Avg')),
          max: numberOf(fields.get('Max')),
          cou: numberOf(fields.get('Cou')),
          flag,
        },
      });
    }
  }
  return { ok: true, period, dataTime, ts, values, unknownCodes, unknownFlags };
}
