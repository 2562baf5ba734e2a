import { bcdMaximum, encodeBcd } from '../../../drivers/dlt645/bcd.js';
import {
  type DataItem,
  dataItem,
  decodeIdentifier,
  encodeIdentifier,
} from '../../../drivers/dlt645/dataIdentifiers.js';
import type { Dlt645Frame } from '../../../drivers/dlt645/frame.js';
import { CONTROL } from '../../../drivers/dlt645/messages.js';
import { meterErrorBit } from '../../../drivers/dlt645/meterErrors.js';
import type { GeneratorSpec } from '../simulatorConfig.js';
import { createValueSource, hashString, type ValueSource } from '../valueGenerators.js';

/**
 * One simulated DL/T 645-2007 meter (it answers 1997 reads too): its quantities follow the simulator's value generators
 * (voltage a sine around 230 V, current a bounded random walk, power factor near 0.9), active
 * power is U·I·PF per phase and the energy register integrates it, so the readings agree with
 * each other the way a real meter's do. Switching its facility off drops current and power to
 * zero (the energy stops growing), which is what the facility monitoring later has to notice.
 */

export interface SimMeterOptions {
  address: string;
  /** 1: single-phase (phase B and C read 0, blocks still answer); default 3. */
  phases?: 1 | 3;
  seed?: number;
  /** Generator tick. Default 1000 ms. */
  tickMs?: number;
  /** Longest data field of one answer; a longer answer goes out as follow-up frames. Default 200. */
  maxDataPerFrame?: number;
  /** kWh at start. Default: derived from the address (1000–9999). */
  startEnergy?: number;
}

export interface SimMeterValues {
  energy: number;
  voltage: [number, number, number];
  current: [number, number, number];
  power: [number, number, number, number];
  pf: [number, number, number, number];
}

export interface SimMeter {
  readonly address: string;
  /** The answer frames to one request addressed to this meter (none: the meter stays silent). */
  answer(request: Dlt645Frame, now: number): Dlt645Frame[];
  setFacilityRunning(on: boolean): void;
  facilityRunning(): boolean;
  /** What a read at `now` returns, for tests to compare against. */
  values(now: number): SimMeterValues;
}

const spec = (s: GeneratorSpec) => s;

/** What every phase of a running meter generates (exported for tests that check read values lie in range). */
export const METER_GENERATORS = {
  voltage: spec({ kind: 'sine', mean: 230, amplitude: 4, period: 600_000, noise: 0.3 }),
  current: spec({ kind: 'randomWalk', start: 12, step: 0.4, min: 2, max: 40, noise: 0.05 }),
  pf: spec({ kind: 'randomWalk', start: 0.9, step: 0.01, min: 0.75, max: 0.99, noise: 0 }),
} as const;

/** Energy register at start (kWh) unless given: min + a hash of the address modulo span. */
export const METER_START_ENERGY = { min: 1000, span: 9000 } as const;

