import { describe, expect, it } from 'vitest';
import { flagOf, mapUpload, numberOf } from '../../../agent/acquisition/hj212Input/uploadMapping.js';
import { dataUpload } from '../../../drivers/hj212/messages.js';
import { LOGGER, STATION_2017 } from './fixtures.js';

const TZ = 'Asia/Shanghai';
/** 2026-12-07 12:00:00 in Beijing is 04:00:00 UTC. */
const NOON = Date.UTC(2026, 11, 7, 4, 0, 0);

describe('mapUpload', () => {
  it('maps a 2011 upload to readings per configured channel, flag and DataTime in station time', () => {
    const seg = dataUpload(STATION_2017, {
      cn: '2011',
      qn: '20261207120000001',
      dataTime: '20261207120000',
      factors: { w01018: { Rtd: '25.5', Flag: 'M' }, w01001: { Rtd: '7.12', Flag: 'N' } },
      ack: true,
    });
    const m = mapUpload(seg, LOGGER, TZ);
    if (!m.ok) throw new Error(m.detail);
    expect(m.period).toBe('realtime');
    expect(m.ts).toBe(NOON);
    expect(m.values.map((v) => (v.kind === 'reading' ? v.reading : undefined))).toEqual([
      { ts: NOON, device: 'logger1', channel: 'cod', code: 'w01018', value: 25.5, unit: 'mg/L', flag: 'M' },
      { ts: NOON, device: 'logger1', channel: 'ph', code: 'w01001', value: 7.12, unit: null, flag: 'N' },
    ]);
    expect(m.values[0]!.key).toBe('010000A8900016F000169DC0|2011|20261207120000|w01018');
    expect(m.unknownCodes).toEqual([]);
  });

  it('maps a 2051 upload to the logger records with min/avg/max/cou and its flag', () => {
    const seg = dataUpload(STATION_2017, {
      cn: '2051',
      qn: '20261207120000001',
      dataTime: '20261207120000',
      factors: { w01018: { Min: '20', Avg: '25.5', Max: '30', Cou: '1.5', Flag: 'H' } },
      ack: true,
    });
    const m = mapUpload(seg, LOGGER, TZ);
    if (!m.ok) throw new Error(m.detail);
    expect(m.values).toHaveLength(1);
    const v = m.values[0]!;
    expect(v.kind === 'record' && v.record).toEqual({
      source: 'logger',
      mn: LOGGER.mn,
      device: 'logger1',
      channel: 'cod',
      code: 'w01018',
      unit: 'mg/L',
      period: 'minute',
      start: NOON,
      dataTime: '20261207120000',
      min: 20,
      avg: 25.5,
      max: 30,
      cou: 1.5,
      flag: 'H',
    });
  });

  it('lists codes no channel has, and reports unknown flags as D', () => {
    const seg = dataUpload(STATION_2017, {
      cn: '2011',
      qn: '1',
      dataTime: '20261207120000',
      factors: { w21003: { Rtd: '1' }, w01018: { Rtd: '--', Flag: 'X' } },
      ack: false,
    });
    const m = mapUpload(seg, LOGGER, TZ);
    if (!m.ok) throw new Error(m.detail);
    expect(m.unknownCodes).toEqual(['w21003']);
    expect(m.unknownFlags).toEqual(['X']);
    const v = m.values[0]!;
    expect(v.kind === 'reading' && [v.reading.value, v.reading.flag]).toEqual([null, 'D']);
  });

  it('refuses an upload without a readable DataTime', () => {
    const seg = dataUpload(STATION_2017, {
      cn: '2061',
      qn: '1',
      dataTime: '20261332120000',
      factors: {},
      ack: true,
    });
    expect(mapUpload(seg, LOGGER, TZ)).toMatchObject({ ok: false, reason: 'bad-data-time' });
  });

  it('reads numbers strictly and flags with N as the default', () => {
    expect([numberOf('1e3'), numberOf('-0.5'), numberOf(''), numberOf('NaN'), numberOf(undefined)]).toEqual([
      1000,
      -0.5,
      null,
      null,
      null,
    ]);
    expect(flagOf(undefined, false)).toEqual({ flag: 'N' });
    expect(flagOf('H', false)).toEqual({ flag: 'D', unknown: 'H' });
    expect(flagOf('t', true)).toEqual({ flag: 'T' });
  });
});
