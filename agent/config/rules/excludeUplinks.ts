import { closestMatches, didYouMean } from '../configErrors.js';
import { idOf, isRecord, listOf, type RuleFinding } from './ruleFinding.js';

/**
 * `excludeUplinks` of a channel names HJ 212 uplinks that exist. It is for HJ 212 only: an MQTT
 * uplink sends every reading with its device and channel, so two channels never collide there,
 * and its receivers count on an unbroken `seq` (docs/mqtt-contract.md) that a filtered channel
 * would break.
 */
export function excludeUplinksProblems(cfg: unknown): RuleFinding[] {
  if (!isRecord(cfg) || (cfg.uplinks !== undefined && !Array.isArray(cfg.uplinks))) return [];
  const types = new Map<string, unknown>();
  for (const u of listOf(cfg.uplinks)) {
    const id = idOf(u);
    if (id !== undefined && !types.has(id)) types.set(id, isRecord(u) ? u.type : undefined);
  }
  const findings: RuleFinding[] = [];
  listOf(cfg.devices).forEach((device, d) => {
    if (!isRecord(device)) return;
    listOf(device.channels).forEach((ch, c) => {
      if (!isRecord(ch)) return;
      listOf(ch.excludeUplinks).forEach((name, k) => {
        if (typeof name !== 'string') return;
        const path = ['devices', d, 'channels', c, 'excludeUplinks', k];
        const type = types.get(name);
        if (!types.has(name)) {
          const known = [...types.keys()].join(', ') || 'none defined';
          const hint = didYouMean(closestMatches(name, types.keys()));
          findings.push({
            severity: 'error',
            path,
            message: `unknown uplink "${name}" (uplinks: ${known})`,
            ...(hint ? { hint } : {}),
          });
        } else if (type !== 'hj212') {
          findings.push({
            severity: 'error',
            path,
            message: `uplink "${name}" is of type ${String(type)}: excludeUplinks applies to HJ 212 uplinks only`,
            hint: `remove "${name}": an MQTT uplink sends every channel, with its device and channel id, so codes never collide there`,
          });
        }
      });
    });
  });
  return findings;
}
