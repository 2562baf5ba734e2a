import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AggregateStore } from '../../../../agent/store/aggregateStore.js';
import { openDatabase } from '../../../../agent/store/openDatabase.js';
import { ReadingStore } from '../../../../agent/store/readingStore.js';
import { codMinute } from '../../../helpers/aggregateFixture.js';
import { T0, UplinkHarness } from './uplinkHarness.js';

/**
 * `uplinks[].backfill`: an HJ 212 uplink added to a station that already holds data. By default
 * everything stored goes as backlog (RF=1); with a backfill, only what was measured within it.
 */
const S = 1000;
const harnesses: UplinkHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

/** A store holding three polls (2, 1.5 and 0.5 minutes before T0) and three minute records. */
function storeWithHistory() {
  const db = openDatabase({ path: ':memory:', log: pino({ level: 'silent' }) });
  const readings = new ReadingStore({ db });
  for (const ago of [119, 89, 29]) {
    const base = { ts: T0 - ago * S, device: 'nutrient', flag: 'N' as const };
    readings.append([
      { ...base, channel: 'cod', code: 'w01018', unit: 'mg/L', value: 20 + ago / 100 },
      { ...base, channel: 'ph', code: 'w01001', unit: null, value: 7.5 },
    ]);
  }
  // Minutes ending at T0 - 2 min, T0 - 1 min and T0 (codMinute counts from its own T0).
  const aggregates = new AggregateStore({ db });
  for (const endsAgo of [2, 1, 0]) {
    const start = T0 - (endsAgo + 1) * 60 * S;
    aggregates.upsert([{ ...codMinute(0), start, end: start + 60 * S }]);
  }
  return db;
}

function harness(config: Record<string, unknown>): UplinkHarness {
  const h = new UplinkHarness(
    { timeout: '60s', send: ['realtime', 'minute'], ...config },
    storeWithHistory(),
  );
  harnesses.push(h);
  return h;
}

describe('HJ 212 uplink backfill', () => {
  it('default (all): everything stored goes as backlog with RF=1', async () => {
    const h = harness({});
    h.uplink.start();
    await h.until(T0 + 3 * S);
    const p = await h.connect();
    const realtime = p.uploads('2011');
    expect(realtime.map((u) => [u.cp.dataTime, u.rf])).toEqual([
      ['20240601075830', 1],
      ['20240601075900', 1],
      ['20240601080000', 1],
    ]);
    expect(p.uploads('2051')).toHaveLength(3);
  });

  it('1m: only what was measured within the last minute, also after a restart', async () => {
    const h = harness({ backfill: '1m' });
    // Set before the first connection: rows up to here are never this uplink's to send.
    expect(h.cursors.peek('up#realtime')).toBe(4);
    expect(h.cursors.peek('up#aggregates')).toBe(1);
    h.uplink.start();
    await h.until(T0 + 3 * S);
    const p = await h.connect();
    const realtime = p.uploads('2011');
    expect(realtime.map((u) => [u.cp.dataTime, u.rf])).toEqual([['20240601080000', 1]]);
    // The minute ending one minute ago ends within the window, the one before does not.
    expect(p.uploads('2051').map((u) => [u.cp.dataTime, u.rf])).toEqual([
      ['20240601075800', 1],
      ['20240601075900', 1],
    ]);
    // The connection moved the live cursor to the newest row; a restart leaves it there.
    const moved = h.cursors.peek('up#realtime');
    expect(moved).toBe(6);
    await h.stop();
    h.build();
    expect(h.cursors.peek('up#realtime')).toBe(moved);
  });

  it('0s: nothing stored before the first run is sent; new data is', async () => {
    const h = harness({ backfill: '0s' });
    h.uplink.start();
    const p = await h.connect();
    h.poll(T0 + 1 * S, 30);
    await h.until(T0 + 33 * S);
    expect(p.uploads().map((u) => [u.cn, u.cp.dataTime, u.rf])).toEqual([
      ['2011', '20240601080030', undefined],
    ]);
  });

  it('an uplink that ran before keeps its cursors whatever backfill says', async () => {
    const h = harness({});
    expect(h.cursors.cursor('up#realtime')).toBe(0);
    h.cursors.confirm('up#realtime', 2);
    await h.stop();
    const again = new UplinkHarness({ backfill: '0s' }, h.db);
    harnesses.push(again);
    expect(again.cursors.peek('up#realtime')).toBe(2);
  });
});
