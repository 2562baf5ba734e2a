import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../../agent/acquisition/deviceAcquisition.js';
import type { StationAgent } from '../../../agent/app/stationAgent.js';
import { valueText as pageValueText } from '../../../agent/http/page/statusText.js';
import {
  channelSeries,
  operationsStatus,
  SERIES_MINUTES,
  SERIES_REFRESH_MS,
} from '../../../agent/http/statusReport.js';
import type { MinuteMean } from '../../../agent/store/readingStore.js';
import { formatValue } from '../../../agent/uplink/hj212/uploadMessages.js';
import { channelDecimals } from '../../../drivers/hj212/factorFormats.js';

const MIN = 60_000;
const NOW = Date.UTC(2026, 10, 28, 9, 0, 30); // 30 s into the minute 09:00
const FROM = NOW - 30_000 - (SERIES_MINUTES - 1) * MIN; // 08:01:00

const device: DeviceStatus = {
  id: 'nutrient',
  bus: 'lan',
  polls: 20,
  failures: 12,
  missedSlots: 0,
  lastOkAt: NOW - 15_000,
  storeErrors: 0,
  isolated: false,
  pushed: false,
  lastPollOk: false,
  linkLost: false,
  lastErrors: ['MODBUS_TIMEOUT'],
  errorsByCode: { MODBUS_TIMEOUT: 12, MODBUS_EXCEPTION: 1 },
  values: [
    { channel: 'cod', value: null, unit: 'mg/L', flag: 'B', ts: NOW - 1000 },
    { channel: 'ph', value: null, unit: null, flag: 'B', ts: NOW - 1000 },
    { channel: 'raw', value: 3, unit: null, flag: 'N', ts: NOW - 1000 },
  ],
};

/** Just what operationsStatus asks of the agent; minuteMeans counts its calls (the one SQL query). */
function fakeAgent(means: MinuteMean[]) {
  const calls: number[] = [];
  const agent = {
    config: {
      station: { id: 's1', name: 'test', timezone: 'Asia/Shanghai' },
      storage: { path: '' },
      devices: [
        {
          id: 'nutrient',
          name: '总磷分析仪',
          channels: [
            { id: 'cod', code: 'w01018', name: '化学需氧量' },
            { id: 'ph', code: 'w01001', decimals: 3 },
            { id: 'raw' },
          ],
        },
      ],
    },
    configHash: 'abc',
    auditHead: () => ({ id: 3, hash: 'f'.repeat(64) }),
    status: () => ({ station: 's1', devices: [device], uplinks: [], lastSeq: 0 }),
    recentEvents: () => [],
    minuteMeans: (since: number) => {
      calls.push(since);
      return means;
    },
  };
  return { agent: agent as unknown as StationAgent, calls };
}

describe('channelSeries', () => {
  it('lays the minute means out as one hour ending with the current minute, null where missing', () => {
    const s = channelSeries(
      [
        { device: 'nutrient', channel: 'cod', minute: FROM - MIN, mean: 1 }, // too old
        { device: 'nutrient', channel: 'cod', minute: FROM, mean: 2 },
        { device: 'nutrient', channel: 'cod', minute: FROM + 2 * MIN, mean: null },
        { device: 'nutrient', channel: 'cod', minute: NOW - 30_000, mean: 4 },
      ],
      NOW,
    );
    expect(s.from).toBe(FROM);
    const cod = s.byChannel.get(JSON.stringify(['nutrient', 'cod'])) as (number | null)[];
    expect(cod).toHaveLength(SERIES_MINUTES);
    expect(cod[0]).toBe(2);
    expect(cod[SERIES_MINUTES - 1]).toBe(4);
    expect(cod.filter((v) => v !== null)).toEqual([2, 4]);
  });
});

