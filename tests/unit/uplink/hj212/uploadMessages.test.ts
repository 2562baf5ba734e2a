import { describe, expect, it } from 'vitest';
import { PeriodCalendar } from '../../../../agent/aggregation/periods.js';
import { HJ212_SEND } from '../../../../agent/config/hj212Schema.js';
import type { StoredReading } from '../../../../agent/core/reading.js';
import type { StoredAggregate } from '../../../../agent/store/aggregateStore.js';
import {
  aggregateMessages,
  FactorOwners,
  formatValue,
  realtimeMessages,
  rtdIntervalEnd,
} from '../../../../agent/uplink/hj212/uploadMessages.js';

const cal = new PeriodCalendar('Asia/Shanghai');
// 2024-06-01 08:00:00 in Shanghai.
const T0 = Date.UTC(2024, 5, 1, 0, 0, 0);

const devices = [
  {
    id: 'nutrient',
    enabled: true,
    channels: [
      { id: 'cod', code: 'w01018', unit: 'mg/L' },
      { id: 'ph', code: 'w01001' },
      { id: 'raw' }, // no code: stays local
    ],
  },
  {
    id: 'sonde',
    enabled: true,
    channels: [
      { id: 'ph', code: 'w01001' },
      { id: 'temp', code: 'w01010' },
    ],
  },
  { id: 'spare', enabled: false, channels: [{ id: 'x', code: 'w21003' }] },
] as unknown as ConstructorParameters<typeof FactorOwners>[0];
const owners = new FactorOwners(devices, 'province');

let seq = 0;
const reading = (
  device: string,
  channel: string,
  ts: number,
  value: number | null,
  flag = 'N',
): StoredReading =>
  ({ seq: ++seq, ts, device, channel, code: null, unit: null, value, flag }) as StoredReading;

describe('factor codes', () => {
  it('come from the channels; the first channel configured with a code speaks for it', () => {
    expect(owners.codeOf('nutrient', 'ph')).toBe('w01001');
    expect(owners.codeOf('sonde', 'ph')).toBeUndefined();
    expect(owners.codeOf('nutrient', 'raw')).toBeUndefined();
    expect(owners.codeOf('spare', 'x')).toBeUndefined();
    expect(owners.channels().map((c) => c.code)).toEqual(['w01018', 'w01001', 'w01010']);
    expect(owners.channels()[0]).toEqual({
      device: 'nutrient',
      channel: 'cod',
      code: 'w01018',
      unit: 'mg/L',
    });
  });

  it('a channel excluded from an uplink is not sent to it; another channel with its code speaks instead', () => {
    const excluding = structuredClone(devices);
    excluding[0]!.channels[1]!.excludeUplinks = ['province'];
    const province = new FactorOwners(excluding, 'province');
    expect(province.codeOf('nutrient', 'ph')).toBeUndefined();
    expect(province.codeOf('sonde', 'ph')).toBe('w01001');
    const rows = [reading('nutrient', 'ph', T0 + 1000, 7.1), reading('sonde', 'ph', T0 + 2000, 7.4)];
    const msgs = realtimeMessages(rows, { owners: province, calendar: cal, intervalMs: 30_000 });
    expect(msgs[0]!.factors.w01001).toEqual({ Rtd: '7.40', Flag: 'N' });
    // The exclusion names one uplink: any other still sends the analyzer's pH.
    expect(new FactorOwners(excluding, 'ministry').codeOf('nutrient', 'ph')).toBe('w01001');
  });
});

