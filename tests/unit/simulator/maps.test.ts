import { describe, expect, it } from 'vitest';
import { UnitRegisters } from '../../../scripts/simulator/registerBank.js';
import {
  loadSimulatorMap,
  parseSimulatorMap,
  type SimulatorMap,
  SimulatorMapError,
} from '../../../scripts/simulator/simulatorConfig.js';

const DEMO = 'scripts/simulator/maps/demo-water.yaml';
const SONDE = 'scripts/simulator/maps/sonde.yaml';

function point(map: SimulatorMap, unit: number, name: string) {
  const p = map.units.find((u) => u.unit === unit)?.points.find((q) => q.name === name);
  if (p === undefined) throw new Error(`no ${unit}/${name}`);
  return p;
}

/** Every value a unit shows over three days, sampled every 5 minutes. */
function sweep(map: SimulatorMap, unit: number, seed: number): Map<string, number[]> {
  const spec = map.units.find((u) => u.unit === unit)!;
  const regs = new UnitRegisters(spec, { seed, defaultTickMs: map.updateInterval, originMs: 0 });
  const out = new Map<string, number[]>(regs.pointNames().map((n) => [n, []]));
  for (let t = 0; t <= 3 * 86_400_000; t += 300_000) {
    for (const n of regs.pointNames()) out.get(n)!.push(regs.value(n, t));
  }
  return out;
}

describe('simulator register maps', () => {
  it('demo-water keeps the demo config contract for unit 7 and has the sonde at unit 1', async () => {
    const map = await loadSimulatorMap(DEMO);
    expect(map.units.map((u) => u.unit).sort()).toEqual([1, 7]);
    expect(point(map, 7, 'cod')).toMatchObject({
      table: 'input',
      address: 0,
      type: 'float32',
      order: 'CDAB',
    });
    expect(point(map, 7, 'ph')).toMatchObject({ table: 'input', address: 16, type: 'int16', scale: 0.01 });
    expect(point(map, 7, 'state')).toMatchObject({ table: 'input', address: 32, type: 'uint16' });
    for (const [name, address] of [
      ['temp', 0],
      ['ph', 2],
      ['do', 4],
      ['conductivity', 6],
      ['turbidity', 8],
    ] as const) {
      expect(point(map, 1, name)).toMatchObject({ table: 'input', address, type: 'float32', order: 'ABCD' });
    }
    expect(point(map, 1, 'state')).toMatchObject({ table: 'input', address: 20, type: 'uint16' });
  });

  it('demo-water values stay in realistic surface-water ranges for days, whatever the seed', async () => {
    const map = await loadSimulatorMap(DEMO);
    const ranges: Record<string, [number, number]> = {
      '7/cod': [15, 30],
      '7/nh3n': [0.2, 1.5],
      '7/ph': [6.8, 8.2],
      '1/temp': [10, 25],
      '1/ph': [6.8, 8.2],
      '1/do': [5, 10],
      '1/conductivity': [200, 800],
      '1/turbidity': [5, 50],
    };
    for (const seed of [1, 2, 12345]) {
      for (const unit of [1, 7]) {
        for (const [name, xs] of sweep(map, unit, seed)) {
          const range = ranges[`${unit}/${name}`];
          if (range === undefined) continue;
          expect(Math.min(...xs), `${unit}/${name} min`).toBeGreaterThanOrEqual(range[0]);
          expect(Math.max(...xs), `${unit}/${name} max`).toBeLessThanOrEqual(range[1]);
          expect(new Set(xs).size, `${unit}/${name} varies`).toBeGreaterThan(10);
        }
      }
    }
  });

  it('sonde map parses and uses every type and order', async () => {
    const map = await loadSimulatorMap(SONDE);
    expect(map.units.map((u) => u.unit)).toEqual([1, 2]);
    const points = map.units.flatMap((u) => u.points);
    const types = new Set(points.map((p) => p.type));
    const orders = new Set(
      points.filter((p) => p.type !== 'bool' && !p.type.endsWith('16')).map((p) => p.order),
    );
    expect([...types].sort()).toEqual(
      ['bool', 'float32', 'float64', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'uint64'].sort(),
    );
    expect([...orders].sort()).toEqual(['ABCD', 'BADC', 'CDAB', 'DCBA']);
    expect(map.units[0]!.unmapped).toBe('exception');
  });

  it('rejects broken maps with a path for each problem', () => {
    const bad = {
      units: [
        {
          unit: 3,
          points: [
            {
              name: 'a',
              table: 'input',
              address: 0,
              type: 'float32',
              generator: { kind: 'constant', value: 1 },
            },
            {
              name: 'b',
              table: 'input',
              address: 1,
              type: 'uint16',
              generator: { kind: 'constant', value: 1 },
            },
            { name: 'a', table: 'holding', address: 0, type: 'bool', generator: { kind: 'state' } },
            {
              name: 'w',
              table: 'input',
              address: 9,
              type: 'uint16',
              generator: { kind: 'randomWalk', start: 9, step: 1, min: 0, max: 5 },
            },
          ],
        },
        {
          unit: 3,
          points: [{ name: 'x', table: 'coil', address: 0, type: 'bool', generator: { kind: 'state' } }],
        },
      ],
    };
    let err: unknown;
    try {
      parseSimulatorMap(bad, 'bad.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SimulatorMapError);
    const issues = (err as SimulatorMapError).issues.join('\n');
    expect(issues).toContain('units.0.points.1.address: input 1 is already used by "a"');
    expect(issues).toContain('units.0.points.2.name: duplicate point "a"');
    expect(issues).toContain('units.0.points.2.type: type bool needs a coil or discrete');
    expect(issues).toContain('units.0.points.3.generator: expected min <= start <= max');
    expect(issues).toContain('units.1.unit: duplicate unit id 3');
    expect((err as Error).message).toContain('bad.yaml');
  });

  it('accepts durations as text or milliseconds and fills defaults', () => {
    const map = parseSimulatorMap({
      updateInterval: '500ms',
      units: [
        {
          unit: 9,
          updateInterval: 2000,
          points: [
            {
              name: 's',
              table: 'holding',
              address: 0,
              type: 'float32',
              generator: { kind: 'sine', mean: 1, amplitude: 1, period: '1h' },
            },
          ],
        },
      ],
    });
    expect(map.updateInterval).toBe(500);
    expect(map.units[0]!.updateInterval).toBe(2000);
    const p = map.units[0]!.points[0]!;
    expect(p).toMatchObject({
      order: 'ABCD',
      scale: 1,
      offset: 0,
      generator: { period: 3_600_000, noise: 0 },
    });
    // A validated map is valid input again (startSimulator accepts either).
    expect(parseSimulatorMap(map)).toEqual(map);
  });
});
