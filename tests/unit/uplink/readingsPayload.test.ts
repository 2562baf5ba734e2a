import { describe, expect, it } from 'vitest';
import { DATA_FLAGS, QC_TESTS, type StoredReading } from '../../../agent/core/reading.js';
import { encodeReadingsPayload, readingsTopic, statusTopic } from '../../../agent/uplink/readingsPayload.js';
import { loadSchema, validateAgainst as validate } from '../../helpers/jsonSchemaCheck.js';

const root = loadSchema('readings.schema.json');

const sample: StoredReading = {
  seq: 1042,
  ts: Date.UTC(2026, 10, 28, 8, 0, 0),
  device: 'nutrient',
  channel: 'cod',
  code: 'w01018',
  value: 25.5,
  unit: 'mg/L',
  flag: 'N',
};

describe('readings payload', () => {
  it('marks a historical batch and carries its seq range', () => {
    const payload = JSON.parse(
      encodeReadingsPayload('s', [sample, { ...sample, seq: 1050 }], { historical: true }),
    );
    expect(payload).toMatchObject({ v: 1, seqFrom: 1042, seqTo: 1050, historical: true });
    expect(validate(root, payload)).toEqual([]);
  });

  it('is exactly the documented JSON', () => {
    expect(encodeReadingsPayload('320700W001', [sample])).toBe(
      '{"v":1,"station":"320700W001","seqFrom":1042,"seqTo":1042,"historical":false,"readings":[{"seq":1042,"ts":"2026-11-28T08:00:00.000Z","device":"nutrient",' +
        '"channel":"cod","code":"w01018","value":25.5,"unit":"mg/L","flag":"N"}]}',
    );
  });

  it('validates against docs/schemas/readings.schema.json, nulls included', () => {
    const payload = JSON.parse(
      encodeReadingsPayload('320700W001', [
        sample,
        { ...sample, seq: 1043, code: null, unit: null, value: null, flag: 'B' },
        { ...sample, seq: 1044, value: Number.NaN },
      ]),
    );
    expect(validate(root, payload)).toEqual([]);
    expect(payload.readings[2].value).toBeNull();
  });

  it('carries qc and state when the reading has them, in a fixed key order, and omits them otherwise', () => {
    const checked: StoredReading = {
      ...sample,
      qc: { flat: 1, roc: 1, spike: 3, range: 1, gross: 1 },
      state: 4,
    };
    expect(encodeReadingsPayload('320700W001', [checked])).toBe(
      '{"v":1,"station":"320700W001","seqFrom":1042,"seqTo":1042,"historical":false,"readings":[{"seq":1042,"ts":"2026-11-28T08:00:00.000Z","device":"nutrient",' +
        '"channel":"cod","code":"w01018","value":25.5,"unit":"mg/L","flag":"N",' +
        '"qc":{"gross":1,"range":1,"spike":3,"roc":1,"flat":1},"state":4}]}',
    );
    const [plain, repeat, unknown] = JSON.parse(
      encodeReadingsPayload('s', [
        sample,
        { ...checked, qc: { ...checked.qc!, repeat: true }, state: Number.NaN },
        { ...sample, state: null },
      ]),
    ).readings;
    expect(Object.keys(plain)).not.toContain('qc');
    expect(Object.keys(plain)).not.toContain('state');
    expect(repeat.qc.repeat).toBe(true);
    expect(repeat.state).toBeNull();
    expect(unknown.state).toBeNull();
    expect(Object.keys(unknown)).not.toContain('qc');
  });

  it('qc and state validate against the schema; bad ones do not', () => {
    const qc = { gross: 9, range: 9, spike: 9, roc: 9, flat: 9 } as const;
    const payload = JSON.parse(
      encodeReadingsPayload('s', [
        { ...sample, value: null, flag: 'B', qc, state: null },
        { ...sample, seq: 1043, qc: { ...qc, gross: 4, repeat: true }, state: 3 },
      ]),
    );
    expect(validate(root, payload)).toEqual([]);
    const r = payload.readings[1];
    for (const bad of [
      { ...r, qc: { ...r.qc, gross: 5 } },
      { ...r, qc: { ...r.qc, repeat: false } },
      { ...r, qc: { ...r.qc, extra: 1 } },
      { ...r, qc: { gross: 1 } },
      { ...r, state: '3' },
    ]) {
      expect(validate(root, { ...payload, readings: [bad] })).not.toEqual([]);
    }
  });

  it('the schema check is not vacuous', () => {
    const good = JSON.parse(encodeReadingsPayload('s', [sample]));
    expect(validate(root, { ...good, v: 2 })).not.toEqual([]);
    expect(validate(root, { ...good, historical: 'no' })).not.toEqual([]);
    const { seqFrom: _, ...noRange } = good;
    expect(validate(root, noRange)).not.toEqual([]);
    expect(validate(root, { ...good, readings: [] })).not.toEqual([]);
    expect(
      validate(root, { ...good, readings: [{ ...good.readings[0], ts: '2026-11-28T08:00:00Z' }] }),
    ).not.toEqual([]);
    expect(validate(root, { ...good, readings: [{ ...good.readings[0], flag: 'X' }] })).not.toEqual([]);
    expect(validate(root, { ...good, readings: [{ ...good.readings[0], extra: 1 }] })).not.toEqual([]);
  });

  it('documents every data flag and every check the agent can produce', () => {
    const defs = root.$defs as Record<
      string,
      { properties: { flag: { enum: string[] }; qc: { required: string[]; properties: object } } }
    >;
    expect(defs.reading!.properties.flag.enum).toEqual([...DATA_FLAGS]);
    expect(defs.reading!.properties.qc.required).toEqual([...QC_TESTS]);
    expect(Object.keys(defs.reading!.properties.qc.properties)).toEqual([...QC_TESTS, 'repeat']);
  });

  it('builds the topics from prefix and station', () => {
    expect(readingsTopic('stations', '320700W001')).toBe('stations/320700W001/readings');
    expect(statusTopic('stations', '320700W001')).toBe('stations/320700W001/status');
  });
});
