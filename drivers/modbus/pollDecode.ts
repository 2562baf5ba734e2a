import { engineeringValue } from '../../agent/core/decimal.js';
import type { AgentError } from '../../agent/core/errors.js';
import { channelReading, type PollResult } from '../../agent/core/pollOutcome.js';
import type { DataFlag, NewReading } from '../../agent/core/reading.js';
import { decodeValue, significantDigits } from './decode.js';
import {
  decodeMeasurementTime,
  instrumentState,
  MEASUREMENT_TIME_KEY,
  measurementTimeItem,
  registerItem,
  statusItems,
} from './instrumentState.js';
import type { ModbusChannelSettings, ModbusDeviceSettings } from './modbusSettings.js';
import type { RegisterItem } from './requestPlanner.js';

/**
 * What a Modbus device's readings are made of, and how words become a PollResult. Shared by the
 * poller (devicePoller.ts), which asks for the words, and the passive listener (listen/), which
 * hears another master's answers: both decode exactly alike, flags included (rules in devicePoller.ts).
 */

/** The registers a device needs: every channel's value, the status registers, the measurement time. */
export function deviceRegisterItems(device: ModbusDeviceSettings): RegisterItem[] {
  // A channel without a register belongs to an ascii device (the schema allows nothing else); such a
  // device is polled by drivers/ascii, and here its channels would read as B.
  const items: RegisterItem[] = device.channels.flatMap((ch) =>
    ch.register ? [registerItem(ch.id, ch.register)] : [],
  );
  items.push(...statusItems(device.status), ...measurementTimeItem(device.measurementTime));
  return items;
}

/**
 * One reading cycle from the words read, by item key (absent: not read). `errors` are what failed
 * on the way (the result is ok only without any); `ts` stamps every reading.
 */
export function decodeDeviceWords(
  device: ModbusDeviceSettings,
  words: ReadonlyMap<string, number[]>,
  errors: AgentError[],
  ts: number,
): PollResult {
  const { state, flag: stateFlag } = instrumentState(device.status, words);
  const raw = new Map<string, number[]>();
  const readings = device.channels.map((ch): NewReading => {
    const w = words.get(ch.id);
    if (w) raw.set(ch.id, w);
    const { value, flag } = channelValue(ch, w, stateFlag);
    return channelReading(device.id, ch, ts, value, flag);
  });
  const result: PollResult = { readings, ok: errors.length === 0, errors, raw, state };
  if (device.measurementTime) {
    result.measuredAt = decodeMeasurementTime(device.measurementTime, words.get(MEASUREMENT_TIME_KEY));
  }
  return result;
}

function channelValue(
  ch: ModbusChannelSettings,
  words: number[] | undefined,
  stateFlag: DataFlag,
): { value: number | null; flag: DataFlag } {
  if (!words || !ch.register) return { value: null, flag: 'B' };
  let value: number;
  try {
    const { type, order = 'ABCD' } = ch.register;
    value = engineeringValue(decodeValue(words, type, order), ch.scale, ch.offset, significantDigits(type));
  } catch {
    return { value: null, flag: 'B' }; // too few words: the answer was not what we asked for
  }
  if (!Number.isFinite(value)) return { value: null, flag: 'D' };
  return { value, flag: stateFlag };
}
