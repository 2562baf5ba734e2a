/**
 * Issue 5's HJ 212 uplink end to end, with real parts: the simulator's analyzers → the agent
 * (in-process, real time, its wall clock offset to hh:mm:50 so minute records come quickly) → two
 * platform simulators at once: A speaks HJ 212-2017 without acknowledgements, B HJ 212-2025 with
 * acknowledgements and SM4 (key from ${HJ212_KEY}). B is down for 60 s: its backlog must arrive
 * afterwards with RF=1 and nothing missing, while A never notices. Then a history request for the
 * last 10 minutes must return exactly the stored minute records, between 9011 and 9012.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { StationAgent } from '../../agent/app/stationAgent.js';
import { loadConfigText } from '../../agent/config/load.js';
import type { Clock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import { noMetrics } from '../../agent/core/metricsSink.js';
import { valueText } from '../../agent/core/valueText.js';
import { noAgentControl } from '../../agent/uplink/agentControl.js';
import { channelDecimals } from '../../drivers/hj212/factorFormats.js';
import { formatHjTime, parseHjTime } from '../../drivers/hj212/time.js';
import { type PlatformHandle, startPlatform } from '../../scripts/platform/platformServer.js';
import type { ReceivedFrame } from '../../scripts/platform/records.js';
import { type SimulatorHandle, startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import {
  DEMO_MAP,
  nutrientDevice,
  sleep,
  sondeDevice,
  tempStation,
} from '../../scripts/support/stationFixture.js';

const TZ = 'Asia/Shanghai';
const RTD_MS = 5000;
const OUTAGE_MS = 60_000;
const KEY = 'K3y-For-SM4-2025';
const MN_A = 'STATION-A-2017';
const MN_B = '010000A8900016F000169DC0';

/** Real time shifted by a fixed offset: a station PC whose clock reads a chosen time. */
function offsetClock(offsetMs: number): Clock {
  return {
    now: () => Date.now() + offsetMs,
    monotonic: () => performance.now(),
    setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
    clearTimeout: (h) => clearTimeout(h.id as NodeJS.Timeout),
  };
}

const realtime = (p: PlatformHandle) =>
  p.frames.filter((f) => f.segment.cn === '2011' && f.segment.cp.dataTime);
const timeOf = (f: ReceivedFrame) => parseHjTime(f.segment.cp.dataTime!, TZ)!;
const factorsOf = (f: ReceivedFrame) =>
  Object.fromEntries([...f.segment.cp.factors].map(([code, fields]) => [code, Object.fromEntries(fields)]));