describe('operationsStatus', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'status-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports error counts by code and a series per channel, querying the store at most every 30 s', () => {
    const { agent, calls } = fakeAgent([
      { device: 'nutrient', channel: 'cod', minute: FROM + 10 * MIN, mean: 25.5 },
      { device: 'nutrient', channel: 'cod', minute: NOW - 30_000, mean: 26 },
      { device: 'other', channel: 'cod', minute: FROM, mean: 99 }, // another device's channel of that name
    ]);
    (agent.config as { storage: { path: string } }).storage.path = join(dir, 'agent.db');

    const s = operationsStatus(agent, NOW);
    expect(calls).toEqual([FROM]);
    expect(s.seriesFrom).toBe(FROM);
    const [d] = s.devices;
    expect(d?.errorsByCode).toEqual({ MODBUS_TIMEOUT: 12, MODBUS_EXCEPTION: 1 });
    const cod = d?.values.find((v) => v.channel === 'cod');
    expect(cod).toMatchObject({ channel: 'cod', unit: 'mg/L', flag: 'B' });
    expect(cod?.series).toHaveLength(SERIES_MINUTES);
    expect(cod?.series[10]).toBe(25.5);
    expect(cod?.series[SERIES_MINUTES - 1]).toBe(26);
    expect(cod?.series.filter((v) => v !== null)).toHaveLength(2);
    // A channel without stored minutes still has a series, all gaps.
    const ph = d?.values.find((v) => v.channel === 'ph');
    expect(ph?.series).toEqual(new Array(SERIES_MINUTES).fill(null));
    // Names beside the ids (issue 14) and the zone the page shows times in.
    expect(d?.name).toBe('总磷分析仪');
    expect(cod?.name).toBe('化学需氧量');
    expect(ph?.name).toBeNull();
    expect(s.station.timezone).toBe('Asia/Shanghai');
    // It survives JSON (what /api/status and /api/events send).
    expect(JSON.parse(JSON.stringify(s)).devices[0].values[0].series[10]).toBe(25.5);

    // Built every second for the server-sent events: the query runs again only after the refresh interval.
    for (let t = NOW + 1000; t < NOW + SERIES_REFRESH_MS; t += 1000) operationsStatus(agent, t);
    expect(calls).toHaveLength(1);
    operationsStatus(agent, NOW + SERIES_REFRESH_MS);
    expect(calls).toHaveLength(2);
    // A clock stepped backwards does not keep a stale series for long.
    operationsStatus(agent, NOW - 3600_000);
    expect(calls).toHaveLength(3);
  });

  it("carries the decimals each value is shown with: the channel's, else its HJ 212 code's, else null", () => {
    const { agent } = fakeAgent([]);
    (agent.config as { storage: { path: string } }).storage.path = join(dir, 'agent.db');
    const s = JSON.parse(JSON.stringify(operationsStatus(agent, NOW))) as ReturnType<typeof operationsStatus>;
    const decimals = Object.fromEntries(s.devices[0]!.values.map((v) => [v.channel, v.decimals]));
    // COD is N5.1 in the standard's table; ph's own decimals win over N2.2; no code, no setting: null.
    expect(decimals).toEqual({ cod: 1, ph: 3, raw: null });
  });

  it('writes each value as the HJ 212 uplink sends it, so the page and the platform never disagree', () => {
    const { agent } = fakeAgent([]);
    (agent.config as { storage: { path: string } }).storage.path = join(dir, 'agent.db');
    const status = agent.status();
    // 2.3455 is 2.34549999… in binary: toFixed(3) gives 2.345; the decimal rounds half to even to 2.346.
    const values = [
      { channel: 'cod', value: 22.55, unit: 'mg/L', flag: 'N', ts: NOW - 1000 },
      { channel: 'ph', value: 2.3455, unit: null, flag: 'N', ts: NOW - 1000 },
      { channel: 'raw', value: 1e-7, unit: null, flag: 'N', ts: NOW - 1000 },
    ];
    (agent as unknown as { status: () => unknown }).status = () => ({
      ...status,
      devices: [{ ...status.devices[0]!, values }],
    });
    const s = operationsStatus(agent, NOW);
    const texts = Object.fromEntries(s.devices[0]!.values.map((v) => [v.channel, v.text]));
    expect(texts).toEqual({ cod: '22.6', ph: '2.346', raw: '0.0000001' });
    for (const v of s.devices[0]!.values) {
      const channel = agent.config.devices[0]!.channels.find((c) => c.id === v.channel)!;
      expect(v.text).toBe(formatValue(v.value!, channelDecimals(channel)));
      // The page shows the agent's text, not its own rounding.
      expect(pageValueText(v)).toBe(v.text);
    }
  });
});
