import type { GeneratorSpec } from '../../scripts/simulator/simulatorConfig.js';

/**
 * Every value a simulator generator can produce (closed interval), for tests that compare what the
 * agent read with what the simulator serves without pinning a value. A counter is bounded by
 * `maxAgeMs` of running time. Clocks have no useful range and are refused.
 */
export function generatorRange(spec: GeneratorSpec, state: number, maxAgeMs = 86_400_000): [number, number] {
  switch (spec.kind) {
    case 'sine':
      return [spec.mean - spec.amplitude - spec.noise, spec.mean + spec.amplitude + spec.noise];
    case 'randomWalk':
      return [spec.min, spec.max];
    case 'constant':
      return [spec.value - spec.noise, spec.value + spec.noise];
    case 'counter':
      return [spec.start, spec.start + (spec.ratePerSecond * maxAgeMs) / 1000];
    case 'state':
      return [state, state];
    case 'stateIs':
      return state === spec.value ? [1, 1] : [0, 0];
    case 'bcdClock':
      throw new Error('a bcdClock register has no value range');
  }
}
