import { describe, expect, it } from 'vitest';
import type { StoredReading } from '../../../agent/core/reading.js';
import { parseResendRequest, resend } from '../../../agent/uplink/mqttResend.js';
import { ManualClock, settle } from './fakeMqtt.js';

const reading = (seq: number, ts: number, channel = 'cod'): StoredReading => ({
  seq,
  ts,
  device: 'nutrient',
  channel,
  code: null,
  value: seq,
  unit: null,
  flag: 'N',
});

describe('resend', () => {
  it('parses a request and refuses bad ones', () => {
    expect(parseResendRequest({ from: '2026-11-28T08:00:00Z', to: '2026-11-28T09:00:00Z' })).toEqual({
      from: Date.UTC(2026, 10, 28, 8),
      to: Date.UTC(2026, 10, 28, 9),
      kind: 'readings',
    });
    expect(parseResendRequest({ from: 'x', to: '2026-11-28T09:00:00Z' })).toMatch(/ISO/);
    expect(parseResendRequest({ from: '2026-11-28T09:00:00Z', to: '2026-11-28T08:00:00Z' })).toMatch(
      /before/,
    );
    expect(
      parseResendRequest({ from: '2026-11-28T08:00:00Z', to: '2026-11-28T09:00:00Z', kind: 'week' }),
    ).toMatch(/kind/);
    expect(
      parseResendRequest({ from: '2026-11-28T08:00:00Z', to: '2026-11-28T09:00:00Z', channels: [1] }),
    ).toMatch(/channels/);
  });

  it('publishes the range in batches of maxRows, filtered by channel, paced by the rate', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => reading(i + 1, 1000 * (i + 1), i % 2 ? 'ph' : 'cod'));
    const store = {
      lastSeq: () => 30,
      firstSeqSince: (ts: number) => rows.find((r) => r.ts >= ts)?.seq ?? null,
      readAfter: (seq: number, limit: number) => rows.filter((r) => r.seq > seq).slice(0, limit),
    };
    const clock = new ManualClock();
    const batches: number[][] = [];
    const done = resend(
      { from: 5000, to: 20_000, kind: 'readings', channels: ['cod'] },
      {
        store,
        maxRows: 3,
        rate: 2,
        clock,
        publishReadings: async (b) => {
          batches.push(b.map((r) => r.seq));
        },
        publishAggregates: async () => {},
      },
    );
    // 2 batches/s: the second batch waits 500 ms after the first, the third 500 ms more.
    await settle();
    expect(batches).toHaveLength(1);
    await clock.advance(499);
    expect(batches).toHaveLength(1);
    for (let i = 0; i < 4; i++) {
      await clock.advance(500);
      await settle();
    }
    expect(await done).toEqual({ rows: 8, batches: 3 });
    expect(batches).toEqual([
      [5, 7, 9],
      [11, 13, 15],
      [17, 19],
    ]);
  });
});
