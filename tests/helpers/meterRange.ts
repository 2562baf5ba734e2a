import { METER_GENERATORS, METER_START_ENERGY } from '../../scripts/simulator/dlt645/simMeter.js';
import { generatorRange } from './generatorRange.js';

/**
 * Every value a running three-phase meter of the DL/T 645 simulator (scripts/simulator/dlt645/simMeter.ts)
 * can answer for a 2007 identifier (and `element` of a block), derived from its generators: U and I
 * and PF per phase are generated, active power is U·I·PF per phase (kW) and their sum, the energy
 * register starts at METER_START_ENERGY and grows by at most the largest total power for
 * `maxAgeMs` of running. Closed interval; undefined for an identifier the simulator does not serve.
 */
export function meterValueRange(di: string, element = 0, maxAgeMs = 3_600_000): [number, number] | undefined {
  const [uLo, uHi] = generatorRange(METER_GENERATORS.voltage, 0);
  const [iLo, iHi] = generatorRange(METER_GENERATORS.current, 0);
  const [pfLo, pfHi] = generatorRange(METER_GENERATORS.pf, 0);
  const phasePower: [number, number] = [(uLo * iLo * pfLo) / 1000, (uHi * iHi * pfHi) / 1000];
  const totalPower: [number, number] = [3 * phasePower[0], 3 * phasePower[1]];
  switch (di.toUpperCase()) {
    case '00010000': {
      const lo = METER_START_ENERGY.min;
      const hi = METER_START_ENERGY.min + METER_START_ENERGY.span - 1;
      return [lo, hi + (totalPower[1] * maxAgeMs) / 3_600_000];
    }
    case '0201FF00':
      return [uLo, uHi];
    case '0202FF00':
      return [iLo, iHi];
    // Element 0 is the total; 1-3 the phases.
    case '0203FF00':
      return element === 0 ? totalPower : phasePower;
    // The total power factor is the power-weighted mean of the phases': within their range.
    case '0206FF00':
      return [pfLo, pfHi];
    default:
      return undefined;
  }
}
