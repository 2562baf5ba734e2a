import { idOf, isRecord, listOf, type RuleFinding } from './ruleFinding.js';

/**
 * Two channels with the same HJ 212 factor code sent to one HJ 212 uplink: the platform keys data
 * by code, so the uplink sends only the first channel configured with it and the other never
 * leaves the station, without a word (uploadMessages.ts, FactorOwners). An error at the second
 * channel's code, naming where the first one is. A channel opts out of an uplink with
 * `excludeUplinks` when both must exist (the sonde's pH kept locally beside the analyzer's).
 */

interface SentChannel {
  device: number;
  channel: number;
  name: string;
}

export function duplicateCodeProblems(cfg: unknown): RuleFinding[] {
  if (!isRecord(cfg)) return [];
  const uplinks = listOf(cfg.uplinks)
    .filter((u) => isRecord(u) && u.type === 'hj212')
    .map(idOf)
    .filter((id) => id !== undefined);
  // One finding per pair of channels, naming every uplink the pair collides on.
  const pairs = new Map<
    string,
    { first: SentChannel; again: SentChannel; code: string; uplinks: string[] }
  >();
  for (const uplink of uplinks) {
    const firstByCode = new Map<string, SentChannel>();
    for (const sent of sentChannels(cfg.devices, uplink)) {
      const first = firstByCode.get(sent.code);
      if (!first) {
        firstByCode.set(sent.code, sent);
        continue;
      }
      const key = `${first.device}.${first.channel}>${sent.device}.${sent.channel}`;
      const pair = pairs.get(key) ?? { first, again: sent, code: sent.code, uplinks: [] };
      pair.uplinks.push(uplink);
      pairs.set(key, pair);
    }
  }
  return [...pairs.values()].map(({ first, again, code, uplinks: on }) => {
    const names = on.map((u) => `"${u}"`);
    const uplinkWords = names.length === 1 ? `uplink ${names[0]}` : `uplinks ${names.join(' and ')}`;
    return {
      severity: 'error',
      path: ['devices', again.device, 'channels', again.channel, 'code'],
      message:
        `HJ 212 code "${code}" of ${again.name} is also the code of ${first.name}: ${uplinkWords} ` +
        `send${on.length === 1 ? 's' : ''} one channel per code, so ${again.name} would never reach the platform`,
      hint:
        'give each channel its own code, remove the code of the one that stays local, or add ' +
        `excludeUplinks: [${on.join(', ')}] to the channel that must not be sent there`,
      related: {
        path: ['devices', first.device, 'channels', first.channel, 'code'],
        note: `${first.name} at`,
      },
    };
  });
}

/** The channels `uplink` sends, in config order: enabled devices, with a code, not excluded. */
function* sentChannels(devices: unknown, uplink: string): Generator<SentChannel & { code: string }> {
  const list = listOf(devices);
  for (let d = 0; d < list.length; d++) {
    const device = list[d];
    if (!isRecord(device) || device.enabled === false) continue;
    const channels = listOf(device.channels);
    for (let c = 0; c < channels.length; c++) {
      const ch = channels[c];
      if (!isRecord(ch) || typeof ch.code !== 'string') continue;
      if (listOf(ch.excludeUplinks).includes(uplink)) continue;
      const name = `${idOf(device) ?? `devices[${d}]`}/${idOf(ch) ?? `channels[${c}]`}`;
      yield { device: d, channel: c, name, code: ch.code };
    }
  }
}
