import { type IServiceVector, ServerTCP } from 'modbus-serial';
import { MODBUS_EXCEPTIONS, ModbusException, UnitRegisters } from './registerBank.js';
import { loadSimulatorMap, parseSimulatorMap, type SimulatorMapInput } from './simulatorConfig.js';
import { unitControls } from './unitControls.js';

/**
 * The simulated analyzers on one Modbus TCP port, like a serial gateway with several instruments
 * behind it: requests are dispatched by unit id, an unknown unit gets no answer at all (as on a
 * real bus), and each unit can be told to go silent, answer slowly or answer with an exception.
 */

/** Only `now()` is used (generator time), so the agent's Clock or a bare test clock both fit. */
export interface SimulatorClock {
  now(): number;
}

export interface StartSimulatorOptions {
  /** A map object (as parsed from YAML, or the validated SimulatorMap); or give mapFile. */
  map?: SimulatorMapInput;
  mapFile?: string;
  /** A real port (1–65535): modbus-serial's ServerTCP treats 0 as "use 502". */
  port: number;
  host?: string;
  clock?: SimulatorClock;
  /** Seeds noise and random walks: same seed + same clock readings = same registers. Default 1. */
  seed?: number;
}

/** Counters and the current fault settings of one unit. */
export interface UnitStats {
  /** Requests addressed to the unit (answered, dropped, failed or still waiting). */
  requests: number;
  answered: number;
  /** Answers that were Modbus exceptions (injected, or a bad address/quantity). */
  exceptions: number;
  /** Requests left unanswered because the unit was silent. */
  dropped: number;
  state: number;
  silent: boolean;
  slowMs: number;
  exception: number | null;
}

export interface SimulatorStats {
  units: Record<number, UnitStats>;
  /** Requests for unit ids not in the map (never answered). */
  unknownUnitRequests: number;
}

export interface SimulatorHandle {
  readonly host: string;
  readonly port: number;
  /** Unit ids served, ascending. */
  readonly units: readonly number[];
  /** Closes the port, drops connections and cancels delayed answers. Idempotent. */
  stop(): Promise<void>;
  /** Instrument state of a unit (0 measuring, 1 calibration, 2 maintenance, 3 fault). */
  setState(unit: number, value: number): void;
  /** A silent unit never answers (the client times out); other units keep answering. */
  setSilent(unit: number, on: boolean): void;
  /** Delays every answer of the unit by `ms` (0: prompt). */
  setSlow(unit: number, ms: number): void;
  /** Answers every request of the unit with exception `code` (null: normal answers). */
  setException(unit: number, code: number | null): void;
  /** Pins a point to an engineering value (null: back to its generator). */
  setValue(unit: number, pointName: string, value: number | null): void;
  /** Current engineering values of a unit's points, as the agent should decode them now. */
  values(unit: number): Record<string, number>;
  stats(): SimulatorStats;
}

type RequestKind = 'coil' | 'discrete' | 'holding' | 'input' | 'write';

interface Faults {
  silent: boolean;
  slowMs: number;
  exception: number | null;
}

interface UnitRuntime {
  regs: UnitRegisters;
  faults: Faults;
  counters: { requests: number; answered: number; exceptions: number; dropped: number };
}

/**
 * One Modbus request, reassembled. modbus-serial calls the vector once per register or bit, in
 * one synchronous loop per request (each request is parsed in its own timer callback), so the
 * calls made before the next microtask belong to one request. Serving the request as a whole
 * keeps fault injection, stats and the value snapshot per request rather than per register.
 */
interface Batch {
  kind: RequestKind;
  unitID: number;
  start: number;
  count: number;
  result: Promise<unknown[]>;
  settle: (values: Promise<unknown[]>) => void;
}

function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

