import type { StationView } from './stationView.js';

/**
 * /api/trend: one channel's recent history for the status page's chart. `hour` is the last hour of
 * readings as stored (each with its flag), `day` the last day of minute records (mean and flag).
 * Columnar (`t`, `v`, `f`), the shape the chart takes, and about half the bytes of an object per point.
 */

export const TREND_RANGES = ['hour', 'day'] as const;
export type TrendRange = (typeof TREND_RANGES)[number];

const RANGE = {
  hour: { spanMs: 3_600_000, source: 'readings', limit: 20_000 },
  day: { spanMs: 86_400_000, source: 'minutes', limit: 1440 + 60 },
} as const;

export interface TrendQuery {
  device: string;
  channel: string;
  range: TrendRange;
}

export interface TrendSeries {
  device: string;
  channel: string;
  range: TrendRange;
  /** The window in ms, both ends included: the last hour or day up to the moment of asking. */
  from: number;
  to: number;
  /** The spacing points normally have (the channel's interval, or a minute): a longer step is a gap. */
  stepMs: number;
  unit: string | null;
  /** Times (ms; a minute's start for `day`), values (null: none) and flags, oldest first. */
  t: number[];
  v: (number | null)[];
  f: string[];
  /** More points than the limit: only the newest are here. */
  truncated: boolean;
}

export type TrendAnswer = { kind: 'ok'; series: TrendSeries } | { kind: 'unknown-channel' };

/** The query of /api/trend: `device`, `channel` and `range` (hour, the default, or day). */
export function parseTrendQuery(
  params: URLSearchParams,
): { ok: true; query: TrendQuery } | { ok: false; message: string } {
  const device = params.get('device');
  const channel = params.get('channel');
  const range = params.get('range') ?? 'hour';
  if (!device || !channel)
    return { ok: false, message: 'expected ?device=<id>&channel=<id>[&range=hour|day]' };
  if (!(TREND_RANGES as readonly string[]).includes(range)) {
    return { ok: false, message: `range: expected hour or day, got "${range}"` };
  }
  return { ok: true, query: { device, channel, range: range as TrendRange } };
}

/** The channel's points in the window ending at `now`; unknown-channel for a device or channel not in the config. */
export function channelTrend(agent: StationView, query: TrendQuery, now: number): TrendAnswer {
  const device = agent.config.devices.find((d) => d.id === query.device);
  const channel = device?.channels.find((c) => c.id === query.channel);
  if (!device || !channel) return { kind: 'unknown-channel' };
  const range = RANGE[query.range];
  const from = now - range.spanMs;
  // One more than the limit tells whether there were more.
  const points = agent.channelHistory(range.source, device.id, channel.id, from, now + 1, range.limit + 1);
  const truncated = points.length > range.limit;
  if (truncated) points.shift();
  return {
    kind: 'ok',
    series: {
      device: device.id,
      channel: channel.id,
      range: query.range,
      from,
      to: now,
      stepMs: range.source === 'minutes' ? 60_000 : (channel.cycle ?? device.interval),
      unit: channel.unit ?? null,
      t: points.map((p) => p.ts),
      v: points.map((p) => p.value),
      f: points.map((p) => p.flag),
      truncated,
    },
  };
}