describe('HJ 212 uplink to two platforms at once', () => {
  const tmp = tempStation();
  let sim: SimulatorHandle;
  let a: PlatformHandle;
  let b: PlatformHandle;
  let agent: StationAgent;
  // Wall time starts at hh:mm:50: the first (partial) minute closes ~12 s in, the next a minute later.
  const wallStart = Math.ceil((Date.now() + 20_000) / 60_000) * 60_000 - 10_000;
  const clock = offsetClock(wallStart - Date.now());

  beforeAll(async () => {
    const port = await freePort();
    sim = await startSimulator({ mapFile: DEMO_MAP, port });
    a = await startPlatform({ version: '2017', mn: MN_A, pw: '123456', ack: false });
    b = await startPlatform({ version: '2025', mn: MN_B, pw: '654321', ack: true, sm4Key: KEY });
    // The sonde's pH has the analyzer's code (w01001): kept off both platforms, which get the analyzer's.
    const sonde = sondeDevice('lan', '1s');
    const sondeKeepingPhLocal = {
      ...sonde,
      channels: sonde.channels.map((ch) =>
        ch.id === 'ph' ? { ...ch, excludeUplinks: ['province', 'ministry'] } : ch,
      ),
    };
    const common = { host: '127.0.0.1', st: 21, rtdInterval: '5s', reconnect: { min: '200ms', max: '2s' } };
    const yaml = stringify({
      version: 1,
      station: { id: 'hj212-it', timezone: TZ },
      storage: { path: tmp.dbPath },
      buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '500ms', retries: 1 }],
      devices: [nutrientDevice('lan', '1s'), sondeKeepingPhLocal],
      aggregation: { closeDelay: '2s' },
      uplinks: [
        {
          id: 'province',
          type: 'hj212',
          port: a.port,
          version: 2017,
          mn: MN_A,
          pw: '123456',
          ack: false,
          ...common,
        },
        {
          id: 'ministry',
          type: 'hj212',
          port: b.port,
          version: 2025,
          mn: MN_B,
          pw: '654321',
          ack: true,
          timeout: '2s',
          retries: 2,
          heartbeat: '20s',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax
          encryption: { type: 'sm4', key: '${HJ212_KEY}', ciphertext: 'raw' },
          ...common,
        },
      ],
    });
    const loaded = loadConfigText(yaml, 'hj212.yaml', { HJ212_KEY: KEY });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    agent = new StationAgent({
      config: loaded.config,
      configHash: 'it',
      clock,
      log: silentLogger(),
      control: noAgentControl,
      metrics: noMetrics,
    });
    agent.start();
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    await a?.stop();
    await b?.stop();
    await sim?.stop();
    tmp.remove();
  });

  it('B down for 60 s: its backlog arrives afterwards with RF=1 and nothing missing; A never notices', async () => {
    await waitFor(
      () => realtime(a).length >= 3 && realtime(b).length >= 3,
      30_000,
      'real-time data at A and B',
    );
    await b.setDown(true);
    const outageFrom = clock.now();
    await sleep(OUTAGE_MS);
    const outageTo = clock.now();
    await b.setDown(false);

    // Until B gets live data again (after the outage) and has no backlog left.
    const aTimes = () => new Set(realtime(a).map(timeOf));
    const bTimes = () => new Set(realtime(b).map(timeOf));
    await waitFor(
      () => {
        const live = realtime(b).some(
          (f) => f.station > 1 && !f.segment.rf && timeOf(f) >= outageTo + 10_000,
        );
        const ministry = agent.status().uplinks.find((u) => u.id === 'ministry');
        // Only what is still held for its interval to end may be unsent: the backlog is through.
        const oldest = ministry?.oldestUnsentTs ?? null;
        return live && ministry?.connected === true && (oldest === null || oldest > clock.now() - 15_000);
      },
      45_000,
      'B to catch up',
    );

    // A: one connection throughout, a 2011 every 5 s without a gap, 2017 without RF or answers.
    expect(a.stations).toHaveLength(1);
    const aList = [...aTimes()].sort((x, y) => x - y);
    const aGaps = aList.slice(1).filter((t, i) => t - aList[i]! !== RTD_MS);
    expect(aGaps).toEqual([]);
    expect(aList[0]).toBeLessThan(outageFrom);
    expect(aList.at(-1)).toBeGreaterThan(outageTo);
    expect(realtime(a).every((f) => f.segment.rf === undefined && f.segment.flag === 4)).toBe(true);

    // B: every DataTime A has, from B's first on, arrived; all encrypted.
    const bFirst = Math.min(...bTimes());
    const bLast = Math.max(...bTimes());
    const missingAtB = aList.filter((t) => t >= bFirst && t <= bLast && !bTimes().has(t));
    expect(missingAtB.map((t) => formatHjTime(t, { timeZone: TZ }))).toEqual([]);
    expect(realtime(b).every((f) => f.encrypted)).toBe(true);
    // What became due while B was down (interval end + 3 s settle) came after it, marked RF=1.
    const duringOutage = aList.filter((t) => t + 3000 > outageFrom + 1000 && t + 3000 < outageTo - 1000);
    expect(duringOutage.length).toBeGreaterThanOrEqual(10);
    for (const t of duringOutage) {
      const frames = realtime(b).filter((f) => timeOf(f) === t);
      expect(
        frames.some((f) => f.segment.rf === 1 && f.station > 1),
        `DataTime ${formatHjTime(t, { timeZone: TZ })} re-sent with RF=1`,
      ).toBe(true);
    }
    // Before the outage, live data came without RF.
    const before = realtime(b).filter((f) => f.station === 1);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.every((f) => f.segment.rf === undefined)).toBe(true);
    // Minute records too: every one A got reached B; one closed during the outage came with RF=1.
    const minutes = (p: PlatformHandle) => p.frames.filter((f) => f.segment.cn === '2051');
    const bMinutes = new Set(minutes(b).map(timeOf));
    expect(
      minutes(a)
        .filter((f) => !bMinutes.has(timeOf(f)))
        .map((f) => f.segment.cp.dataTime),
    ).toEqual([]);
    const closedDuring = minutes(a).filter((f) => {
      const closedAt = timeOf(f) + 62_000; // end + closeDelay
      return closedAt > outageFrom + 1000 && closedAt < outageTo - 1000;
    });
    // The outage starts ~15 s after hh:mm:50, so the next minute's close (hh:mm:02) falls inside it.
    expect(closedDuring.length).toBeGreaterThanOrEqual(1);
    for (const f of closedDuring) {
      expect(minutes(b).some((x) => timeOf(x) === timeOf(f) && x.segment.rf === 1)).toBe(true);
    }
    // The same snapshot reached both platforms.
    for (const f of realtime(b)) {
      const atA = realtime(a).find((x) => timeOf(x) === timeOf(f));
      if (atA) expect(factorsOf(f)).toEqual(factorsOf(atA));
    }
    expect([...a.faults, ...b.faults]).toEqual([]);
    expect([...a.rejections, ...b.rejections]).toEqual([]);
  }, 150_000);

  it('a history request for the last 10 minutes returns exactly the stored minute records, in 9011/9012', async () => {
    // Ask away from a minute boundary, so no live 2051 is mixed into the history uploads.
    await waitFor(
      () => {
        const s = Math.floor(clock.now() / 1000) % 60;
        return s >= 8 && s <= 40;
      },
      60_000,
      'a quiet second',
    );
    const now = clock.now();
    const begin = formatHjTime(now - 10 * 60_000, { timeZone: TZ });
    const end = formatHjTime(now, { timeZone: TZ });

    const db = new Database(tmp.dbPath, { readonly: true });
    const stored = db
      .prepare(
        `SELECT a.start_ts AS start, c.code, a.avg FROM aggregates a JOIN channels c ON c.id = a.channel_id
            WHERE a.period = 'minute' AND a.start_ts >= ? AND a.start_ts <= ?
              AND NOT (c.device = 'sonde' AND c.channel = 'ph')`,
      )
      .all(parseHjTime(begin, TZ), parseHjTime(end, TZ)) as {
      start: number;
      code: string;
      avg: number | null;
    }[];
    db.close();
    const expected = new Map(
      stored.map((r) => [`${formatHjTime(r.start, { timeZone: TZ })} ${r.code}`, r.avg]),
    );
    expect(new Set(stored.map((r) => r.start)).size).toBeGreaterThanOrEqual(2);

    for (const p of [b, a]) {
      const r = await p.requestHistory('2051', begin, end, { timeoutMs: 20_000 });
      expect([r.qnRtn, r.exeRtn]).toEqual([1, 1]);
      const got = new Map<string, string | null>();
      for (const f of r.uploads) {
        for (const [code, fields] of f.segment.cp.factors) {
          got.set(`${f.segment.cp.dataTime} ${code}`, fields.get('Avg') ?? null);
        }
      }
      expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
      // The stored mean as text with its code's field format (COD N5.1, pH N2.2…; docs/values.md).
      for (const [k, avg] of expected) {
        const code = k.split(' ')[1]!;
        expect(got.get(k), k).toBe(avg === null ? null : valueText(avg, channelDecimals({ code })));
      }
      // Wrapped: the station's 9011 comes before the first upload, its 9012 after the last.
      const seq = p.frames.filter((f) => f.segment.qn === r.qn || r.uploads.includes(f));
      expect(seq[0]?.segment.cn).toBe('9011');
      expect(seq.at(-1)?.segment.cn).toBe('9012');
      expect(seq.slice(1, -1).every((f) => f.segment.cn === '2051')).toBe(true);
    }
  }, 90_000);
});
