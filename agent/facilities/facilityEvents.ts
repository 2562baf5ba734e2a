import type { StationEvent, StoredEvent } from '../store/eventStore.js';
import type { AlarmEndReason, TreatmentFault } from './alarmEvaluator.js';

/**
 * The events of the facility alarm (docs/mqtt-contract.md, docs/facilities.md). They go through the
 * event store like every station event, so the MQTT uplink forwards them at least once, and they are
 * the alarm's memory across restarts (openAlarms below).
 */

export interface FacilityAlarmStartEvent extends StationEvent {
  kind: 'facility-alarm-start';
  /** Production facility id, and its name (null: none). */
  production: string;
  productionName: string | null;
  /** The required treatment facility that is stopped (or below minLoad). */
  treatment: string;
  treatmentName: string | null;
  fault: TreatmentFault;
  /** Since when the condition holds, epoch ms (the alarm is raised `delay` later). */
  since: number;
  /** Powers (kW or A, as configured) when the alarm started; null when not known. */
  productionPower: number | null;
  treatmentPower: number | null;
}

export interface FacilityAlarmEndEvent extends StationEvent {
  kind: 'facility-alarm-end';
  production: string;
  treatment: string;
  /** The `since` of the alarm this ends. */
  since: number;
  /** config-changed: the pair is no longer configured (found open at start). */
  reason: AlarmEndReason | 'config-changed';
  productionPower: number | null;
  treatmentPower: number | null;
}

export type FacilityAlarmEvent = FacilityAlarmStartEvent | FacilityAlarmEndEvent;

export const pairKey = (production: string, treatment: string) => `${production}\u0000${treatment}`;

/**
 * The alarms still open after the given events (starts and ends, any order): by pair, the last
 * start not followed by an end of that pair. Stored events are the one record of an alarm, so
 * deriving from them neither loses an alarm open at a restart nor raises it twice.
 */
export function openAlarms(
  events: readonly StoredEvent[],
): Map<string, { since: number; fault: TreatmentFault }> {
  const open = new Map<string, { since: number; fault: TreatmentFault }>();
  for (const { event } of [...events].sort((a, b) => a.id - b.id)) {
    const e = event as FacilityAlarmEvent;
    if (typeof e.production !== 'string' || typeof e.treatment !== 'string') continue;
    const key = pairKey(e.production, e.treatment);
    if (e.kind === 'facility-alarm-start') open.set(key, { since: e.since, fault: e.fault });
    else if (e.kind === 'facility-alarm-end') open.delete(key);
  }
  return open;
}
