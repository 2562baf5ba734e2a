import type { SimulatorMapInput } from '../simulator/simulatorConfig.js';

/**
 * The reference station of the benchmarks (issue 9, workloads 1, 2 and 6; 4 and 5 may reuse the
 * channel list): 8 analyzers, 40 channels, mixed types and word orders, scaled integers, three
 * status words, and register gaps so the planner has work (small gaps it reads across, large ones it
 * splits at: 10 planned requests for 43 registers items, see REFERENCE_PLANNED_REQUESTS).
 *
 * The simulator map and the agent's device configs are both generated from this one table, so they
 * cannot drift apart: the simulator encodes raw = (value - offset) / scale exactly as the agent decodes.
 */

type Table = 'holding' | 'input';
type ValueType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32';
type Order = 'ABCD' | 'BADC' | 'CDAB' | 'DCBA';
type Generator =
  | { kind: 'sine'; mean: number; amplitude: number; period: string; noise?: number }
  | { kind: 'randomWalk'; start: number; step: number; min: number; max: number }
  | { kind: 'counter'; start: number; ratePerSecond: number };

interface RefChannel {
  id: string;
  /** HJ 212 factor code. */
  code: string;
  unit?: string;
  address: number;
  type: ValueType;
  order?: Order;
  scale?: number;
  offset?: number;
  generator: Generator;
  /** Automatic checks, so the pipeline's quality stage has work on some channels. */
  qc?: Record<string, unknown>;
}

interface RefDevice {
  id: string;
  unit: number;
  table: Table;
  channels: RefChannel[];
  /** A status word (instrument state 0..3) at this address of the device's table. */
  statusAt?: number;
}

const day = '1d';
const hour = '1h';

