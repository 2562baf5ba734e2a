import type { DeviceStatus } from '../acquisition/deviceAcquisition.js';
import type { StationConfig } from '../config/schema.js';
import type { FacilityStatus } from '../facilities/facilityMonitor.js';
import type { BufferedAppenderStats } from '../store/bufferedAppender.js';
import type { TrendPoint } from '../store/channelTrend.js';
import type { StoredEvent } from '../store/eventStore.js';
import type { MinuteMean } from '../store/readingStore.js';
import type { StoreBudgetStats } from '../store/storeBudget.js';
import type { UplinkStats } from '../uplink/uplink.js';

/**
 * What the status page and its JSON read from a running station: the composition root
 * (app/stationAgent.ts) implements it, so the HTTP side needs nothing of the composition root.
 */

export interface AgentStatus {
  station: string;
  devices: DeviceStatus[];
  uplinks: ({ id: string } & UplinkStats)[];
  lastSeq: number;
  /** Store size, room left and evictions (storeBudget.ts), readings waiting for room (bufferedAppender.ts). */
  storage: StoreBudgetStats & BufferedAppenderStats;
  /** Configured facilities: run state, power, open alarms (docs/facilities.md); absent in older agents. */
  facilities?: FacilityStatus[];
}

export interface StationView {
  readonly config: StationConfig;
  /** sha256 of the config file. */
  readonly configHash: string;
  status(): AgentStatus;
  /** The audit log's newest entry, null before the first or once stopped. */
  auditHead(): { id: number; hash: string } | null;
  recentEvents(limit: number): StoredEvent[];
  minuteMeans(since: number): MinuteMean[];
  channelHistory(
    source: 'readings' | 'minutes',
    device: string,
    channel: string,
    from: number,
    to: number,
    limit: number,
  ): TrendPoint[];
}
