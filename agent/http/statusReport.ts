import { statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ChannelValue } from '../acquisition/deviceAcquisition.js';
import type { StationAgent } from '../app/stationAgent.js';

/**
 * The facts /api/status, /api/events, /metrics and `station-agent status` show, built from the
 * running agent at the moment of asking. One shape for all four so they never disagree.
 */

/** ok: last poll answered; failing: it did not; isolated: polled at the reduced rate; waiting: not yet polled. */
export type LinkState = 'ok' | 'failing' | 'isolated' | 'waiting';

export interface OperationsStatus {
  station: { id: string; name: string; configHash: string; now: number };
  devices: {
    id: string;
    bus: string;
    link: LinkState;
    lastOkAt: number | null;
    polls: number;
    failures: number;
    missedSlots: number;
    lastErrors: string[];
    values: ChannelValue[];
  }[];
  uplinks: {
    id: string;
    connected: boolean;
    backlog: number;
    oldestUnsentTs: number | null;
    /** Seconds since the oldest unconfirmed reading; null when all are confirmed. */
    oldestUnsentAgeS: number | null;
    confirmed: number;
    lastConfirmAt: number | null;
  }[];
  store: { path: string; bytes: number; freeBytes: number | null };
  events: { id: number; ts: number; kind: string; event: unknown }[];
}

export const RECENT_EVENTS = 20;

export function operationsStatus(agent: StationAgent, now: number): OperationsStatus {
  const status = agent.status();
  const { config } = agent;
  return {
    station: { id: config.station.id, name: config.station.name, configHash: agent.configHash, now },
    devices: status.devices.map((d) => ({
      id: d.id,
      bus: d.bus,
      link: linkState(d.isolated, d.lastPollOk),
      lastOkAt: d.lastOkAt,
      polls: d.polls,
      failures: d.failures,
      missedSlots: d.missedSlots,
      lastErrors: d.lastErrors,
      values: d.values,
    })),
    uplinks: status.uplinks.map((u) => ({
      id: u.id,
      connected: u.connected,
      backlog: u.backlog,
      oldestUnsentTs: u.oldestUnsentTs,
      oldestUnsentAgeS: u.oldestUnsentTs === null ? null : Math.max(0, (now - u.oldestUnsentTs) / 1000),
      confirmed: u.confirmed,
      lastConfirmAt: u.lastConfirmAt,
    })),
    store: {
      path: config.storage.path,
      bytes: storeBytes(config.storage.path),
      freeBytes: freeBytes(config.storage.path),
    },
    events: agent.recentEvents(RECENT_EVENTS).map((e) => ({
      id: e.id,
      ts: e.ts,
      kind: e.event.kind,
      event: e.event,
    })),
  };
}

function linkState(isolated: boolean, lastPollOk: boolean | null): LinkState {
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