export async function startSimulator(opts: StartSimulatorOptions): Promise<SimulatorHandle> {
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
    throw new RangeError(`port must be 1..65535, got ${opts.port} (ServerTCP would turn 0 into 502)`);
  }
  if ((opts.map === undefined) === (opts.mapFile === undefined)) {
    throw new TypeError('give exactly one of map or mapFile');
  }
  const map = opts.map !== undefined ? parseSimulatorMap(opts.map) : await loadSimulatorMap(opts.mapFile!);
  const host = opts.host ?? '127.0.0.1';
  const clock: SimulatorClock = opts.clock ?? { now: () => Date.now() };
  const seed = opts.seed ?? 1;
  const originMs = clock.now();

  const units = new Map<number, UnitRuntime>();
  for (const spec of map.units) {
    units.set(spec.unit, {
      regs: new UnitRegisters(spec, { seed, defaultTickMs: map.updateInterval, originMs }),
      faults: { silent: false, slowMs: 0, exception: null },
      counters: { requests: 0, answered: 0, exceptions: 0, dropped: 0 },
    });
  }
  let unknownUnitRequests = 0;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  async function serve(b: Batch): Promise<unknown[]> {
    if (stopped) return never();
    const u = units.get(b.unitID);
    if (u === undefined) {
      unknownUnitRequests++;
      return never();
    }
    u.counters.requests++;
    if (u.faults.silent) {
      u.counters.dropped++;
      return never();
    }
    if (u.faults.slowMs > 0) await delay(u.faults.slowMs);
    if (stopped) return never();
    try {
      const values = answer(u, b);
      u.counters.answered++;
      return values;
    } catch (err) {
      u.counters.exceptions++;
      throw err;
    }
  }

  function answer(u: UnitRuntime, b: Batch): unknown[] {
    if (u.faults.exception !== null) {
      throw new ModbusException(u.faults.exception, `injected exception on unit ${b.unitID}`);
    }
    const now = clock.now();
    switch (b.kind) {
      case 'holding':
      case 'input':
        return u.regs.readRegisters(b.kind, b.start, b.count, now);
      case 'coil':
      case 'discrete':
        return u.regs.readBits(b.kind, b.start, b.count, now);
      case 'write':
        // The simulated analyzers are read-only, like most measurement registers in the field.
        throw new ModbusException(MODBUS_EXCEPTIONS.ILLEGAL_FUNCTION, 'the simulator is read-only');
    }
  }

  let open: Batch | null = null;
  function item(kind: RequestKind, address: number, unitID: number): Promise<unknown> {
    let b = open;
    if (b === null || b.kind !== kind || b.unitID !== unitID || address !== b.start + b.count) {
      let settle!: (values: Promise<unknown[]>) => void;
      const result = new Promise<unknown[]>((resolve) => {
        settle = resolve;
      });
      const fresh: Batch = { kind, unitID, start: address, count: 0, result, settle };
      open = fresh;
      queueMicrotask(() => {
        if (open === fresh) open = null;
        fresh.settle(serve(fresh));
      });
      b = fresh;
    }
    const index = b.count++;
    return b.result.then((values) => values[index]);
  }

  // Two-argument (promise) forms: modbus-serial picks callback vs promise style by arity.
  const vector: IServiceVector = {
    getCoil: (addr: number, unitID: number) => item('coil', addr, unitID) as Promise<boolean>,
    getDiscreteInput: (addr: number, unitID: number) => item('discrete', addr, unitID) as Promise<boolean>,
    getHoldingRegister: (addr: number, unitID: number) => item('holding', addr, unitID) as Promise<number>,
    getInputRegister: (addr: number, unitID: number) => item('input', addr, unitID) as Promise<number>,
    setCoil: (addr: number, _value: boolean, unitID: number) => item('write', addr, unitID).then(() => {}),
    setRegister: (addr: number, _value: number, unitID: number) => item('write', addr, unitID).then(() => {}),
  };

  const server = new ServerTCP(vector, { host, port: opts.port, unitID: 255 });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error | null) => {
      server.off('initialized', onReady);
      reject(err ?? new Error('ServerTCP failed to start'));
    };
    const onReady = () => {
      server.off('serverError', onError);
      resolve();
    };
    server.once('initialized', onReady);
    server.once('serverError', onError);
  });
  // A client vanishing mid-answer is normal for a field device; do not let it crash the process.
  server.on('serverError', () => {});
  server.on('socketError', () => {});
  server.on('error', () => {});

  const unitOf = (unit: number): UnitRuntime => {
    const u = units.get(unit);
    if (u === undefined) throw new Error(`unknown unit ${unit} (units: ${[...units.keys()].join(', ')})`);
    return u;
  };

  let stopping: Promise<void> | undefined;
  const handle: SimulatorHandle = {
    host,
    port: opts.port,
    units: [...units.keys()].sort((a, b) => a - b),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        stopped = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        // Closes the listener and destroys open sockets, so the port is free on return.
        server.close(() => resolve());
      });
      return stopping;
    },
    ...unitControls(unitOf, () => clock.now()),
    stats() {
      const out: Record<number, UnitStats> = {};
      for (const [id, u] of units) {
        out[id] = { ...u.counters, state: u.regs.state, ...u.faults };
      }
      return { units: out, unknownUnitRequests };
    },
  };
  return handle;
}
