import { encodeValue, registerCount } from './registerEncoding.js';
import type { SimPoint, SimTable, SimUnit } from './simulatorConfig.js';
import { createValueSource, type ValueSource } from './valueGenerators.js';

/**
 * One unit's register tables: answers "what is in holding 16..19 right now" from the map's
 * points, their generators, the instrument state and any pinned values. Knows nothing about
 * sockets or fault injection (see modbusTcpServer.ts).
 */

/** Modbus exception codes the simulator answers with. */
export const MODBUS_EXCEPTIONS = {
  ILLEGAL_FUNCTION: 1,
  ILLEGAL_DATA_ADDRESS: 2,
  ILLEGAL_DATA_VALUE: 3,
  SERVER_DEVICE_FAILURE: 4,
} as const;

/**
 * An error modbus-serial's server turns into an exception response: it reads `modbusErrorCode`
 * (anything else becomes 04 server device failure).
 */
export class ModbusException extends Error {
  readonly modbusErrorCode: number;
  constructor(code: number, message = `Modbus exception ${code}`) {
    super(message);
    this.name = 'ModbusException';
    this.modbusErrorCode = code;
  }
}

// Protocol limits for one request (Modbus Application Protocol v1.1b3 §6.1–6.4).
const MAX_REGISTERS = 125;
const MAX_BITS = 2000;

interface Slot {
  point: SimPoint;
  /** Which of the point's registers sits at this address. */
  word: number;
}

export interface UnitRegistersOptions {
  seed: number;
  /** Update tick used when the unit does not set its own updateInterval. */
  defaultTickMs: number;
  /** Clock reading at which the simulator started: tick 0. */
  originMs: number;
}

export class UnitRegisters {
  readonly unit: number;
  readonly name: string;
  readonly tickMs: number;
  state: number;
  private readonly strict: boolean;
  private readonly originMs: number;
  private readonly points = new Map<string, SimPoint>();
  private readonly sources = new Map<SimPoint, ValueSource>();
  private readonly pins = new Map<SimPoint, number>();
  private readonly words: Record<'holding' | 'input', Map<number, Slot>> = {
    holding: new Map(),
    input: new Map(),
  };
  private readonly bits: Record<'coil' | 'discrete', Map<number, SimPoint>> = {
    coil: new Map(),
    discrete: new Map(),
  };

  constructor(spec: SimUnit, opts: UnitRegistersOptions) {
    this.unit = spec.unit;
    this.name = spec.name;
    this.state = spec.state;
    this.strict = spec.unmapped === 'exception';
    this.tickMs = spec.updateInterval ?? opts.defaultTickMs;
    this.originMs = opts.originMs;
    for (const p of spec.points) {
      this.points.set(p.name, p);
      this.sources.set(
        p,
        createValueSource(p.generator, {
          seed: opts.seed,
          key: `${spec.unit}/${p.name}`,
          tickMs: this.tickMs,
          originMs: opts.originMs,
        }),
      );
      if (p.table === 'coil' || p.table === 'discrete') {
        this.bits[p.table].set(p.address, p);
      } else {
        for (let w = 0; w < registerCount(p.type); w++)
          this.words[p.table].set(p.address + w, { point: p, word: w });
      }
    }
  }

  pointNames(): string[] {
    return [...this.points.keys()];
  }

  /** Current engineering value of a point (pinned or generated), as the agent should decode it. */
  value(pointName: string, nowMs: number): number {
    return this.valueOf(this.point(pointName), this.tickAt(nowMs));
  }

  /** Pins a point to an engineering value (null: back to its generator). */
  pin(pointName: string, value: number | null): void {
    const p = this.point(pointName);
    if (value === null) this.pins.delete(p);
    else this.pins.set(p, value);
  }

  /** Registers of `table` from `address`, `count` of them, as the device would answer now. */
  readRegisters(table: 'holding' | 'input', address: number, count: number, nowMs: number): number[] {
    checkRange(address, count, MAX_REGISTERS);
    const tick = this.tickAt(nowMs);
    const map = this.words[table];
    const encoded = new Map<SimPoint, number[]>(); // one encoding per point per request
    const out: number[] = [];
    for (let a = address; a < address + count; a++) {
      const slot = map.get(a);
      if (slot === undefined) {
        this.unmapped(table, a);
        out.push(0);
        continue;
      }
      let w = encoded.get(slot.point);
      if (w === undefined) {
        const p = slot.point;
        w = encodeValue(this.valueOf(p, tick), p.type, p.order, p.scale, p.offset);
        encoded.set(p, w);
      }
      out.push(w[slot.word]!);
    }
    return out;
  }

  /** Bits of `table` (coil/discrete) from `address`. */
  readBits(table: 'coil' | 'discrete', address: number, count: number, nowMs: number): boolean[] {
    checkRange(address, count, MAX_BITS);
    const tick = this.tickAt(nowMs);
    const out: boolean[] = [];
    for (let a = address; a < address + count; a++) {
      const p = this.bits[table].get(a);
      if (p === undefined) {
        this.unmapped(table, a);
        out.push(false);
        continue;
      }
      out.push(this.valueOf(p, tick) !== 0);
    }
    return out;
  }

  /** Tick index at a clock reading; before the origin counts as tick 0. */
  tickAt(nowMs: number): number {
    return Math.max(0, Math.floor((nowMs - this.originMs) / this.tickMs));
  }

  private valueOf(p: SimPoint, tick: number): number {
    const pinned = this.pins.get(p);
    if (pinned !== undefined) return pinned;
    return this.sources.get(p)!.at(tick, this.state);
  }

  private point(name: string): SimPoint {
    const p = this.points.get(name);
    if (p === undefined) {
      throw new Error(`unit ${this.unit} has no point "${name}" (points: ${this.pointNames().join(', ')})`);
    }
    return p;
  }

  private unmapped(table: SimTable, address: number): void {
    if (this.strict) {
      throw new ModbusException(
        MODBUS_EXCEPTIONS.ILLEGAL_DATA_ADDRESS,
        `unit ${this.unit} has nothing at ${table} ${address}`,
      );
    }
  }
}

function checkRange(address: number, count: number, max: number): void {
  if (count < 1 || count > max) {
    throw new ModbusException(MODBUS_EXCEPTIONS.ILLEGAL_DATA_VALUE, `quantity ${count} outside 1..${max}`);
  }
  if (address + count > 65536) {
    throw new ModbusException(MODBUS_EXCEPTIONS.ILLEGAL_DATA_ADDRESS, 'request runs past address 65535');
  }
}
