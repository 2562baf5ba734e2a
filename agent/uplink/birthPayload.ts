import type { StationConfig } from '../config/schema.js';
import { findPackageVersion } from '../core/packageVersion.js';

/** Version of the birth payload (the `v` field); see docs/mqtt-contract.md. */
export const BIRTH_PAYLOAD_VERSION = 1;

/** What a birth message says about the station; fixed for the life of one StationAgent. */
export interface BirthInfo {
  agentVersion: string;
  configVersion: number;
  configHash: string;
  /** The store's db_id (storeIdentity.ts): a new one means a new database, with seqs from 1 again. */
  db: string;
  devices: {
    id: string;
    bus: string;
    interval: number;
    channels: { id: string; code: string | null; unit: string | null }[];
  }[];
}

let cachedVersion: string | undefined;

/** The package version, read once; 'unknown' when package.json is not above the code (bundled). */
export function agentVersion(): string {
  cachedVersion ??= findPackageVersion(import.meta.url) ?? 'unknown';
  return cachedVersion;
}

export function birthInfo(config: StationConfig, configHash: string, dbId: string): BirthInfo {
  return {
    agentVersion: agentVersion(),
    configVersion: config.version,
    configHash,
    db: dbId,
    devices: config.devices
      .filter((d) => d.enabled)
      .map((d) => ({
        id: d.id,
        bus: d.bus,
        interval: d.interval,
        channels: d.channels.map((c) => ({ id: c.id, code: c.code ?? null, unit: c.unit ?? null })),
      })),
  };
}

export interface UplinkState {
  id: string;
  commands: readonly string[];
  backlog: number;
  lastSeq: number;
}

/** The retained JSON on {topicPrefix}/{station}/birth, published on every connect. */
export function encodeBirthPayload(
  stationId: string,
  info: BirthInfo,
  uplink: UplinkState,
  now: number,
): string {
  return JSON.stringify({
    v: BIRTH_PAYLOAD_VERSION,
    station: stationId,
    ts: new Date(now).toISOString(),
    agentVersion: info.agentVersion,
    db: info.db,
    config: { version: info.configVersion, hash: info.configHash },
    devices: info.devices,
    uplink: { ...uplink, connected: true },
  });
}
