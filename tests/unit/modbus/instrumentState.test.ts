import { describe, expect, it } from 'vitest';
import type {
  DeviceConfig,
  MeasurementTimeConfig,
  RegisterTable,
  StatusConfig,
} from '../../../agent/config/schema.js';
import { AgentError } from '../../../agent/core/errors.js';
import { silentLogger } from '../../../agent/core/log.js';
import { encodeValue } from '../../../drivers/modbus/decode.js';
import { createDevicePoller, type RegisterReader } from '../../../drivers/modbus/devicePoller.js';
import {
  decodeMeasurementTime,
  instrumentState,
  STATUS_KEY,
} from '../../../drivers/modbus/instrumentState.js';
import { FakeClock } from '../../helpers/fakeClock.js';

const discrete = (address: number) => ({ table: 'discrete' as const, address, type: 'bool' as const });

/** Teledyne-style: zero/span bits, then "system OK" that means a fault when clear. */
const bitsStatus: StatusConfig = {
  flags: {},
  default: 'D',
  bits: [
    { register: discrete(16), when: 'set', flag: 'C' },
    { register: discrete(17), when: 'set', flag: 'C' },
    { register: discrete(19), when: 'clear', flag: 'D' },
  ],
};

function words(entries: Record<string, number[]>): Map<string, number[]> {
  return new Map(Object.entries(entries));
}

describe('instrument state from bits and registers', () => {
  it('takes the first bit in its `when` state; none: N, with the bits as the state', () => {
    const w = (zero: number, span: number, ok: number) =>
      words({ '$status.bit0': [zero], '$status.bit1': [span], '$status.bit2': [ok] });
    expect(instrumentState(bitsStatus, w(0, 0, 1))).toEqual({ state: 4, flag: 'N' });
    expect(instrumentState(bitsStatus, w(1, 0, 1))).toEqual({ state: 5, flag: 'C' });
    expect(instrumentState(bitsStatus, w(0, 1, 0))).toEqual({ state: 2, flag: 'C' });
    expect(instrumentState(bitsStatus, w(0, 0, 0))).toEqual({ state: 0, flag: 'D' });
  });

  it('reads N (and no state) when any status part is unread', () => {
    expect(instrumentState(bitsStatus, words({ '$status.bit0': [1], '$status.bit1': [0] }))).toEqual({
      state: null,
      flag: 'N',
    });
    expect(instrumentState(undefined, words({}))).toEqual({ state: null, flag: 'N' });
  });

  it('tries bits before the register mapping, and masks register bits', () => {
    const status: StatusConfig = {
      register: { table: 'input', address: 32, type: 'uint16' },
      flags: { '0': 'N', '1': 'C' },
      default: 'D',
      bits: [
        { register: { table: 'input', address: 33, type: 'uint16' }, mask: 0x8000, when: 'set', flag: 'T' },
      ],
    };
    expect(instrumentState(status, words({ [STATUS_KEY]: [1], '$status.bit0': [0x7fff] }))).toEqual({
      state: 1,
      flag: 'C',
    });
    expect(instrumentState(status, words({ [STATUS_KEY]: [1], '$status.bit0': [0x8001] }))).toEqual({
      state: 1,
      flag: 'T',
    });
    expect(instrumentState(status, words({ [STATUS_KEY]: [9], '$status.bit0': [0] }))).toEqual({
      state: 9,
      flag: 'D',
    });
  });
});

describe('measurement time', () => {
  const bcd: MeasurementTimeConfig = { table: 'input', address: 40, format: 'bcd', utcOffset: '+08:00' };

  it('decodes BCD YYMM DDhh mmss at the analyzer clock offset', () => {
    expect(decodeMeasurementTime(bcd, [0x2405, 0x1709, 0x3000])).toBe(Date.UTC(2024, 4, 17, 1, 30, 0));
    expect(decodeMeasurementTime({ ...bcd, utcOffset: '-03:30' }, [0x2412, 0x3123, 0x5959])).toBe(
      Date.UTC(2025, 0, 1, 3, 29, 59),
    );
  });

  it('refuses what is not a time: non-BCD digits, impossible dates, zeros, too few words', () => {
    expect(decodeMeasurementTime(bcd, [0x241a, 0x1709, 0x3000])).toBeNull();
    expect(decodeMeasurementTime(bcd, [0x2413, 0x0109, 0x3000])).toBeNull();
    expect(decodeMeasurementTime(bcd, [0x2404, 0x3109, 0x3000])).toBeNull(); // 31 April
    expect(decodeMeasurementTime(bcd, [0, 0, 0])).toBeNull();
    expect(decodeMeasurementTime(bcd, [0x2405, 0x1709])).toBeNull();
    expect(decodeMeasurementTime(bcd, undefined)).toBeNull();
  });

  it('decodes epoch seconds in the configured word order', () => {
    const t = { table: 'holding', address: 0, format: 'epoch', order: 'CDAB', utcOffset: '+08:00' } as const;
    expect(decodeMeasurementTime(t, encodeValue(1_715_909_400, 'uint32', 'CDAB'))).toBe(1_715_909_400_000);
    expect(decodeMeasurementTime(t, [0, 0])).toBeNull();
  });
});

describe('device poller with status bits and a measurement time', () => {
  function setup(fail?: (table: RegisterTable) => unknown) {
    const tables: Record<RegisterTable, Map<number, number>> = {
      coil: new Map(),
      discrete: new Map([
        [16, 0],
        [17, 1],
        [19, 1],
      ]),
      holding: new Map(),
      input: new Map(),
    };
    encodeValue(3.25, 'float32').forEach((w, i) => {
      tables.input.set(34 + i, w);
    });
    [0x2405, 0x1709, 0x3000].forEach((w, i) => {
      tables.input.set(40 + i, w);
    });
    const calls: string[] = [];
    const bus: RegisterReader = {
      read: async (_unit, table, address, count) => {
        calls.push(`${table}:${address}+${count}`);
        const err = fail?.(table);
        if (err) throw err;
        return Array.from({ length: count }, (_, i) => tables[table].get(address + i) ?? 0);
      },
    };
    const device: DeviceConfig = {
      id: 't101',
      bus: 'lan',
      unit: 1,
      interval: 10_000,
      enabled: true,
      channels: [
        { id: 'so2', register: { table: 'input', address: 34, type: 'float32' }, scale: 1, offset: 0 },
      ],
      status: bitsStatus,
      measurementTime: { table: 'input', address: 40, format: 'bcd', utcOffset: '+08:00' },
      workarounds: {},
    };
    return {
      calls,
      poller: createDevicePoller({ device, bus, clock: new FakeClock(), log: silentLogger() }),
    };
  }

  it('reads the bits in one request and flags by them', async () => {
    const { calls, poller } = setup();
    const result = await poller.poll();
    expect(calls).toEqual(['discrete:16+4', 'input:34+9']);
    expect(result.state).toBe(6);
    expect(result.measuredAt).toBe(Date.UTC(2024, 4, 17, 1, 30));
    expect(result.readings[0]).toMatchObject({ value: 3.25, flag: 'C' });
  });

  it('keeps the value flagged N when the bits cannot be read', async () => {
    const { poller } = setup((t) =>
      t === 'discrete' ? new AgentError('MODBUS_EXCEPTION', 'illegal address') : undefined,
    );
    const result = await poller.poll();
    expect(result.ok).toBe(false);
    expect(result.state).toBeNull();
    expect(result.readings[0]).toMatchObject({ value: 3.25, flag: 'N' });
  });
});