describe('real-time snapshots (2011)', () => {
  it('intervals are aligned on the local hour and labelled with their end', () => {
    expect(rtdIntervalEnd(cal, T0, 30_000)).toBe(T0 + 30_000);
    expect(rtdIntervalEnd(cal, T0 + 29_999, 30_000)).toBe(T0 + 30_000);
    expect(rtdIntervalEnd(cal, T0 + 30_000, 30_000)).toBe(T0 + 60_000);
    // 7 minutes does not divide the hour: the last interval ends at the hour.
    expect(rtdIntervalEnd(cal, T0 + 59 * 60_000, 420_000)).toBe(T0 + 3_600_000);
  });

  it('one message per interval, each factor with its latest value and flag, in config order', () => {
    const rows = [
      reading('sonde', 'temp', T0 + 1000, 18.25),
      reading('nutrient', 'cod', T0 + 1000, 22.1),
      reading('nutrient', 'cod', T0 + 20_000, 22.534999847),
      reading('sonde', 'ph', T0 + 21_000, 9.9), // not the owner of w01001
      reading('nutrient', 'ph', T0 + 25_000, null, 'B'),
      reading('nutrient', 'cod', T0 + 31_000, 23),
    ];
    const msgs = realtimeMessages(rows, { owners, calendar: cal, intervalMs: 30_000 });
    expect(msgs.map((m) => [m.cn, m.dataTime])).toEqual([
      ['2011', '20240601080030'],
      ['2011', '20240601080100'],
    ]);
    expect(msgs[0]!.factors).toEqual({
      // COD is N5.1 in the standard's code table: one decimal (22.535 → 22.5).
      w01018: { Rtd: '22.5', Flag: 'N' },
      // No value: the flag alone says why.
      w01001: { Flag: 'B' },
      // Water temperature N3.1.
      w01010: { Rtd: '18.2', Flag: 'N' },
    });
    expect(Object.keys(msgs[0]!.factors)).toEqual(['w01018', 'w01001', 'w01010']);
    expect(msgs[1]!.factors).toEqual({ w01018: { Rtd: '23.0', Flag: 'N' } });
  });

  it("values with the channel's decimals, else the code's format, else as measured; never an exponent", () => {
    const own = new FactorOwners(
      [
        {
          id: 'a',
          enabled: true,
          channels: [
            { id: 'nh3n', code: 'w21003' }, // N4.2
            { id: 'cod', code: 'w01018', decimals: 3 }, // the channel's own setting wins over N5.1
            { id: 'turb', code: 'w01003' }, // not in the 2017 table
            { id: 'x', code: 'w99999', decimals: 0 },
          ],
        },
      ] as unknown as ConstructorParameters<typeof FactorOwners>[0],
      'province',
    );
    const rows = [
      reading('a', 'nh3n', T0 + 1000, 17.51),
      reading('a', 'cod', T0 + 1000, 7.6),
      reading('a', 'turb', T0 + 1000, 1e-7),
      reading('a', 'x', T0 + 1000, 12.5),
    ];
    const [msg] = realtimeMessages(rows, { owners: own, calendar: cal, intervalMs: 30_000 });
    expect(msg!.factors).toEqual({
      w21003: { Rtd: '17.51', Flag: 'N' },
      w01018: { Rtd: '7.600', Flag: 'N' },
      w01003: { Rtd: '0.0000001', Flag: 'N' },
      w99999: { Rtd: '12', Flag: 'N' }, // 12.5 to 0 decimals, half to even (GB/T 8170)
    });
  });

  it('value text: the decimal meant, no exponent, no binary tail', () => {
    expect(formatValue(0.1 + 0.2, 2)).toBe('0.30');
    expect(formatValue(17.51)).toBe('17.51');
    expect(formatValue(1e-8)).toBe('0.00000001');
    expect(formatValue(12_345_678_901)).toBe('12345678901');
    expect(formatValue(-7, 1)).toBe('-7.0');
    expect(formatValue(12_345_678.9, 1)).toBe('12345678.9');
    expect(formatValue(1e21)).toBe('1000000000000000000000');
  });
});

describe('minute/hour/day messages (2051/2061/2031)', () => {
  const agg = (
    device: string,
    channel: string,
    period: 'minute' | 'hour' | 'day',
    start: number,
    over: Partial<StoredAggregate> = {},
  ): StoredAggregate =>
    ({
      aseq: ++seq,
      device,
      channel,
      code: null,
      unit: null,
      period,
      start,
      end: start + 60_000,
      min: 1,
      avg: 2,
      max: 3,
      cou: null,
      count: 60,
      valid: 60,
      expected: 60,
      flag: 'N',
      ok: true,
      ...over,
    }) as StoredAggregate;
  const opts = {
    owners,
    timeZone: 'Asia/Shanghai',
    send: new Set(HJ212_SEND),
    insufficientFlag: 'H' as const,
  };

  it('one message per period start with Min/Avg/Max/Cou/Flag, DataTime = period start', () => {
    const rows = [
      agg('nutrient', 'cod', 'minute', T0, { cou: 12.5 }),
      agg('sonde', 'temp', 'minute', T0, { min: null, avg: null, max: null, flag: 'H', ok: false }),
      agg('nutrient', 'cod', 'hour', T0),
      agg('nutrient', 'cod', 'day', T0 - 8 * 3_600_000),
    ];
    const msgs = aggregateMessages(rows, opts);
    expect(msgs.map((m) => [m.cn, m.dataTime])).toEqual([
      ['2051', '20240601080000'],
      ['2061', '20240601080000'],
      ['2031', '20240601000000'],
    ]);
    expect(msgs[0]!.factors).toEqual({
      // N5.1 for the values; Cou is an amount, sent as measured.
      w01018: { Min: '1.0', Avg: '2.0', Max: '3.0', Cou: '12.5', Flag: 'N' },
      w01010: { Flag: 'H' },
    });
  });

  it('sends only the kinds configured, and H as the configured flag', () => {
    const rows = [
      agg('nutrient', 'cod', 'minute', T0, { flag: 'H', ok: false }),
      agg('nutrient', 'cod', 'hour', T0, { flag: 'H' }),
    ];
    const msgs = aggregateMessages(rows, {
      ...opts,
      send: new Set(['hour'] as const),
      insufficientFlag: 'D',
    });
    expect(msgs.map((m) => m.cn)).toEqual(['2061']);
    expect(msgs[0]!.factors.w01018!.Flag).toBe('D');
  });
});
