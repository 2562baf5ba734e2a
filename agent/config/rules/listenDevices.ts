import { idOf, isRecord, listOf, type RuleFinding } from './ruleFinding.js';

/**
 * Settings of a device on a listen bus (`type: serial-listen`) that shape how the agent asks: the
 * agent asks nothing there, the other master chooses its requests and its pace. Allowed, so a polled
 * device's config (or a profile) moves to a listen bus unchanged, but said at `validate` and at start.
 */
const IGNORED: Record<string, string> = {
  workarounds: 'the other master chooses its requests: workarounds that shape ours are ignored',
  isolation:
    'the agent asks nothing on a listen bus: there is no poll to isolate (a silent line is LISTEN_SILENT)',
};

export function listenDeviceWarnings(cfg: unknown): RuleFinding[] {
  if (!isRecord(cfg)) return [];
  const listenBuses = new Set(
    listOf(cfg.buses)
      .filter((b) => isRecord(b) && b.type === 'serial-listen')
      .map(idOf)
      .filter((id) => id !== undefined),
  );
  if (listenBuses.size === 0) return [];
  const findings: RuleFinding[] = [];
  listOf(cfg.devices).forEach((d, i) => {
    if (!isRecord(d) || typeof d.bus !== 'string' || !listenBuses.has(d.bus)) return;
    for (const [key, message] of Object.entries(IGNORED)) {
      const value = d[key];
      // The schema's default `workarounds: {}` is no setting of the user's.
      if (value === undefined || (isRecord(value) && Object.keys(value).length === 0)) continue;
      findings.push({
        severity: 'warning',
        path: ['devices', i, key],
        message: `${message} (bus "${d.bus}")`,
      });
    }
  });
  return findings;
}
