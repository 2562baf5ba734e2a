import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATA_FLAGS, QC_TESTS, type StoredReading } from '../../../agent/core/reading.js';
import { encodeReadingsPayload, readingsTopic, statusTopic } from '../../../agent/uplink/readingsPayload.js';

type Schema = Record<string, unknown>;

const root = JSON.parse(
  readFileSync(new URL('../../../docs/schemas/readings.schema.json', import.meta.url), 'utf8'),
) as Schema;

/**
 * Just enough JSON Schema (the keywords readings.schema.json uses) to check our payloads against the
 * published document without adding a validator dependency. Returns the list of violations.
 */
function validate(schema: Schema, value: unknown, path = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Schema)[key], root) as Schema;
    return validate(target, value, path);
  }
  const errors: string[] = [];
  const types = schema.type === undefined ? undefined : ([] as unknown[]).concat(schema.type);
  if (types && !types.some((t) => hasType(value, t as string))) {
    return [`${path}: expected ${types.join('|')}, got ${JSON.stringify(value)}`];
  }
  if ('const' in schema && value !== schema.const) errors.push(`${path}: expected ${String(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: not in enum`);
  if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum) {
    errors.push(`${path}: below minimum`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      errors.push(`${path}: too short`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      errors.push(`${path}: too long`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push(`${path}: does not match ${schema.pattern}`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      errors.push(`${path}: too few items`);
    }
    if (schema.items) {
      for (const [i, v] of value.entries())
        errors.push(...validate(schema.items as Schema, v, `${path}[${i}]`));
    }
  }
  if (isObject(value)) {
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!(key in value)) errors.push(`${path}: missing ${key}`);
    }
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, v] of Object.entries(value)) {
      if (props[key]) errors.push(...validate(props[key], v, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected ${key}`);
    }
  }
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return typeof value === type;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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