export const REFERENCE_DEVICES: readonly RefDevice[] = [
  {
    id: 'sonde',
    unit: 1,
    table: 'holding',
    statusAt: 12, // gap 10..11 read across
    channels: [
      ch('temp', 'w01010', 0, 'float32', { order: 'ABCD', unit: '°C', gen: sine(16, 4, day) }),
      ch('ph', 'w01001', 2, 'int16', {
        scale: 0.01,
        gen: walk(7.4, 0.01, 6.8, 8.2),
        qc: { grossRange: { fail: [0, 14], suspect: [6, 9] }, spike: { suspect: 0.5, fail: 1 } },
      }),
      ch('do', 'w01009', 3, 'float32', {
        order: 'CDAB',
        unit: 'mg/L',
        gen: sine(8, 1.5, day),
        qc: { grossRange: { fail: [0, 20] }, rateOfChange: { suspect: 1 } },
      }),
      ch('cond', 'w01014', 5, 'uint16', { unit: 'uS/cm', gen: walk(500, 3, 200, 800) }),
      ch('turb', 'w01003', 8, 'float32', { order: 'BADC', unit: 'NTU', gen: walk(20, 0.5, 5, 50) }),
    ],
  },
  {
    id: 'nutrient',
    unit: 2,
    table: 'input',
    statusAt: 42,
    channels: [
      ch('cod', 'w01018', 0, 'float32', {
        order: 'CDAB',
        unit: 'mg/L',
        gen: sine(18, 3, day),
        qc: { grossRange: { fail: [0, 500] }, measuringRange: [0, 200] },
      }),
      ch('nh3n', 'w21003', 2, 'float32', { order: 'CDAB', unit: 'mg/L', gen: sine(0.5, 0.2, day) }),
      ch('tp', 'w21011', 4, 'float32', { order: 'DCBA', unit: 'mg/L', gen: sine(0.1, 0.03, day) }),
      ch('tn', 'w21001', 6, 'float32', { order: 'CDAB', unit: 'mg/L', gen: sine(1.2, 0.3, day) }),
      // Far from the others: a second request.
      ch('codmn', 'w01019', 40, 'float32', { order: 'CDAB', unit: 'mg/L', gen: sine(4, 1, day) }),
    ],
  },
  {
    id: 'flow',
    unit: 3,
    table: 'input',
    channels: [
      ch('flow', 'w00000', 0, 'float32', { order: 'DCBA', unit: 'm3/h', gen: sine(180, 40, hour) }),
      ch('total', 'w00001', 2, 'uint32', {
        order: 'CDAB',
        scale: 0.1,
        unit: 'm3',
        gen: counter(98765.4, 0.05),
      }),
      ch('velocity', 'w00002', 4, 'int16', { scale: 0.001, unit: 'm/s', gen: sine(0.9, 0.2, hour) }),
      ch('level', 'w00003', 5, 'uint16', { scale: 0.001, offset: -1, unit: 'm', gen: sine(1.2, 0.3, day) }),
      ch('wtemp', 'w00004', 9, 'int16', { scale: 0.1, unit: '°C', gen: sine(15, 3, day) }),
    ],
  },
  {
    id: 'gas',
    unit: 4,
    table: 'holding',
    channels: [
      ch('so2', 'a21026', 100, 'uint16', { scale: 0.1, unit: 'ug/m3', gen: sine(12, 4, hour) }),
      ch('no', 'a21003', 101, 'uint16', { scale: 0.1, unit: 'ug/m3', gen: sine(8, 3, hour) }),
      ch('no2', 'a21004', 102, 'uint16', { scale: 0.1, unit: 'ug/m3', gen: sine(30, 10, hour) }),
      ch('nox', 'a21002', 103, 'uint16', { scale: 0.1, unit: 'ug/m3', gen: sine(40, 12, hour) }),
      ch('co', 'a21005', 108, 'float32', { order: 'BADC', unit: 'mg/m3', gen: sine(0.8, 0.2, hour) }),
    ],
  },
  {
    id: 'dust',
    unit: 5,
    table: 'holding',
    channels: [
      ch('pm25', 'a34004', 0, 'uint32', { order: 'ABCD', unit: 'ug/m3', gen: walk(35, 1, 5, 150) }),
      ch('pm10', 'a34002', 2, 'uint32', { order: 'ABCD', unit: 'ug/m3', gen: walk(60, 1, 10, 250) }),
      ch('tsp', 'a34001', 4, 'uint32', { order: 'CDAB', unit: 'ug/m3', gen: walk(90, 1, 20, 400) }),
      ch('sampleflow', 'a34010', 8, 'uint16', { scale: 0.01, unit: 'L/min', gen: sine(16.7, 0.1, hour) }),
      ch('heater', 'a34011', 9, 'int16', { scale: 0.1, unit: '°C', gen: sine(30, 2, hour) }),
    ],
  },
  {
    id: 'weather',
    unit: 6,
    table: 'input',
    statusAt: 8,
    channels: [
      ch('wspd', 'a01007', 0, 'uint16', { scale: 0.1, unit: 'm/s', gen: walk(3, 0.2, 0, 20) }),
      ch('wdir', 'a01008', 1, 'uint16', { unit: 'deg', gen: walk(180, 5, 0, 359) }),
      ch('atemp', 'a01001', 2, 'int16', { scale: 0.1, unit: '°C', gen: sine(12, 8, day) }),
      ch('rh', 'a01002', 3, 'uint16', { scale: 0.1, unit: '%', gen: sine(60, 20, day) }),
      ch('pressure', 'a01006', 6, 'uint32', { scale: 0.01, unit: 'hPa', gen: sine(1013, 8, day) }),
    ],
  },
  {
    id: 'voc',
    unit: 7,
    table: 'holding',
    channels: [
      ch('benzene', 'a25002', 0, 'float32', { order: 'ABCD', unit: 'ug/m3', gen: sine(2, 0.5, hour) }),
      ch('toluene', 'a25003', 2, 'float32', { order: 'ABCD', unit: 'ug/m3', gen: sine(5, 1, hour) }),
      ch('xylene', 'a25005', 4, 'float32', { order: 'CDAB', unit: 'ug/m3', gen: sine(3, 1, hour) }),
      // A second block far away (another page of the analyzer's map): a second request.
      ch('tvoc', 'a24088', 200, 'float32', { order: 'ABCD', unit: 'ug/m3', gen: sine(120, 30, hour) }),
      ch('h2s', 'a21028', 202, 'float32', { order: 'DCBA', unit: 'ug/m3', gen: sine(4, 1, hour) }),
    ],
  },
  {
    id: 'sampler',
    unit: 8,
    table: 'holding',
    channels: [
      ch('tank', 'w00010', 0, 'uint16', { scale: 0.1, unit: '%', gen: sine(70, 10, day) }),
      ch('pressure', 'w00011', 1, 'int16', { scale: 0.01, unit: 'bar', gen: sine(2, 0.3, hour) }),
      ch('runtime', 'w00012', 4, 'uint32', { order: 'CDAB', unit: 's', gen: counter(360000, 1) }),
      ch('cycles', 'w00013', 6, 'uint32', { order: 'ABCD', gen: counter(1200, 0.01) }),
      ch('fridge', 'w00014', 10, 'int16', { scale: 0.1, unit: '°C', gen: sine(4, 0.5, hour) }),
    ],
  },
];

/** Requests the planner makes per station cycle (default mergeGap 8); checked by the workloads. */
export const REFERENCE_PLANNED_REQUESTS = 10;

/** Registers items per cycle (40 channels + 3 status words): what one-request-per-item would ask. */
export const REFERENCE_ITEMS = REFERENCE_DEVICES.reduce(
  (n, d) => n + d.channels.length + (d.statusAt === undefined ? 0 : 1),
  0,
);

