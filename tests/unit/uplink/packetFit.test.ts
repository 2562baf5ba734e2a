import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PacketFit, publishOverhead } from '../../../agent/uplink/packetFit.js';
import { encodeReadingsBatch } from '../../../agent/uplink/payloadEncoding.js';

const TOPIC = 'stations/320700W001/readings';
type Row = { seq: number; value: number };
const rows = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({ seq: i + 1, value: 20 + i / 7 }));

function rig(maxPacketBytes: number, encoding: 'json' | 'columnar-deflate' = 'json') {
  const logs: { level: number; msg: string }[] = [];
  let encodes = 0;
  const fit = new PacketFit<Row>({
    stream: 'readings',
    topic: TOPIC,
    encode: (rs) => {
      encodes++;
      return encodeReadingsBatch(encoding, {
        v: 1,
        station: '320700W001',
        readings: rs.map((r) => ({
          seq: r.seq,
          ts: '2026-12-07T08:00:00.000Z',
          device: 'd',
          channel: 'c',
          value: r.value,
          flag: 'N',
        })),
      });
    },
    maxPacketBytes: () => maxPacketBytes,
    log: pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
  });
  return { fit, logs, encodes: () => encodes };
}

const packetBytes = (payload: ReturnType<PacketFit<Row>['payload']>) =>
  typeof payload === 'string'
    ? Buffer.byteLength(payload)
    : (typeof payload.body === 'string' ? Buffer.byteLength(payload.body) : payload.body.length) +
      publishOverhead(TOPIC, payload.properties.contentType);

describe('PacketFit', () => {
  it('takes the whole batch when it fits, and sends the payload it measured (one encoding)', () => {
    const { fit, encodes } = rig(128 * 1024);
    const batch = rows(500);
    expect(fit.fit(batch)).toBe(500);
    const payload = fit.payload(batch);
    expect(encodes()).toBe(1);
    expect(packetBytes(payload)).toBeLessThanOrEqual(128 * 1024);
  });

  it('over the limit: the longest prefix whose packet fits, and its payload is the one sent', () => {
    const { fit, encodes } = rig(8 * 1024);
    const batch = rows(500);
    const n = fit.fit(batch);
    expect(n).toBeGreaterThan(1);
    expect(n).toBeLessThan(500);
    const counted = encodes();
    const sent = fit.payload(batch.slice(0, n));
    expect(encodes()).toBe(counted); // reused, not encoded again
    expect(packetBytes(sent)).toBeLessThanOrEqual(8 * 1024);
    // One more row would not have fitted.
    expect(packetBytes(fit.payload(batch.slice(0, n + 1)))).toBeGreaterThan(8 * 1024);
  });

  it('keeps compressed batches within the limit too', () => {
    const { fit } = rig(4 * 1024, 'columnar-deflate');
    const batch = rows(5000);
    const n = fit.fit(batch);
    expect(n).toBeLessThan(5000);
    expect(packetBytes(fit.payload(batch.slice(0, n)))).toBeLessThanOrEqual(4 * 1024);
  });

  it('sends a single row even when it alone is over the limit (the broker decides)', () => {
    const { fit } = rig(64);
    expect(fit.fit(rows(10))).toBe(1);
    expect(fit.fit(rows(1))).toBe(1);
  });

  it('encodes afresh when asked for rows it did not measure', () => {
    const { fit, encodes } = rig(128 * 1024);
    const batch = rows(10);
    fit.fit(batch);
    fit.payload(rows(3));
    expect(encodes()).toBe(2);
  });

  it('logs the first trim at info, later ones at debug', () => {
    const { fit, logs } = rig(4 * 1024);
    fit.fit(rows(500));
    fit.fit(rows(400));
    const trims = logs.filter((l) => l.msg.includes('packet'));
    expect(trims.map((l) => l.level)).toEqual([30, 20]);
  });
});
