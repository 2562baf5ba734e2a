import { describe, expect, it } from 'vitest';
import { formatProblems, loadConfigText } from '../../../agent/config/load.js';
import { profileSchema } from '../../../agent/config/profileSchema.js';

/** Issue 14: devices and channels may carry a name in any language beside their id. */
const config = (deviceName: string, channelName: string) => `version: 1
station: { id: "320700W001" }
storage: { path: ./data/test.db }
buses:
  - { id: lan, type: tcp, host: 10.0.0.5 }
devices:
  - id: tp
    name: ${deviceName}
    bus: lan
    interval: 10s
    channels:
      - { id: tp, name: ${channelName}, register: { table: input, address: 0, type: float32 } }
`;

describe('device and channel names', () => {
  it('accepts Chinese names and keeps them beside the ids', () => {
    const result = loadConfigText(config('总磷分析仪', '"总磷 (TP)"'), 'names.yaml', {});
    if (!result.ok) throw new Error(formatProblems(result.problems));
    expect(result.config.devices[0]!.name).toBe('总磷分析仪');
    expect(result.config.devices[0]!.channels[0]!.name).toBe('总磷 (TP)');
  });

  it('leaves them out when not given', () => {
    const text = config('x', 'y').replace('    name: x\n', '').replace('name: y, ', '');
    const result = loadConfigText(text, 'names.yaml', {});
    if (!result.ok) throw new Error(formatProblems(result.problems));
    expect(result.config.devices[0]!.name).toBeUndefined();
    expect(result.config.devices[0]!.channels[0]!.name).toBeUndefined();
  });

  it('refuses an empty name, a line break and one longer than 64 characters, with where', () => {
    const result = loadConfigText(config('"两行\\n名称"', `"${'磷'.repeat(65)}"`), 'names.yaml', {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual([
      '8:11 devices[0].name',
      '12:25 devices[0].channels[0].name',
    ]);
    expect(result.problems[0]!.message).toContain('expected a device name of 1 to 64 characters on one line');
    expect(result.problems[1]!.message).toContain('expected a channel name of 1 to 64 characters');
    const empty = loadConfigText(config('""', 'ok'), 'names.yaml', {});
    expect(empty.ok || empty.problems.map((p) => p.path)).toEqual(['devices[0].name']);
  });

  it('a profile may name its channels but not the device (that is the station’s choice)', () => {
    const base = {
      model: 'm',
      vendor: 'v',
      description: 'd',
      source: [{ fact: 'f', kind: 'manual' }],
      verifiedOnHardware: false,
      channels: [{ id: 'tp', name: '总磷', register: { table: 'input', address: 0, type: 'float32' } }],
    };
    expect(profileSchema.safeParse(base).success).toBe(true);
    expect(profileSchema.safeParse({ ...base, name: '总磷分析仪' }).success).toBe(false);
  });
});