export function createSimMeter(opts: SimMeterOptions, startedAt: number): SimMeter {
  const phases = opts.phases ?? 3;
  const tickMs = opts.tickMs ?? 1000;
  const seed = opts.seed ?? 1;
  const maxData = opts.maxDataPerFrame ?? 200;
  const source = (name: string, s: GeneratorSpec): ValueSource =>
    createValueSource(s, { seed, key: `${opts.address}/${name}`, tickMs });
  const phaseNames = ['a', 'b', 'c'] as const;
  const voltage = phaseNames.map((p) => source(`u${p}`, METER_GENERATORS.voltage));
  const current = phaseNames.map((p) => source(`i${p}`, METER_GENERATORS.current));
  const pf = phaseNames.map((p) => source(`pf${p}`, METER_GENERATORS.pf));
  let running = true;
  let energy =
    opts.startEnergy ?? METER_START_ENERGY.min + (hashString(opts.address) % METER_START_ENERGY.span);
  let energyAt = startedAt;
  /** Follow-up frames still to send, per identifier. */
  let pending: { di: number; parts: Uint8Array[] } | undefined;

  const round = (v: number, decimals: number) => Math.round(v * 10 ** decimals) / 10 ** decimals;

  const instant = (now: number): Omit<SimMeterValues, 'energy'> => {
    const tick = Math.floor((now - startedAt) / tickMs);
    const on = (i: number) => i < phases;
    const u = [0, 1, 2].map((i) => (on(i) ? round(voltage[i]!.at(tick, 0), 1) : 0));
    const a = [0, 1, 2].map((i) => (on(i) && running ? round(current[i]!.at(tick, 0), 3) : 0));
    const f = [0, 1, 2].map((i) => (on(i) ? round(pf[i]!.at(tick, 0), 3) : 0));
    const p = [0, 1, 2].map((i) => round((u[i]! * a[i]! * f[i]!) / 1000, 4));
    const total = round(p[0]! + p[1]! + p[2]!, 4);
    const apparent = [0, 1, 2].reduce((s, i) => s + (u[i]! * a[i]!) / 1000, 0);
    const pfTotal = apparent > 0 ? round(total / apparent, 3) : f[0]!;
    return {
      voltage: u as [number, number, number],
      current: a as [number, number, number],
      power: [total, p[0]!, p[1]!, p[2]!],
      pf: [pfTotal, f[0]!, f[1]!, f[2]!],
    };
  };

  const values = (now: number): SimMeterValues => {
    const v = instant(now);
    if (now > energyAt) {
      energy += (v.power[0] * (now - energyAt)) / 3_600_000;
      energyAt = now;
    }
    return { energy: Math.floor(energy * 100) / 100, ...v };
  };

  const valuesOf = (di: number, v: SimMeterValues): number[] | undefined => {
    switch (di) {
      case 0x00000000:
      case 0x00010000:
        return [v.energy];
      case 0x00020000:
        return [0];
      case 0x0201ff00:
        return v.voltage;
      case 0x0202ff00:
        return v.current;
      case 0x0203ff00:
        return v.power;
      case 0x0206ff00:
        return v.pf;
      case 0x02030000:
        return [v.power[0]];
      case 0x02060000:
        return [v.pf[0]];
      case 0x02800002:
        return [50];
    }
    const phase = ((di >> 8) & 0xff) - 1;
    const family = di & 0xffff00ff;
    if (phase < 0 || phase > 2) return undefined;
    if (family === 0x02010000) return [v.voltage[phase]!];
    if (family === 0x02020000) return [v.current[phase]!];
    if (family === 0x02030000) return [v.power[phase + 1]!];
    if (family === 0x02060000) return [v.pf[phase + 1]!];
    return undefined;
  };

  const error = (request: Dlt645Frame, flag: number): Dlt645Frame => ({
    address: opts.address,
    control: (request.control & 0x1f) | 0xc0,
    data: Uint8Array.of(flag),
  });

  const read = (request: Dlt645Frame, now: number): Dlt645Frame[] => {
    if (request.data.length !== 4) return [error(request, meterErrorBit('other'))];
    const di = decodeIdentifier(request.data);
    const item = dataItem('2007', di);
    const numbers = item && valuesOf(di, values(now));
    if (!item || !numbers) return [error(request, meterErrorBit('no-such-data'))];
    const payload = encodeValues(item, numbers);
    const id = encodeIdentifier('2007', di);
    // The first frame carries the identifier; each follow-up frame the identifier and its sequence byte.
    const first = payload.subarray(0, maxData - 4);
    const parts: Uint8Array[] = [];
    for (let at = first.length; at < payload.length; at += maxData - 5)
      parts.push(payload.subarray(at, at + maxData - 5));
    pending = parts.length > 0 ? { di, parts } : undefined;
    return [{ address: opts.address, control: parts.length > 0 ? 0xb1 : 0x91, data: concat(id, first) }];
  };

  /** 1997 reads (control 01): the same quantities under their 2-byte identifiers and older layouts. */
  const read1997 = (request: Dlt645Frame, now: number): Dlt645Frame[] => {
    const di = request.data.length === 2 ? decodeIdentifier(request.data) : -1;
    const item = dataItem('1997', di);
    const twin = OLD_TO_NEW[di];
    const numbers = item && twin !== undefined ? valuesOf(twin, values(now)) : undefined;
    if (!item || !numbers) return [error(request, meterErrorBit('wrong-identifier', '1997'))];
    return [
      { address: opts.address, control: 0x81, data: concat(request.data, encodeValues(item, numbers)) },
    ];
  };

  const followUp = (request: Dlt645Frame): Dlt645Frame[] => {
    if (request.data.length !== 5) return [error(request, meterErrorBit('other'))];
    const di = decodeIdentifier(request.data.subarray(0, 4));
    const sequence = request.data[4]!;
    const part = pending && pending.di === di ? pending.parts[sequence - 1] : undefined;
    if (!pending || part === undefined) return [error(request, meterErrorBit('no-such-data'))];
    const last = sequence === pending.parts.length;
    if (last) pending = undefined;
    return [
      {
        address: opts.address,
        control: last ? 0x92 : 0xb2,
        data: concat(encodeIdentifier('2007', di), part, Uint8Array.of(sequence)),
      },
    ];
  };

  return {
    address: opts.address,
    answer(request, now) {
      switch (request.control) {
        case CONTROL.read2007:
          return read(request, now);
        case CONTROL.readFollowUp2007:
          return followUp(request);
        case CONTROL.read1997:
          return read1997(request, now);
        default:
          // Writes, freezes, baud changes: this simulator only reads; a meter refuses with an error answer.
          return [error(request, meterErrorBit('other'))];
      }
    },
    setFacilityRunning(on) {
      running = on;
    },
    facilityRunning: () => running,
    values,
  };
}

/** 1997 identifiers → the 2007 identifier of the same quantity. */
const OLD_TO_NEW: Record<number, number> = {
  36880: 0x00010000,
  36896: 0x00020000,
  46609: 0x02010100,
  46610: 0x02010200,
  46611: 0x02010300,
  46625: 0x02020100,
  46626: 0x02020200,
  46627: 0x02020300,
  46640: 0x02030000,
  46641: 0x02030100,
  46642: 0x02030200,
  46643: 0x02030300,
  46672: 0x02060000,
  46673: 0x02060100,
  46674: 0x02060200,
  46675: 0x02060300,
};

/** Values in the item's layout, clamped to what it can carry (a simulator never sends nonsense). */
function encodeValues(item: DataItem, numbers: number[]): Uint8Array {
  const max = bcdMaximum(item.layout);
  const min = item.layout.signed ? -max : 0;
  const payload = new Uint8Array(item.count * item.layout.bytes);
  numbers.forEach((n, i) => {
    payload.set(encodeBcd(Math.max(min, Math.min(max, n)), item.layout), i * item.layout.bytes);
  });
  return payload;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
