import type { ClockJump } from '../aggregation/clockJumpDetector.js';
import type { FacilityAlarmEvent } from '../facilities/facilityEvents.js';
import type { StationEvent } from '../store/eventStore.js';
import type { DataLossEvent } from '../store/eviction.js';
import type { StoreSetAsideEvent } from '../store/openStationDatabase.js';
import type { StoreSeqsSkippedEvent } from '../store/seqCeiling.js';
import type { LinkEvent } from './linkWatch.js';

/** Recorded at every start and reload: which configuration runs since when. */
export interface ConfigAppliedEvent extends StationEvent {
  kind: 'config-applied';
  configHash: string;
  /** Enabled devices of that configuration. */
  devices: number;
}

/**
 * Every kind of station event this agent records (the table in docs/mqtt-contract.md). A reader
 * must still expect others: a store written by a newer agent may hold kinds this one does not know.
 */
export type KnownStationEvent =
  | ConfigAppliedEvent
  | LinkEvent
  | (ClockJump & { atStart?: true })
  | DataLossEvent
  | StoreSetAsideEvent
  | StoreSeqsSkippedEvent
  | FacilityAlarmEvent;
