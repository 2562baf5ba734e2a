import { readFileSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../agent/core/errors.js';
import { DATA_FLAGS, type QcCode, type StoredReading } from '../../../agent/core/reading.js';
import {
  COLUMNAR_CONTENT_TYPE,
  COLUMNAR_MAGIC,
  decodeReadingsPayload,
  encodeReadingsBatch,
  JSON_CONTENT_TYPE,
  PAYLOAD_ENCODINGS,
} from '../../../agent/uplink/payloadEncoding.js';
import { encodeReadingsPayload, readingsBatch } from '../../../agent/uplink/readingsPayload.js';

const qcCode = fc.constantFrom<QcCode>(1, 2, 3, 4, 9);
const channel = fc.record({
  device: fc.constantFrom('nutrient', 'sonde', 'd\u0000x'),
  channel: fc.constantFrom('cod', 'nh3n', 'ph', '温度'),
  code: fc.option(fc.constantFrom('w01018', 'w21003'), { nil: null }),
  unit: fc.option(fc.constantFrom('mg/L', ''), { nil: null }),
});
const reading = fc.record(
  {
    channel,
    tsStep: fc.integer({ min: -5000, max: 60_000 }),
    seqStep: fc.integer({ min: 1, max: 3 }),
    value: fc.oneof(
      fc.double({ noDefaultInfinity: false }),
      fc.constant(null),
      fc.constant(Number.NaN),
      fc.integer(),
    ),
    flag: fc.constantFrom(...DATA_FLAGS),
    qc: fc.record(
      { gross: qcCode, range: qcCode, spike: qcCode, roc: qcCode, flat: qcCode, repeat: fc.constant(true) },
      { requiredKeys: ['gross', 'range', 'spike', 'roc', 'flat'] },
    ),
    state: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constant(null), fc.double()),
  },
  { requiredKeys: ['channel', 'tsStep', 'seqStep', 'value', 'flag'] },
);

/** Random batches: runs of equal fields (the compressible case) and anything-goes rows alike. */
const batch = fc
  .record({
    startSeq: fc.integer({ min: 1, max: 2 ** 40 }),
    startTs: fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }),
    rows: fc.array(reading, { minLength: 1, maxLength: 60 }),
    historical: fc.boolean(),
  })
  .map(({ startSeq, startTs, rows, historical }) => {
    let seq = startSeq;
    let ts = startTs;
    const readings = rows.map((r): StoredReading => {
      seq += r.seqStep;
      ts = Math.max(0, ts + r.tsStep);
      const out: StoredReading = { seq, ts, ...r.channel, value: r.value, flag: r.flag };
      if (r.qc !== undefined) out.qc = r.qc;
      if (r.state !== undefined) out.state = r.state;
      return out;
    });
    return { readings, historical };
  });

function asJson(readings: StoredReading[], historical: boolean): unknown {
  return JSON.parse(encodeReadingsPayload('320700W001', readings, { historical }));
}

