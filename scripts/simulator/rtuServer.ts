import { stat } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import type { SimulatorClock, UnitStats } from './modbusTcpServer.js';
import { MODBUS_EXCEPTIONS, ModbusException, UnitRegisters } from './registerBank.js';
import { loadSimulatorMap, parseSimulatorMap, type SimulatorMapInput } from './simulatorConfig.js';
import { unitControls } from './unitControls.js';

/**
 * The simulated analyzers as Modbus RTU slaves on one serial line (a real port, or one end of a
 * socat pty pair in tests): the same register maps as the TCP simulator, several unit ids on the
 * line, coils and discrete inputs, and per-unit fault switches: silent, slow, exception, and
 * corrupted answers (one random bit flipped, so the CRC fails; seeded, so runs repeat).
 *
 * Like a field instrument that stays powered, it survives its port disappearing (an unplugged
 * adapter, socat ended) and opens it again when it is back. The CRC here is a plain bitwise
 * implementation, deliberately not the agent's table-driven one: the two check each other.
 */

export interface StartRtuSimulatorOptions {
  map?: SimulatorMapInput;
  mapFile?: string;
  /** The serial device (or pty) to answer on. */
  path: string;
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  clock?: SimulatorClock;
  /** Seeds the generators and the corruption dice. Default 1. */
  seed?: number;
  /** How often the port is checked, and looked for again once gone. Default 200 ms. */
  reopenMs?: number;
}

export interface RtuUnitStats extends UnitStats {
  /** Probability 0..1 that an answer is corrupted. */
  corruptCrc: number;
  /** Answers sent corrupted. */
  corrupted: number;
}

export interface RtuSimulatorStats {
  units: Record<number, RtuUnitStats>;
  unknownUnitRequests: number;
  /** Bytes skipped while looking for a request with a valid CRC. */
  droppedBytes: number;
  /** Times the port was opened (reopens after an unplug included). */
  opens: number;
}

export interface RtuSimulatorHandle {
  readonly path: string;
  readonly units: readonly number[];
  /** Closes the port and cancels delayed answers. Idempotent. */
  stop(): Promise<void>;
  isOpen(): boolean;
  setState(unit: number, value: number): void;
  setSilent(unit: number, on: boolean): void;
  setSlow(unit: number, ms: number): void;
  setException(unit: number, code: number | null): void;
  /** Corrupts each answer of the unit with this probability (0: never, 1: always). */
  setCorruptCrc(unit: number, probability: number): void;
  setValue(unit: number, pointName: string, value: number | null): void;
  values(unit: number): Record<string, number>;
  stats(): RtuSimulatorStats;
}

interface UnitRuntime {
  regs: UnitRegisters;
  faults: { silent: boolean; slowMs: number; exception: number | null; corruptCrc: number };
  counters: { requests: number; answered: number; exceptions: number; dropped: number; corrupted: number };
}

/** Read requests are 8 bytes: unit, function, address, quantity, CRC. */
const REQUEST_LENGTH = 8;
/** A partial request older than this is stale (RTU's inter-frame silence, generously). */
const STALE_MS = 100;

