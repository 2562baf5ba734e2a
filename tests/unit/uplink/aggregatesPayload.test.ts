import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGGREGATE_FLAG_PRIORITY } from '../../../agent/aggregation/flagRule.js';
import type { AggregateRecord } from '../../../agent/aggregation/records.js';
import {
  AGGREGATES_PAYLOAD_VERSION,
  aggregatesTopic,
  encodeAggregatesPayload,
} from '../../../agent/uplink/aggregatesPayload.js';

const minute: AggregateRecord = {
  device: 'nutrient',
  channel: 'cod',
  code: 'w01018',
  unit: 'mg/L',
  period: 'minute',
  start: Date.parse('2026-11-28T08:00:00.000Z'),
  end: Date.parse('2026-11-28T08:01:00.000Z'),
  min: 25.0,
  avg: 25.4,
  max: 26.0,
  cou: null,
  count: 6,
  valid: 6,
  expected: 6,
  flag: 'N',
  ok: true,
};

describe('aggregates payload', () => {
  it('encodes the contract exactly: field names, order, ISO times, nothing else', () => {
    expect(encodeAggregatesPayload('320700W001', [{ ...minute, aseq: 17 } as AggregateRecord])).toBe(
      '{"v":1,"station":"320700W001","aggregates":[{"device":"nutrient","channel":"cod","code":"w01018",' +
        '"period":"minute","start":"2026-11-28T08:00:00.000Z","end":"2026-11-28T08:01:00.000Z","min":25,' +
        '"avg":25.4,"max":26,"cou":null,"count":6,"valid":6,"expected":6,"flag":"N"}]}',
    );
    expect(AGGREGATES_PAYLOAD_VERSION).toBe(1);
  });

  it('writes null for values JSON cannot carry, and the H flag of an invalid period', () => {
    const hour = {
      ...minute,
      period: 'hour' as const,
      avg: Number.NaN,
      min: null,
      max: null,
      cou: 12.5,
      flag: 'H' as const,
    };
    const [a] = JSON.parse(encodeAggregatesPayload('s', [hour])).aggregates;
    expect(a).toMatchObject({ period: 'hour', avg: null, min: null, cou: 12.5, flag: 'H' });
  });

  it('publishes to {topicPrefix}/{station}/aggregates', () => {
    expect(aggregatesTopic('stations', '320700W001')).toBe('stations/320700W001/aggregates');
  });

  it('matches docs/schemas/aggregates.schema.json: the same fields, all required, the same flags', () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../../docs/schemas/aggregates.schema.json', import.meta.url), 'utf8'),
    );
    const def = schema.$defs.aggregate;
    const [a] = JSON.parse(encodeAggregatesPayload('s', [minute])).aggregates;
    expect(Object.keys(def.properties)).toEqual(Object.keys(a));
    expect(def.required).toEqual(Object.keys(a));
    expect([...def.properties.flag.enum].sort()).toEqual([...AGGREGATE_FLAG_PRIORITY].sort());
    expect(new RegExp(schema.$defs.time.pattern).test(a.start)).toBe(true);
  });
});
