import { describe, expect, it } from 'vitest';
import { type LoadResult, loadConfigText } from '../../../agent/config/load.js';

const base = (channelExtra: string, stationExtra = '') => `
version: 1
station: { id: "320700W001", timezone: Asia/Shanghai }
storage: { path: ./data/test.db }
buses:
  - { id: lan, type: tcp, host: 10.0.0.5 }
devices:
  - id: nutrient
    bus: lan
    interval: 10s
    channels:
      - id: cod
        register: { table: input, address: 0, type: float32 }
${channelExtra}
${stationExtra}
`;

function problems(result: LoadResult): string[] {
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('quality and aggregation settings', () => {
  it('default to the documented values when absent', () => {
    const result = loadConfigText(base(''), 'station.yaml', {});
    expect(problems(result)).toEqual([]);
    if (!result.ok) return;
    expect(result.config.aggregation).toEqual({
      minuteMinValidSamples: 1,
      hourMinValidMinutes: 45,
      dayMinValidHours: 20,
      flagShare: 0.75,
      validFlags: ['N'],
      closeDelay: 30_000,
    });
    expect(result.config.maintenance).toEqual({ settling: 300_000, schedules: [] });
    expect(result.config.devices[0]!.channels[0]!.qc).toBeUndefined();
  });

  it('parse per-channel checks and station windows, durations to ms', () => {
    const channel = `        qc:
          grossRange: { fail: [0, 1000], suspect: [0, 500] }
          measuringRange: [0, 200]
          spike: { suspect: 10, fail: 50 }
          rateOfChange: { suspect: 0.5 }
          flatLine: { suspect: 30m, fail: 2h, tolerance: 0.01 }
        cycle: 1h
        cumulative: { rollover: 100000000 }`;
    const station = `aggregation: { hourMinValidMinutes: 40, flagShare: 1, validFlags: [N, T] }
maintenance:
  settling: 10m
  schedules:
    - { cron: "0 2 * * *", duration: 20m, flag: C, devices: [nutrient] }`;
    const result = loadConfigText(base(channel, station), 'station.yaml', {});
    expect(problems(result)).toEqual([]);
    if (!result.ok) return;
    const ch = result.config.devices[0]!.channels[0]!;
    expect(ch.qc).toEqual({
      grossRange: { fail: [0, 1000], suspect: [0, 500] },
      measuringRange: [0, 200],
      spike: { suspect: 10, fail: 50 },
      rateOfChange: { suspect: 0.5 },
      flatLine: { suspect: 1_800_000, fail: 7_200_000, tolerance: 0.01 },
    });
    expect(ch.cycle).toBe(3_600_000);
    expect(ch.cumulative).toEqual({ rollover: 1e8 });
    expect(result.config.aggregation).toMatchObject({
      hourMinValidMinutes: 40,
      flagShare: 1,
      validFlags: ['N', 'T'],
    });
    expect(result.config.maintenance).toEqual({
      settling: 600_000,
      schedules: [{ cron: '0 2 * * *', duration: 1_200_000, flag: 'C', devices: ['nutrient'] }],
    });
  });

  it('refuse bad settings with their path', () => {
    const channel = `        qc:
          grossRange: { fail: [10, 0] }
          spike: { suspect: 10, fail: 5 }
          flatLine: { suspect: 2h, fail: 30m }`;
    const station = `maintenance:
  schedules:
    - { cron: "0 25 * * *", duration: 20m }
    - { cron: "0 2 * * *", duration: 20m, devices: [sonde] }`;
    const found = problems(loadConfigText(base(channel, station), 'station.yaml', {}));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^devices\[0\]\.channels\[0\]\.qc\.grossRange\.fail: expected \[low, high\]/),
        expect.stringMatching(
          /^devices\[0\]\.channels\[0\]\.qc\.spike\.fail: fail must not be below suspect/,
        ),
        expect.stringMatching(/^devices\[0\]\.channels\[0\]\.qc\.flatLine\.fail: fail must not be shorter/),
        expect.stringMatching(/^maintenance\.schedules\[0\]\.cron: expected a cron expression/),
        expect.stringMatching(/^maintenance\.schedules\[1\]\.devices\[0\]: unknown device "sonde"/),
      ]),
    );
  });
});
