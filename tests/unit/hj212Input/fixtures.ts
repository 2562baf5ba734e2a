import { InputCounters } from '../../../agent/acquisition/hj212Input/inputCounters.js';
import type {
  LoggerAggregates,
  LoggerConfig,
  LoggerPollResult,
} from '../../../agent/acquisition/hj212Input/inputTypes.js';
import { MemorySeen } from '../../../agent/acquisition/hj212Input/seenPort.js';
import type { HandlerContext } from '../../../agent/acquisition/hj212Input/uploadHandler.js';
import { silentLogger } from '../../../agent/core/log.js';
import type { StationIdentity } from '../../../drivers/hj212/messages.js';

export const LOGGER: LoggerConfig = {
  device: 'logger1',
  mn: '010000A8900016F000169DC0',
  pw: '123456',
  channels: [
    { id: 'ph', code: 'w01001', unit: null },
    { id: 'cod', code: 'w01018', unit: 'mg/L' },
  ],
};

export const STATION_2017: StationIdentity = { version: '2017', st: '32', pw: LOGGER.pw, mn: LOGGER.mn };

export function context(over: Partial<HandlerContext> = {}) {
  const realtime: LoggerPollResult[] = [];
  const aggregates: LoggerAggregates[] = [];
  let n = 0;
  const ctx: HandlerContext = {
    loggers: [LOGGER],
    timeZone: 'Asia/Shanghai',
    seen: new MemorySeen(),
    counters: new InputCounters(silentLogger()),
    qn: { next: () => `20261207000000${String(n++).padStart(3, '0')}` },
    onRealtime: (r) => {
      realtime.push(r);
    },
    onAggregates: (r) => {
      aggregates.push(r);
    },
    ...over,
  };
  return { ctx, realtime, aggregates };
}
