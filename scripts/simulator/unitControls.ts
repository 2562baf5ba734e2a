import type { UnitRegisters } from './registerBank.js';

/** What the fault switches and pinned values act on, whatever the transport (TCP or RTU). */
export interface ControllableUnit {
  regs: UnitRegisters;
  faults: { silent: boolean; slowMs: number; exception: number | null };
}

export interface UnitControls {
  setState(unit: number, value: number): void;
  setSilent(unit: number, on: boolean): void;
  setSlow(unit: number, ms: number): void;
  setException(unit: number, code: number | null): void;
  setValue(unit: number, pointName: string, value: number | null): void;
  values(unit: number): Record<string, number>;
}

/** The control surface shared by the Modbus TCP and RTU simulators. */
export function unitControls(unitOf: (unit: number) => ControllableUnit, now: () => number): UnitControls {
  return {
    setState(unit, value) {
      checkInt(value, 0, 65535, 'state');
      unitOf(unit).regs.state = value;
    },
    setSilent(unit, on) {
      unitOf(unit).faults.silent = on;
    },
    setSlow(unit, ms) {
      checkInt(ms, 0, 3_600_000, 'slow ms');
      unitOf(unit).faults.slowMs = ms;
    },
    setException(unit, code) {
      if (code !== null) checkInt(code, 1, 255, 'exception code');
      unitOf(unit).faults.exception = code;
    },
    setValue(unit, pointName, value) {
      if (value !== null && !Number.isFinite(value))
        throw new RangeError('value must be a finite number or null');
      unitOf(unit).regs.pin(pointName, value);
    },
    values(unit) {
      const regs = unitOf(unit).regs;
      const t = now();
      return Object.fromEntries(regs.pointNames().map((n) => [n, regs.value(n, t)]));
    },
  };
}

export function checkInt(v: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new RangeError(`${what} must be an integer ${min}..${max}`);
}
