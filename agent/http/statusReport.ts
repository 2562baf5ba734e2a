import { statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { channelDecimals } from '../../drivers/hj212/factorFormats.js';
import type { ChannelValue } from '../acquisition/deviceAcquisition.js';
import type { PushedStatus } from '../acquisition/driverPlugin.js';
import { valueText } from '../core/valueText.js';
import type { FacilityStatus } from '../facilities/facilityMonitor.js';
import type { MinuteMean } from '../store/readingStore.js';
import type { AgentStatus, StationView } from './stationView.js';

/**
 * The facts /api/status, /api/events, /metrics and `station-agent status` show, built from the
 * running agent at the moment of asking. One shape for all four so they never disagree.
 */

/**
 * ok: last poll answered; failing: it did not; isolated: polled at the reduced rate; waiting: not yet
 * polled; link-lost: a pushed device whose link is gone (a listened line fell silent), nothing arrives.
 */
export type LinkState = 'ok' | 'failing' | 'isolated' | 'waiting' | 'link-lost';

/**
 * Fields marked optional below are always set by this agent; optional because `station-agent status`
 * may ask an agent of an older version (an upgrade not yet restarted).
 */
export interface OperationsStatus {
  station: {
    id: string;
    name: string;
    configHash: string;
    now: number;
    /** IANA zone of the station's wall clock (config station.timezone): the page shows every time in it. */
    timezone?: string;
    /** The config audit log's last row (docs/audit.md), so a platform can hold an anchor; null: empty. */
    auditHead?: { id: number; hash: string } | null;
  };
  devices: {
    id: string;
    /** The configured name (any language, e.g. 总磷分析仪); null when none. */
    name?: string | null;
    bus: string;
    link: LinkState;
    lastOkAt: number | null;
    polls: number;
    failures: number;
    missedSlots: number;
    lastErrors: string[];
    /** Polls that reported each error code (AgentError code -> count) since the agent started. */
    errorsByCode: Record<string, number>;
    /** A pushed device's driver counters (HJ 212 input: received, duplicates, unknownCodes…); absent when polled. */
    input?: PushedStatus;
    /**
     * The last value of each channel, its configured `name` (null: none) and `series`: its minute
     * means from `seriesFrom` on (null: no value). `decimals`: digits after the point to show it with
     * (the channel's `decimals`, else the HJ 212 format of its code; null: as measured), the same the
     * HJ 212 uplink sends (docs/values.md).
     */
    values: (ChannelValue & {
      name?: string | null;
      series: (number | null)[];
      decimals: number | null;
      /** The value as text by `decimals`, rounded exactly as the HJ 212 uplink sends it (null: no value). */
      text?: string | null;
    })[];
  }[];
  /** Start (ms) of the first minute of every channel's `series`; SERIES_MINUTES one-minute steps. */
  seriesFrom: number;
  uplinks: {
    id: string;
    connected: boolean;
    backlog: number;
    oldestUnsentTs: number | null;
    /** Seconds since the oldest unconfirmed reading; null when all are confirmed. */
    oldestUnsentAgeS: number | null;
    confirmed: number;
    lastConfirmAt: number | null;
    /**
     * Why the uplink is not connected, in words (`message`), its stable code (docs/errors.md) and `at`:
     * ms epoch of the first failure of the current run of failures. null while connected.
     */
    lastError: { message: string; code: string | null; at: number } | null;
  }[];
  store: {
    path: string;
    bytes: number;
    freeBytes: number | null;
    /** The store budget's view (docs/storage.md): used/available bytes, evictions, readings queued in memory. */
    budget?: AgentStatus['storage'];
  };
  events: { id: number; ts: number; kind: string; event: unknown }[];
  /** Configured facilities: run state since when, summed power, open alarms (docs/facilities.md). */
  facilities?: FacilityStatus[];
}

export const RECENT_EVENTS = 20;
/** The sparklines cover the last hour, one point per minute (the current minute included). */
export const SERIES_MINUTES = 60;
const MINUTE_MS = 60_000;
/** The status is built every second for /api/events; the series query runs at most this often. */
export const SERIES_REFRESH_MS = 30_000;

export interface ChannelSeries {
  /** Start (ms) of the first minute. */
  from: number;
  /** JSON [device, channel] -> SERIES_MINUTES means, oldest first. */
  byChannel: Map<string, (number | null)[]>;
}

const seriesKey = (device: string, channel: string) => JSON.stringify([device, channel]);

/** Lays minute means out as fixed-length series ending with the minute of `now`; missing minutes are null. */
export function channelSeries(means: readonly MinuteMean[], now: number): ChannelSeries {
  const from = (Math.floor(now / MINUTE_MS) - (SERIES_MINUTES - 1)) * MINUTE_MS;
  const byChannel = new Map<string, (number | null)[]>();
  for (const m of means) {
    const i = Math.round((m.minute - from) / MINUTE_MS);
    if (i < 0 || i >= SERIES_MINUTES) continue;
    const key = seriesKey(m.device, m.channel);
    let series = byChannel.get(key);
    if (!series) {
      series = new Array<number | null>(SERIES_MINUTES).fill(null);
      byChannel.set(key, series);
    }
    series[i] = m.mean;
  }
  return { from, byChannel };
}

/** Per agent (a reload makes a new one), the series last built and when. */
const seriesCache = new WeakMap<StationView, { builtAt: number; series: ChannelSeries }>();

function cachedSeries(agent: StationView, now: number): ChannelSeries {
  const cached = seriesCache.get(agent);
  // A clock stepped backwards rebuilds too.
  if (cached && now - cached.builtAt < SERIES_REFRESH_MS && now >= cached.builtAt) return cached.series;
  const from = (Math.floor(now / MINUTE_MS) - (SERIES_MINUTES - 1)) * MINUTE_MS;
  const series = channelSeries(agent.minuteMeans(from), now);
  seriesCache.set(agent, { builtAt: now, series });
  return series;
}

export function operationsStatus(agent: StationView, now: number): OperationsStatus {
  const status = agent.status();
  const { config } = agent;
  const series = cachedSeries(agent, now);
  const empty = new Array<number | null>(SERIES_MINUTES).fill(null);
  const labels = channelLabels(config);
  return {
    station: {
      id: config.station.id,
      name: config.station.name,
      configHash: agent.configHash,
      now,
      timezone: config.station.timezone,
      auditHead: agent.auditHead(),
    },
    devices: status.devices.map((d) => {
      return {
        id: d.id,
        name: labels.get(d.id)?.name ?? null,
        bus: d.bus,
        link: linkState(d.isolated, d.lastPollOk, d.linkLost),
        lastOkAt: d.lastOkAt,
        polls: d.polls,
        failures: d.failures,
        missedSlots: d.missedSlots,
        lastErrors: d.lastErrors,
        errorsByCode: d.errorsByCode,
        ...(d.input !== undefined ? { input: d.input } : {}),
        values: d.values.map((v) => {
          const key = seriesKey(d.id, v.channel);
          const label = labels.get(key);
          const decimals = label?.decimals ?? null;
          return {
            ...v,
            name: label?.name ?? null,
            series: series.byChannel.get(key) ?? empty,
            decimals,
            text: v.value === null ? null : valueText(v.value, decimals),
          };
        }),
      };
    }),
    seriesFrom: series.from,
    uplinks: status.uplinks.map((u) => ({
      id: u.id,
      connected: u.connected,
      backlog: u.backlog,
      oldestUnsentTs: u.oldestUnsentTs,
      oldestUnsentAgeS: u.oldestUnsentTs === null ? null : Math.max(0, (now - u.oldestUnsentTs) / 1000),
      confirmed: u.confirmed,
      lastConfirmAt: u.lastConfirmAt,
      lastError: u.lastError,
    })),
    store: {
      path: config.storage.path,
      bytes: storeBytes(config.storage.path),
      freeBytes: freeBytes(config.storage.path),
      budget: status.storage,
    },
    events: agent.recentEvents(RECENT_EVENTS).map((e) => ({
      id: e.id,
      ts: e.ts,
      kind: e.event.kind,
      event: e.event,
    })),
    facilities: status.facilities ?? [],
  };
}

/** Configured names by device id, and by seriesKey(device, channel) for channels. */
interface Label {
  name: string | null;
  decimals: number | null;
}

/** Names and decimals of devices (by id) and channels (by seriesKey): built once per configuration. */
const labelsByConfig = new WeakMap<StationView['config'], Map<string, Label>>();

function channelLabels(config: StationView['config']): Map<string, Label> {
  let labels = labelsByConfig.get(config);
  if (labels !== undefined) return labels;
  labels = new Map();
  for (const d of config.devices) {
    labels.set(d.id, { name: d.name ?? null, decimals: null });
    for (const c of d.channels) {
      labels.set(seriesKey(d.id, c.id), { name: c.name ?? null, decimals: channelDecimals(c) });
    }
  }
  labelsByConfig.set(config, labels);
  return labels;
}

function linkState(isolated: boolean, lastPollOk: boolean | null, linkLost: boolean): LinkState {
  if (linkLost) return 'link-lost';
  if (isolated) return 'isolated';
  if (lastPollOk === null) return 'waiting';
  return lastPollOk ? 'ok' : 'failing';
}

/** The database and its write-ahead log: the WAL can be the larger one between checkpoints. */
export function storeBytes(dbPath: string): number {
  let total = 0;
  for (const p of [dbPath, `${dbPath}-wal`]) {
    // throwIfNoEntry: the WAL comes and goes with checkpoints.
    total += statSync(p, { throwIfNoEntry: false })?.size ?? 0;
  }
  return total;
}

/** Free bytes for an unprivileged writer on the store's file system; null when it cannot be asked. */
export function freeBytes(dbPath: string): number | null {
  try {
    const fs = statfsSync(dirname(dbPath));
    return Number(fs.bavail) * Number(fs.bsize);
  } catch {
    return null;
  }
}