describe('payload encodings', () => {
  it('decode(encode(batch)) is the JSON batch, for every encoding', () => {
    fc.assert(
      fc.property(batch, fc.constantFrom(...PAYLOAD_ENCODINGS), ({ readings, historical }, encoding) => {
        const wire = encodeReadingsBatch(encoding, readingsBatch('320700W001', readings, { historical }));
        const body = typeof wire.body === 'string' ? Buffer.from(wire.body) : wire.body;
        expect(decodeReadingsPayload(body)).toEqual(asJson(readings, historical));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps NaN as null, absent qc/state absent and a null state null', () => {
    const base = { ts: Date.UTC(2026, 10, 28), device: 'd', channel: 'c', code: null, unit: null } as const;
    const readings: StoredReading[] = [
      { ...base, seq: 1, value: Number.NaN, flag: 'B' },
      { ...base, seq: 2, value: 1.5, flag: 'N', state: null },
      { ...base, seq: 3, value: 2, flag: 'N', qc: { gross: 1, range: 1, spike: 3, roc: 1, flat: 1 } },
    ];
    const wire = encodeReadingsBatch('columnar-deflate', readingsBatch('s', readings));
    const decoded = decodeReadingsPayload(wire.body as Buffer);
    expect(decoded.readings[0]).toHaveProperty('value', null);
    expect('qc' in decoded.readings[0]! || 'state' in decoded.readings[0]!).toBe(false);
    expect(decoded.readings[1]).toHaveProperty('state', null);
    expect(decoded.readings[2]).toHaveProperty('qc', { gross: 1, range: 1, spike: 3, roc: 1, flat: 1 });
    expect('state' in decoded.readings[2]!).toBe(false);
  });

  it('carries header fields it does not know (added to the JSON batch later) through', () => {
    const readings: StoredReading[] = [
      { seq: 5, ts: 0, device: 'd', channel: 'c', code: null, unit: null, value: 1, flag: 'N' },
    ];
    const withExtra = { ...readingsBatch('s', readings), db: 'abc', cfg: { hash: 'h' } };
    const wire = encodeReadingsBatch('columnar-deflate', withExtra);
    expect(decodeReadingsPayload(wire.body as Buffer)).toEqual(withExtra);
  });

  it('names the encoding in the MQTT 5 properties and in the first bytes', () => {
    const readings: StoredReading[] = [
      { seq: 5, ts: 0, device: 'd', channel: 'c', code: null, unit: null, value: 1, flag: 'N' },
    ];
    const json = encodeReadingsBatch('json', readingsBatch('s', readings));
    expect(json.properties).toEqual({ contentType: JSON_CONTENT_TYPE, payloadFormatIndicator: true });
    expect(json.body).toBe(encodeReadingsPayload('s', readings));
    const columnar = encodeReadingsBatch('columnar-deflate', readingsBatch('s', readings));
    expect(columnar.properties).toEqual({
      contentType: COLUMNAR_CONTENT_TYPE,
      payloadFormatIndicator: false,
    });
    expect((columnar.body as Buffer).subarray(0, 4)).toEqual(COLUMNAR_MAGIC);
  });

  it('matches the published columnar document schema', () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../../docs/schemas/readings-columnar.schema.json', import.meta.url), 'utf8'),
    ) as { required: string[]; properties: Record<string, unknown> };
    const readings: StoredReading[] = [1, 2, 3].map((seq) => ({
      seq,
      ts: 1000 * seq,
      device: 'd',
      channel: `c${seq % 2}`,
      code: null,
      unit: 'mg/L',
      value: seq / 3,
      flag: 'N',
      state: seq === 3 ? 4 : null,
    }));
    const wire = encodeReadingsBatch('columnar-deflate', readingsBatch('s', readings));
    const doc = JSON.parse(inflateRawSync((wire.body as Buffer).subarray(4)).toString()) as Record<
      string,
      unknown
    >;
    expect(Object.keys(doc).sort()).toEqual([...schema.required].sort());
    expect(Object.keys(schema.properties).sort()).toEqual([...schema.required].sort());
    expect(doc).toMatchObject({
      enc: 'columnar',
      ev: 1,
      n: 3,
      channels: [
        ['d', 'c1', null, 'mg/L'],
        ['d', 'c0', null, 'mg/L'],
      ],
      ch: [0, 1, 0],
      seq: [1, 1, 1],
      ts: [1000, 1000, 1000],
      runs: {
        flag: [[3, 'N']],
        state: [
          [2, null],
          [1, 4],
        ],
      },
    });
  });

  it('refuses bad input with PAYLOAD_INVALID, never a crash', () => {
    const code = (payload: Buffer | string) => {
      try {
        decodeReadingsPayload(payload);
        return 'decoded';
      } catch (err) {
        return isAgentError(err, 'PAYLOAD_INVALID') ? 'PAYLOAD_INVALID' : String(err);
      }
    };
    const magic = (doc: unknown) => Buffer.concat([COLUMNAR_MAGIC, deflateRawSync(JSON.stringify(doc))]);
    const good = { enc: 'columnar', ev: 1, header: {}, n: 1, channels: [['d', 'c', null, null]] };
    expect(code('not json')).toBe('PAYLOAD_INVALID');
    expect(code('{"v":1}')).toBe('PAYLOAD_INVALID');
    expect(code(Buffer.from([0x53, 0x41, 0x43, 0x02, 1, 2]))).toBe('PAYLOAD_INVALID');
    expect(code(Buffer.concat([COLUMNAR_MAGIC, Buffer.from('garbage')]))).toBe('PAYLOAD_INVALID');
    expect(code(magic({ ...good, ch: [0], seq: [1], ts: [0], value: [1], runs: { flag: [[2, 'N']] } }))).toBe(
      'PAYLOAD_INVALID',
    );
    expect(code(magic({ ...good, ch: [5], seq: [1], ts: [0], value: [1], runs: {} }))).toBe(
      'PAYLOAD_INVALID',
    );
    expect(code(magic({ ...good, ch: [0], seq: [1], ts: [9e15], value: [1], runs: {} }))).toBe(
      'PAYLOAD_INVALID',
    );
    expect(code(magic({ ...good, ch: [0], seq: [1], ts: [0], value: [1], runs: { flag: [[1, 'N']] } }))).toBe(
      'decoded',
    );
    // A bomb: a few KB that would inflate past the decoder's cap.
    expect(code(Buffer.concat([COLUMNAR_MAGIC, deflateRawSync(Buffer.alloc(80 * 1024 * 1024))]))).toBe(
      'PAYLOAD_INVALID',
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, withMagic) => {
        const payload = withMagic ? Buffer.concat([COLUMNAR_MAGIC, bytes]) : Buffer.from(bytes);
        expect(['decoded', 'PAYLOAD_INVALID']).toContain(code(payload));
      }),
    );
  });
});
