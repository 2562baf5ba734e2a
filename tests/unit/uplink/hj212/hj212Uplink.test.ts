import { afterEach, describe, expect, it } from 'vitest';
import type { AggregateRecord } from '../../../../agent/aggregation/records.js';
import { buildCommand } from '../../../../drivers/hj212/commands.js';
import type { StationIdentity } from '../../../../drivers/hj212/messages.js';
import { flush } from '../../../helpers/fakeClock.js';
import { MN, T0, UplinkHarness } from './uplinkHarness.js';

const PLATFORM: StationIdentity = { version: '2025', st: '21', pw: '123456', mn: MN };

const S = 1000;
const harnesses: UplinkHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

function harness(config: Record<string, unknown> = {}): UplinkHarness {
  const h = new UplinkHarness(config);
  harnesses.push(h);
  return h;
}

describe('HJ 212 uplink: real-time uploads', () => {
  it('one 2011 per interval, sent once the interval is over; delivered only with its 9014', async () => {
    const h = harness();
    h.uplink.start();
    const p = await h.connect();
    h.poll(T0 + 1 * S, 22.1, 7.4);
    await h.until(T0 + 20 * S);
    h.poll(T0 + 20 * S, 22.2, 7.5);
    await h.until(T0 + 32 * S);
    expect(p.uploads()).toEqual([]); // settle: the interval's slowest poll may still come
    await h.until(T0 + 33 * S);
    const [up] = p.uploads();
    expect(up?.cp.dataTime).toBe('20240601080030');
    expect(Object.fromEntries([...up!.cp.factors].map(([c, f]) => [c, Object.fromEntries(f)]))).toEqual({
      w01018: { Rtd: '22.2', Flag: 'N' },
      w01001: { Rtd: '7.50', Flag: 'N' }, // pH is N2.2 in the standard's code table
    });
    expect(up?.flag).toBe(9); // 2025, answer wanted
    expect(up?.rf).toBeUndefined();
    expect(h.cursor('realtime')).toBe(0);
    p.ackOf(up!);
    await flush();
    expect(h.cursor('realtime')).toBe(4);
    expect(h.uplink.stats()).toMatchObject({ connected: true, backlog: 0, confirmed: 4, inFlight: 0 });
  });

  it('no 9014: re-sent with the same QN, then reconnects and re-sends it with RF=1', async () => {
    const h = harness({ timeout: '1s', retries: 1 });
    h.uplink.start();
    const p1 = await h.connect();
    h.poll(T0 + 1 * S);
    await h.until(T0 + 33 * S);
    expect(p1.uploads()).toHaveLength(1);
    await h.until(T0 + 34 * S);
    expect(p1.uploads().map((u) => u.qn)).toEqual([p1.uploads()[0]!.qn, p1.uploads()[0]!.qn]);
    await h.until(T0 + 35 * S);
    expect(h.sockets[0]!.destroyed).toBe(true);
    expect(h.uplink.stats().connected).toBe(false);
    await h.until(T0 + 35 * S + 100);
    const p2 = await h.connect();
    const [again] = p2.uploads();
    expect(again?.cp.dataTime).toBe('20240601080030');
    expect(again?.rf).toBe(1);
    expect(again?.qn).not.toBe(p1.uploads()[0]!.qn);
    p2.ackOf(again!);
    await flush();
    expect(h.cursor('realtime-backlog')).toBe(2);
    expect(h.uplink.stats().backlog).toBe(0);
  });

  it('data stored while disconnected goes with RF=1; new data goes at once, never behind the backlog', async () => {
    const h = harness({ timeout: '60s' });
    h.uplink.start();
    // The first attempt never completes: the platform is unreachable.
    for (let i = 0; i < 4; i++) h.poll(T0 + (i * 30 + 1) * S, 20 + i);
    await h.until(T0 + 123 * S);
    expect(h.uplink.stats()).toMatchObject({ connected: false, backlog: 8 });
    const p = await h.connect();
    const backlog = p.uploads();
    expect(backlog.map((u) => [u.cp.dataTime, u.rf])).toEqual([
      ['20240601080030', 1],
      ['20240601080100', 1],
      ['20240601080130', 1],
      ['20240601080200', 1],
    ]);
    // None answered yet; a new interval still goes out, live, without RF.
    h.poll(T0 + 125 * S, 30);
    await h.until(T0 + 153 * S);
    const live = p.uploads().slice(4);
    expect(live.map((u) => [u.cp.dataTime, u.rf])).toEqual([['20240601080230', undefined]]);
    p.ackOf(live[0]!);
    await flush();
    expect(h.cursor('realtime')).toBe(10);
    for (const u of backlog) p.ackOf(u);
    await flush();
    expect(h.cursor('realtime-backlog')).toBe(8);
    expect(h.uplink.stats().backlog).toBe(0);
  });

  it('the backlog survives a restart: re-sent with RF=1 until answered, never as live data', async () => {
    const h = harness({ timeout: '60s' });
    h.uplink.start();
    for (let i = 0; i < 2; i++) h.poll(T0 + (i * 30 + 1) * S, 20 + i);
    await h.until(T0 + 63 * S);
    const p = await h.connect();
    expect(p.uploads()).toHaveLength(2);
    // Stopped before the platform answered: the live cursor has moved on, the range is persisted.
    await h.stop();
    expect(h.cursor('realtime')).toBe(4);
    h.build();
    h.uplink.start();
    const p2 = await h.connect();
    expect(p2.uploads().map((u) => [u.cp.dataTime, u.rf])).toEqual([
      ['20240601080030', 1],
      ['20240601080100', 1],
    ]);
    for (const u of p2.uploads()) p2.ackOf(u);
    await flush();
    await h.stop();
    h.build();
    h.uplink.start();
    const p3 = await h.connect();
    await h.until(T0 + 100 * S);
    expect(p3.uploads()).toEqual([]);
  });

  it('HJ 212-2017 without acknowledgement: no RF, delivered once written', async () => {
    const h = harness({ version: 2017, mn: 'STATION-1', ack: false });
    h.uplink.start();
    h.poll(T0 + 1 * S);
    await h.until(T0 + 33 * S);
    const p = await h.connect();
    h.poll(T0 + 40 * S);
    await h.until(T0 + 63 * S);
    expect(p.uploads().map((u) => [u.cp.dataTime, u.rf, u.flag])).toEqual([
      ['20240601080030', undefined, 4],
      ['20240601080100', undefined, 4],
    ]);
    expect(h.cursor('realtime-backlog')).toBe(2);
    expect(h.cursor('realtime')).toBe(4);
  });

  it('the platform stops (2012) and starts (2011) real-time data', async () => {
    const h = harness();
    h.uplink.start();
    const p = await h.connect();
    p.autoAck = true;
    p.send(buildCommand(PLATFORM, '20240601080000001', { kind: 'stop-realtime' }));
    h.poll(T0 + 1 * S);
    await h.until(T0 + 33 * S);
    expect(p.uploads()).toEqual([]);
    expect(h.cursor('realtime')).toBe(2); // skipped, not held back: history still has it
    p.send(buildCommand(PLATFORM, '20240601080033001', { kind: 'start-realtime' }));
    h.poll(T0 + 40 * S);
    await h.until(T0 + 63 * S);
    expect(p.uploads().map((u) => u.cp.dataTime)).toEqual(['20240601080100']);
  });
});