/** Every channel of the station, for workloads that need a realistic channel list (store, bytes). */
export const REFERENCE_CHANNELS: readonly { device: string; channel: string; code: string; unit?: string }[] =
  REFERENCE_DEVICES.flatMap((d) =>
    d.channels.map((c) => ({
      device: d.id,
      channel: c.id,
      code: c.code,
      ...(c.unit === undefined ? {} : { unit: c.unit }),
    })),
  );

/** The simulator map answering as the 8 analyzers (one unit each). */
export function referenceSimulatorMap(): SimulatorMapInput {
  return {
    name: 'bench-reference-station',
    description: 'Benchmark reference station: 8 analyzers, 40 channels (scripts/bench/referenceStation.ts)',
    updateInterval: 1000,
    units: REFERENCE_DEVICES.map((d) => ({
      unit: d.unit,
      name: d.id,
      points: [
        ...d.channels.map((c) => ({
          name: c.id,
          table: d.table,
          address: c.address,
          type: c.type,
          order: c.order ?? 'ABCD',
          scale: c.scale ?? 1,
          offset: c.offset ?? 0,
          generator: c.generator,
        })),
        ...(d.statusAt === undefined
          ? []
          : [
              {
                name: 'state',
                table: d.table,
                address: d.statusAt,
                type: 'uint16' as const,
                generator: { kind: 'state' as const },
              },
            ]),
      ],
    })),
  };
}

/** The `devices:` entries of the station config, all on `bus`, polled every `interval`. */
export function referenceDeviceConfigs(bus: string, interval: string): Record<string, unknown>[] {
  return REFERENCE_DEVICES.map((d) => ({
    id: d.id,
    bus,
    unit: d.unit,
    interval,
    channels: d.channels.map((c) => ({
      id: c.id,
      code: c.code,
      ...(c.unit === undefined ? {} : { unit: c.unit }),
      register: { table: d.table, address: c.address, type: c.type, ...(c.order ? { order: c.order } : {}) },
      ...(c.scale === undefined ? {} : { scale: c.scale }),
      ...(c.offset === undefined ? {} : { offset: c.offset }),
      ...(c.qc === undefined ? {} : { qc: c.qc }),
    })),
    ...(d.statusAt === undefined
      ? {}
      : {
          status: {
            register: { table: d.table, address: d.statusAt, type: 'uint16' },
            flags: { 0: 'N', 1: 'C', 2: 'M', 3: 'D' },
          },
        }),
  }));
}

export interface ReferenceConfigOptions {
  /** The `buses:` entry the devices are on (its id is used). */
  bus: Record<string, unknown> & { id: string };
  interval: string;
  dbPath: string;
  mqttUrl: string;
  /** The MQTT client id; unique per agent on a shared broker. */
  clientId: string;
  /** Status server; the footprint workload runs it as a station would, the in-process ones have none. */
  http?: { enabled: boolean; listen?: string };
  /** Default warn: the in-process workloads measure the pipeline, not log volume. */
  logLevel?: string;
}

/** A whole station config (version 1) for the reference station, as a plain object for YAML or the schema. */
export function referenceStationConfig(o: ReferenceConfigOptions): Record<string, unknown> {
  return {
    version: 1,
    station: { id: '320700B001', name: 'Benchmark reference station', timezone: 'Asia/Shanghai' },
    storage: { path: o.dbPath },
    log: { level: o.logLevel ?? 'warn' },
    buses: [o.bus],
    devices: referenceDeviceConfigs(o.bus.id, o.interval),
    uplinks: [{ id: 'center', type: 'mqtt', url: o.mqttUrl, clientId: o.clientId, qos: 1 }],
    ...(o.http === undefined ? {} : { http: o.http }),
  };
}

function ch(
  id: string,
  code: string,
  address: number,
  type: ValueType,
  o: {
    order?: Order;
    scale?: number;
    offset?: number;
    unit?: string;
    gen: Generator;
    qc?: Record<string, unknown>;
  },
): RefChannel {
  return {
    id,
    code,
    address,
    type,
    generator: o.gen,
    ...(o.order === undefined ? {} : { order: o.order }),
    ...(o.scale === undefined ? {} : { scale: o.scale }),
    ...(o.offset === undefined ? {} : { offset: o.offset }),
    ...(o.unit === undefined ? {} : { unit: o.unit }),
    ...(o.qc === undefined ? {} : { qc: o.qc }),
  };
}

function sine(mean: number, amplitude: number, period: string): Generator {
  return { kind: 'sine', mean, amplitude, period, noise: amplitude / 50 };
}

function walk(start: number, step: number, min: number, max: number): Generator {
  return { kind: 'randomWalk', start, step, min, max };
}

function counter(start: number, ratePerSecond: number): Generator {
  return { kind: 'counter', start, ratePerSecond };
}
