import { idOf, isRecord, listOf, type RuleFinding } from './ruleFinding.js';

/**
 * A facility measured by a disabled device never gets a reading: its run state stays unknown and its
 * alarm can neither start nor end (docs/facilities.md). Allowed (a meter taken out for repair), but
 * said at `validate` and at start.
 */
export function facilityDeviceWarnings(cfg: unknown): RuleFinding[] {
  if (!isRecord(cfg)) return [];
  const disabled = new Set(
    listOf(cfg.devices)
      .filter((d) => isRecord(d) && d.enabled === false)
      .map(idOf)
      .filter((id) => id !== undefined),
  );
  const findings: RuleFinding[] = [];
  listOf(cfg.facilities).forEach((f, i) => {
    if (!isRecord(f)) return;
    listOf(f.power).forEach((p, j) => {
      if (!isRecord(p) || typeof p.device !== 'string' || !disabled.has(p.device)) return;
      findings.push({
        severity: 'warning',
        path: ['facilities', i, 'power', j, 'device'],
        message: `device "${p.device}" is disabled: facility "${String(f.id)}" stays unknown and its alarms cannot start or end`,
      });
    });
  });
  return findings;
}
