import { describe, expect, it } from 'vitest';
import { formatProblems, loadConfigText } from '../../../agent/config/load.js';

/** Issue 17: the facilities section and its cross-references, reported with where. */
const config = (facilities: string) => `version: 1
station: { id: "320700W001" }
storage: { path: ./data/test.db }
buses:
  - { id: lan, type: tcp, host: 10.0.0.5 }
devices:
  - id: meters
    bus: lan
    interval: 10s
    channels:
      - { id: line1, register: { table: input, address: 0, type: float32 } }
      - { id: fan, register: { table: input, address: 2, type: float32 } }
      - { id: pump, register: { table: input, address: 4, type: float32 } }
facilities:
${facilities}`;

const good = `  - id: line1
    name: 1号生产线
    role: production
    power: [{ device: meters, channel: line1 }]
    threshold: 5
    hysteresis: 1
    requires: [wwtp]
    delay: 2m
  - id: wwtp
    name: 污水处理站
    role: treatment
    power: [{ device: meters, channel: fan }, { device: meters, channel: pump }]
    threshold: 2
    minLoad: 3
`;

function problems(text: string): string[] {
  const result = loadConfigText(config(text), 'f.yaml', {});
  if (result.ok) return [];
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('facilities config', () => {
  it('accepts production and treatment facilities with defaults filled in', () => {
    const result = loadConfigText(config(good), 'f.yaml', {});
    if (!result.ok) throw new Error(formatProblems(result.problems));
    const [line1, wwtp] = result.config.facilities;
    expect(line1).toMatchObject({
      id: 'line1',
      name: '1号生产线',
      delay: 120_000,
      minDuration: 60_000,
      requires: ['wwtp'],
    });
    expect(wwtp).toMatchObject({ role: 'treatment', hysteresis: 0, minLoad: 3 });
    expect(wwtp!.power).toHaveLength(2);
  });

  it('is an empty list when absent', () => {
    const result = loadConfigText(config('').replace('facilities:\n', ''), 'f.yaml', {});
    if (!result.ok) throw new Error(formatProblems(result.problems));
    expect(result.config.facilities).toEqual([]);
  });

  it('refuses unknown devices, channels and facilities, with their paths', () => {
    const text = good
      .replace('{ device: meters, channel: line1 }', '{ device: meter, channel: line1 }')
      .replace('channel: pump', 'channel: pumps')
      .replace('requires: [wwtp]', 'requires: [wwtp, scrubber]');
    expect(problems(text)).toEqual([
      'facilities[0].power[0].device: unknown device "meter" (devices: meters)',
      'facilities[0].requires[1]: unknown facility "scrubber" (treatment facilities: wwtp)',
      'facilities[1].power[1].channel: device "meters" has no channel "pumps" (channels: line1, fan, pump)',
    ]);
  });

  it('refuses a treatment that requires, production requiring production, minLoad on production', () => {
    const text = `${good}  - id: line2
    role: production
    power: [{ device: meters, channel: line1 }]
    threshold: 5
    minLoad: 1
    requires: [line1]
  - id: odd
    role: treatment
    power: [{ device: meters, channel: fan }]
    threshold: 1
    requires: [wwtp]
`;
    expect(problems(text)).toEqual([
      'facilities[2].minLoad: minLoad applies to treatment facilities only (got 1)',
      'facilities[2].requires[0]: facility "line1" is not a treatment facility: production can only require treatment',
      'facilities[3].requires: a treatment facility has no requires: only production facilities require treatments',
    ]);
  });

  it('refuses duplicate ids, hysteresis above threshold and a device named like the virtual one', () => {
    const text = `${good}  - id: wwtp
    role: treatment
    power: [{ device: meters, channel: fan }]
    threshold: 1
    hysteresis: 2
`;
    expect(problems(text)).toEqual([
      'facilities[2].id: duplicate facility id "wwtp"',
      'facilities[2].hysteresis: hysteresis must not exceed threshold (got 2)',
    ]);
    const taken = config(good)
      .replace('  - id: meters\n', '  - id: facilities\n')
      .replaceAll('device: meters', 'device: facilities');
    const result = loadConfigText(taken, 'f.yaml', {});
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual(['devices[0].id']);
  });

  it('warns (and accepts) a facility measured by a disabled device', () => {
    const text = config(good).replace('    interval: 10s\n', '    interval: 10s\n    enabled: false\n');
    const result = loadConfigText(text, 'f.yaml', {});
    if (!result.ok) throw new Error(formatProblems(result.problems));
    expect(result.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      'facilities[0].power[0].device: device "meters" is disabled: facility "line1" stays unknown and its alarms cannot start or end',
      'facilities[1].power[0].device: device "meters" is disabled: facility "wwtp" stays unknown and its alarms cannot start or end',
      'facilities[1].power[1].device: device "meters" is disabled: facility "wwtp" stays unknown and its alarms cannot start or end',
    ]);
  });
});