describe('HJ 212 uplink: minute, hour and day data', () => {
  const record = (
    channel: string,
    period: 'minute' | 'hour',
    start: number,
    avg: number,
  ): AggregateRecord => ({
    device: 'nutrient',
    channel,
    code: channel === 'cod' ? 'w01018' : 'w01001',
    unit: channel === 'cod' ? 'mg/L' : null,
    period,
    start,
    end: start + (period === 'minute' ? 60 * S : 3600 * S),
    min: avg - 1,
    avg,
    max: avg + 1,
    cou: null,
    count: 60,
    valid: 60,
    expected: 60,
    flag: avg > 0 ? 'N' : 'H',
    ok: avg > 0,
  });

  it('2051/2061 from the stored records, one message per period start, answered by 9014', async () => {
    const h = harness({ send: ['minute', 'hour'] });
    h.uplink.start();
    const p = await h.connect();
    h.aggregates.upsert([record('cod', 'minute', T0, 22), record('ph', 'minute', T0, -1)]);
    h.aggregates.upsert([record('cod', 'hour', T0, 21)]);
    await flush();
    const [minute] = p.uploads('2051');
    expect(minute?.cp.dataTime).toBe('20240601080000');
    expect(Object.fromEntries([...minute!.cp.factors].map(([c, f]) => [c, Object.fromEntries(f)]))).toEqual({
      w01018: { Min: '21.0', Avg: '22.0', Max: '23.0', Flag: 'N' },
      w01001: { Min: '-2.00', Avg: '-1.00', Max: '0.00', Flag: 'H' },
    });
    p.ackOf(minute!);
    await flush();
    const [hour] = p.uploads('2061');
    expect(hour?.cp.factors.get('w01018')?.get('Avg')).toBe('21.0');
    p.ackOf(hour!);
    await flush();
    expect(h.cursor('aggregates')).toBe(3);
    expect(h.uplink.stats().aggregatesBacklog).toBe(0);
  });

  it('with MinInterval 5, a 2051 per 5-minute block once its last minute is stored', async () => {
    const h = harness({ send: ['minute'], minInterval: '5m', ack: false });
    h.uplink.start();
    const p = await h.connect();
    for (let m = 0; m < 5; m++) h.aggregates.upsert([record('cod', 'minute', T0 + m * 60 * S, 20 + m)]);
    await flush();
    const ups = p.uploads('2051');
    expect(ups.map((u) => u.cp.dataTime)).toEqual(['20240601080000']);
    expect(Object.fromEntries(ups[0]!.cp.factors.get('w01018')!)).toEqual({
      Min: '19.0',
      Avg: '22.0',
      Max: '25.0',
      Flag: 'N',
    });
  });
});
