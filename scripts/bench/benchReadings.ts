import type { NewReading, QcResults } from '../../agent/core/reading.js';
import { REFERENCE_CHANNELS } from './referenceStation.js';

/**
 * Synthetic readings shaped like the reference station's (scripts/bench/referenceStation.ts) for the
 * store and wire workloads (3, 4, 5): real device/channel/code/unit names, float32-decoded values
 * (as a Modbus float32 register gives them: 17 significant digits in JSON), pass results on the
 * channels with checks, a state on devices with a status word. Deterministic, so runs compare.
 */

/** The first 20 channels (4 analyzers × 5): issue 9's "20 channels" station. */
export const BENCH_CHANNELS = REFERENCE_CHANNELS.slice(0, 20);

/** Devices with a status word in the reference station, and channels with checks. */
const WITH_STATE = new Set(['sonde', 'nutrient']);
const WITH_QC = new Set(['sonde/ph', 'sonde/do', 'nutrient/cod']);
const PASS: QcResults = { gross: 1, range: 2, spike: 1, roc: 2, flat: 2 };

/** One poll of every bench channel at `tick` (seconds from `t0`), grouped by device as acquisition does. */
export function pollReadings(tick: number, t0: number): NewReading[][] {
  const byDevice = new Map<string, NewReading[]>();
  BENCH_CHANNELS.forEach((c, i) => {
    const r: NewReading = {
      ts: t0 + tick * 1000,
      device: c.device,
      channel: c.channel,
      code: c.code,
      unit: c.unit ?? null,
      // A slow sine with a little noise, through float32 like a Modbus register.
      value: Math.fround(10 + i + 3 * Math.sin(tick / 3600 + i) + ((tick * 7919 + i * 104_729) % 100) / 1000),
      flag: 'N',
    };
    if (WITH_QC.has(`${c.device}/${c.channel}`)) r.qc = PASS;
    if (WITH_STATE.has(c.device)) r.state = 0;
    const list = byDevice.get(c.device) ?? [];
    list.push(r);
    byDevice.set(c.device, list);
  });
  return [...byDevice.values()];
}

/** Flags as the store codes them (readingStore.ts FLAG_TO_CODE): 'N' is 0. */
export const FLAG_N = 0;
