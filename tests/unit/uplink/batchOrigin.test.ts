import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AggregateRecord } from '../../../agent/aggregation/records.js';
import type { StoredReading } from '../../../agent/core/reading.js';
import { encodeAggregatesPayload } from '../../../agent/uplink/aggregatesPayload.js';
import { encodeReadingsPayload } from '../../../agent/uplink/readingsPayload.js';

type Schema = { required: string[]; properties: Record<string, { pattern?: string }> };
const schema = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../docs/schemas/${name}`, import.meta.url), 'utf8')) as Schema;

const origin = { cfg: 'c'.repeat(64), db: '0123456789abcdef0123456789abcdef' };
const reading: StoredReading = {
  seq: 5,
  ts: Date.parse('2026-11-28T08:00:00.000Z'),
  device: 'nutrient',
  channel: 'cod',
  code: 'w01018',
  value: 25.4,
  unit: 'mg/L',
  flag: 'N',
};
const minute = {
  device: 'nutrient',
  channel: 'cod',
  code: 'w01018',
  unit: 'mg/L',
  period: 'minute',
  start: Date.parse('2026-11-28T08:00:00.000Z'),
  end: Date.parse('2026-11-28T08:01:00.000Z'),
  min: 25,
  avg: 25.4,
  max: 26,
  cou: null,
  count: 6,
  valid: 6,
  expected: 6,
  flag: 'N',
  ok: true,
} as AggregateRecord;

describe('batch origin (cfg, db) in the readings and aggregates payloads', () => {
  const cases = [
    ['readings.schema.json', JSON.parse(encodeReadingsPayload('s', [reading], { origin }))],
    ['aggregates.schema.json', JSON.parse(encodeAggregatesPayload('s', [minute], origin))],
  ] as const;

  for (const [file, payload] of cases) {
    it(`${file}: header fields after station, documented with their pattern, optional`, () => {
      const s = schema(file);
      expect(Object.keys(payload).slice(0, 4)).toEqual(['v', 'station', 'cfg', 'db']);
      expect(payload).toMatchObject({ v: 1, ...origin });
      for (const key of Object.keys(payload)) expect(s.properties).toHaveProperty(key);
      expect(payload.cfg).toMatch(new RegExp(s.properties.cfg!.pattern!));
      expect(payload.db).toMatch(new RegExp(s.properties.db!.pattern!));
      // Older agents' payloads (no cfg/db) stay valid v1 payloads.
      expect(s.required).not.toContain('cfg');
      expect(s.required).not.toContain('db');
    });
  }

  it('leaves the fields out without an origin (encoders used outside an uplink)', () => {
    expect(JSON.parse(encodeReadingsPayload('s', [reading]))).not.toHaveProperty('cfg');
    expect(JSON.parse(encodeAggregatesPayload('s', [minute]))).not.toHaveProperty('db');
  });
});
