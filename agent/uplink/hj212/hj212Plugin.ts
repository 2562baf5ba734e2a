import { hj212UplinkSchema } from '../../config/hj212Schema.js';
import type { Hj212UplinkConfig } from '../../config/schema.js';
import type { MetricsSink } from '../../core/metricsSink.js';
import type { CursorLookup } from '../../store/confirmedBounds.js';
import type { UplinkPlugin } from '../uplinkPlugin.js';
import { hj212BacklogLines } from './backlogLines.js';
import { Hj212Uplink } from './hj212Uplink.js';

/** What an HJ 212 uplink takes beyond the base context. */
export interface Hj212UplinkNeeds {
  /** Counts the variants of platform frames received (SM4 layouts, tolerances). */
  metrics: MetricsSink;
}

interface Range {
  from: number;
  to: number;
}

/**
 * The HJ 212 uplink (hj212Uplink.ts) as a plugin. Confirmed bounds: per kind (`realtime` when send
 * has realtime; `aggregates` when it has minute, hour or day) the live cursor `<id>#<name>` means
 * "delivered or handed to the backlog", and the backlog ranges (uplink_settings `backlog.<name>`)
 * still hold rows above the backlog cursor `<id>#<name>-backlog`. A row is confirmed only below
 * both: the live cursor and the first row a backlog range will still send.
 */
export const hj212UplinkPlugin: UplinkPlugin<Hj212UplinkConfig, Hj212UplinkNeeds> = {
  type: 'hj212',
  schema: hj212UplinkSchema,
  errorCodes: [
    'UPLINK_CONNECT_FAILED',
    'UPLINK_CONNECTION_LOST',
    'UPLINK_PUBLISH_FAILED',
    'HJ212_REQUEST_REFUSED',
  ],
  confirmedBounds: (u, lookup) => {
    const send = new Set<string>(u.send);
    return {
      ...(send.has('realtime') ? { readings: hj212Bound(lookup, u.id, 'realtime') } : {}),
      ...(send.has('minute') || send.has('hour') || send.has('day')
        ? { aggregates: hj212Bound(lookup, u.id, 'aggregates') }
        : {}),
    };
  },
  backlogLines: hj212BacklogLines,
  create: (config, ctx) =>
    new Hj212Uplink({
      config,
      station: {
        devices: ctx.station.devices,
        timezone: ctx.station.station.timezone,
        aggregation: ctx.station.aggregation,
      },
      readings: ctx.readings,
      aggregates: ctx.aggregates,
      cursors: ctx.cursors,
      settings: ctx.settings,
      clock: ctx.clock,
      log: ctx.log,
      metrics: ctx.metrics,
    }),
};

/** Highest seq below which the live and backlog streams of one HJ 212 kind have nothing left to send. */
function hj212Bound(lookup: CursorLookup, uplinkId: string, name: string): number {
  let bound = lookup.cursor(`${uplinkId}#${name}`);
  const backlog = lookup.cursor(`${uplinkId}#${name}-backlog`);
  for (const r of backlogRanges(lookup, uplinkId, name)) {
    // The backlog stream sends the rows of (max(cursor, from), to]: the first of them is unsent.
    if (r.to > backlog) bound = Math.min(bound, Math.max(backlog, r.from));
  }
  return bound;
}

function backlogRanges(lookup: CursorLookup, uplinkId: string, name: string): Range[] {
  const text = lookup.setting(uplinkId, `backlog.${name}`);
  if (text === undefined) return [];
  try {
    const value = JSON.parse(text) as unknown;
    if (!Array.isArray(value)) return [];
    return value.filter(
      (r): r is Range => typeof r?.from === 'number' && typeof r?.to === 'number' && r.to > r.from,
    );
  } catch {
    // Unreadable ranges: the stream treats them as none too (StreamPair); so must we, or
    // nothing would ever be confirmed. Its live cursor still bounds what is confirmed.
    return [];
  }
}