export function crc16(buf: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

function frame(body: number[]): Buffer {
  const crc = crc16(Uint8Array.from(body));
  return Buffer.from([...body, crc & 0xff, crc >>> 8]);
}

/** mulberry32: a small seeded PRNG, so corruption patterns repeat run to run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startRtuSimulator(opts: StartRtuSimulatorOptions): Promise<RtuSimulatorHandle> {
  if ((opts.map === undefined) === (opts.mapFile === undefined)) {
    throw new TypeError('give exactly one of map or mapFile');
  }
  const map = opts.map !== undefined ? parseSimulatorMap(opts.map) : await loadSimulatorMap(opts.mapFile!);
  const clock: SimulatorClock = opts.clock ?? { now: () => Date.now() };
  const seed = opts.seed ?? 1;
  const random = prng(seed * 7919 + 17);
  const originMs = clock.now();
  const units = new Map<number, UnitRuntime>();
  for (const spec of map.units) {
    units.set(spec.unit, {
      regs: new UnitRegisters(spec, { seed, defaultTickMs: map.updateInterval, originMs }),
      faults: { silent: false, slowMs: 0, exception: null, corruptCrc: 0 },
      counters: { requests: 0, answered: 0, exceptions: 0, dropped: 0, corrupted: 0 },
    });
  }
  let unknownUnitRequests = 0;
  let droppedBytes = 0;
  let opens = 0;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();

  let port: SerialPort | undefined;
  let opened: { ino: number; rdev: number } | undefined;
  let rx = Buffer.alloc(0);
  let lastRxAt = 0;

  function answer(u: UnitRuntime, unit: number, fc: number, address: number, count: number): Buffer {
    try {
      if (u.faults.exception !== null) {
        throw new ModbusException(u.faults.exception, `injected exception on unit ${unit}`);
      }
      const now = clock.now();
      if (fc === 1 || fc === 2) {
        const bits = u.regs.readBits(fc === 1 ? 'coil' : 'discrete', address, count, now);
        const bytes = new Array<number>(Math.ceil(count / 8)).fill(0);
        bits.forEach((b, i) => {
          if (b) bytes[i >> 3]! |= 1 << (i & 7);
        });
        u.counters.answered++;
        return frame([unit, fc, bytes.length, ...bytes]);
      }
      if (fc === 3 || fc === 4) {
        const words = u.regs.readRegisters(fc === 3 ? 'holding' : 'input', address, count, now);
        u.counters.answered++;
        return frame([unit, fc, 2 * count, ...words.flatMap((w) => [w >> 8, w & 0xff])]);
      }
      throw new ModbusException(MODBUS_EXCEPTIONS.ILLEGAL_FUNCTION, 'the simulator answers reads only');
    } catch (err) {
      u.counters.exceptions++;
      const code =
        err instanceof ModbusException ? err.modbusErrorCode : MODBUS_EXCEPTIONS.SERVER_DEVICE_FAILURE;
      return frame([unit, (fc | 0x80) & 0xff, code]);
    }
  }

  async function serve(req: Buffer): Promise<void> {
    const unit = req[0]!;
    const u = units.get(unit);
    if (u === undefined) {
      if (unit !== 0) unknownUnitRequests++; // 0 is broadcast: never answered
      return;
    }
    u.counters.requests++;
    if (u.faults.silent) {
      u.counters.dropped++;
      return;
    }
    if (u.faults.slowMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, u.faults.slowMs);
        timers.add(t);
      });
    }
    if (stopped) return;
    const out = answer(u, unit, req[1]!, req.readUInt16BE(2), req.readUInt16BE(4));
    if (u.faults.corruptCrc > 0 && random() < u.faults.corruptCrc) {
      const bit = Math.floor(random() * out.length * 8);
      out[bit >> 3]! ^= 1 << (bit & 7);
      u.counters.corrupted++;
    }
    port?.write(out);
  }

  function onData(chunk: Buffer): void {
    const now = Date.now();
    if (now - lastRxAt > STALE_MS && rx.length > 0) {
      droppedBytes += rx.length;
      rx = Buffer.alloc(0);
    }
    lastRxAt = now;
    rx = Buffer.concat([rx, chunk]);
    while (rx.length >= REQUEST_LENGTH) {
      const req = rx.subarray(0, REQUEST_LENGTH);
      const crc = crc16(req.subarray(0, REQUEST_LENGTH - 2));
      if (req[6] === (crc & 0xff) && req[7] === crc >>> 8) {
        rx = rx.subarray(REQUEST_LENGTH);
        void serve(Buffer.from(req));
      } else {
        rx = rx.subarray(1); // resynchronise byte by byte, like a slave hearing noise
        droppedBytes++;
      }
    }
  }

  async function identity(): Promise<{ ino: number; rdev: number } | undefined> {
    try {
      const s = await stat(opts.path);
      return { ino: s.ino, rdev: s.rdev };
    } catch {
      return undefined;
    }
  }

  async function openPort(): Promise<void> {
    const p = new SerialPort({
      path: opts.path,
      baudRate: opts.baudRate ?? 9600,
      parity: opts.parity ?? 'none',
      dataBits: opts.dataBits ?? 8,
      stopBits: opts.stopBits ?? 1,
      autoOpen: false,
    });
    p.on('error', () => dropPort(p));
    p.on('close', () => dropPort(p));
    p.on('data', (chunk: Buffer) => {
      if (port === p) onData(chunk);
    });
    await new Promise<void>((resolve, reject) => {
      p.open((err) => {
        if (!err) return resolve();
        const why = /cannot lock port/i.test(err.message) ? 'it is in use by another process' : err.message;
        reject(new Error(`cannot open ${opts.path}: ${why}`));
      });
    });
    if (stopped) {
      p.close(() => {});
      return;
    }
    port = p;
    opened = await identity();
    rx = Buffer.alloc(0);
    opens++;
  }

  function dropPort(p: SerialPort): void {
    if (port !== p) return;
    port = undefined;
    if (p.isOpen) p.close(() => {});
  }

  await openPort();

  // The watcher: notices the device gone or replaced, and opens it again once it is back.
  let checking = false;
  const watcher = setInterval(() => {
    if (checking || stopped) return;
    checking = true;
    void (async () => {
      const now = await identity();
      const current = port;
      if (current && (now === undefined || now.ino !== opened?.ino || now.rdev !== opened?.rdev)) {
        dropPort(current);
      }
      if (!port && now !== undefined && !stopped) await openPort().catch(() => {});
    })().finally(() => {
      checking = false;
    });
  }, opts.reopenMs ?? 200);

  const unitOf = (unit: number): UnitRuntime => {
    const u = units.get(unit);
    if (u === undefined) throw new Error(`unknown unit ${unit} (units: ${[...units.keys()].join(', ')})`);
    return u;
  };

  let stopping: Promise<void> | undefined;
  return {
    path: opts.path,
    units: [...units.keys()].sort((a, b) => a - b),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        stopped = true;
        clearInterval(watcher);
        for (const t of timers) clearTimeout(t);
        timers.clear();
        const p = port;
        port = undefined;
        if (p?.isOpen) p.close(() => resolve());
        else resolve();
      });
      return stopping;
    },
    isOpen: () => port?.isOpen === true,
    ...unitControls(unitOf, () => clock.now()),
    setCorruptCrc(unit, probability) {
      if (!(probability >= 0 && probability <= 1)) throw new RangeError('probability must be 0..1');
      unitOf(unit).faults.corruptCrc = probability;
    },
    stats() {
      const out: Record<number, RtuUnitStats> = {};
      for (const [id, u] of units) out[id] = { ...u.counters, state: u.regs.state, ...u.faults };
      return { units: out, unknownUnitRequests, droppedBytes, opens };
    },
  };
}
