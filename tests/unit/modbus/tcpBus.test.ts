import { ServerTCP } from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import type { RegisterTable, TcpBusConfig } from '../../../agent/config/schema.js';
import { systemClock } from '../../../agent/core/clock.js';
import { isAgentError } from '../../../agent/core/errors.js';
import { silentLogger } from '../../../agent/core/log.js';
import { ModbusTcpBus } from '../../../drivers/modbus/tcpBus.js';
import { freePort } from '../../../scripts/support/freePort.js';
import { failure, waitFor } from '../../helpers/busExpectations.js';

/** What the server does with the next register request; default: answer at once. */
interface Behaviour {
  delayMs?: number;
  silent?: boolean;
  exception?: number;
}

/**
 * modbus-serial's own ServerTCP in-process. Register answers are distinguishable per request:
 * register i of the n-th request holds n·100 + i, so a late answer shows up as a wrong n.
 */
class TestServer {
  readonly requests: { table: RegisterTable; unit: number; address: number; count: number; n: number }[] = [];
  readonly behaviours: Behaviour[] = [];
  /** 'req n' when request n arrives, 'ans n' when its answer is sent. */
  readonly events: string[] = [];
  outstanding = 0;
  maxOutstanding = 0;
  private server: ServerTCP | undefined;

  constructor(readonly port: number) {}

  start(): Promise<void> {
    const reg =
      (table: RegisterTable) =>
      (address: number, count: number, unit: number, cb: (e: unknown, v?: number[]) => void) =>
        this.handle(table, address, count, unit, cb);
    const single =
      (table: RegisterTable) => (address: number, unit: number, cb: (e: unknown, v?: number) => void) =>
        this.handle(table, address, 1, unit, (e, v) => cb(e, v?.[0]));
    const vector = {
      getMultipleHoldingRegisters: reg('holding'),
      getHoldingRegister: single('holding'),
      getMultipleInputRegisters: reg('input'),
      getInputRegister: single('input'),
      getCoil: (addr: number) => addr % 3 === 0,
      getDiscreteInput: (addr: number) => addr % 2 === 0,
    };
    return new Promise((resolve, reject) => {
      // biome-ignore lint/suspicious/noExplicitAny: ServerTCP's vector typing does not admit callback overloads
      const server = new ServerTCP(vector as any, { host: '127.0.0.1', port: this.port });
      server.once('initialized', () => resolve());
      server.once('serverError', reject);
      server.on('socketError', () => {});
      this.server = server;
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  get connections(): number {
    return this.server?.socks.size ?? 0;
  }

  private handle(
    table: RegisterTable,
    address: number,
    count: number,
    unit: number,
    cb: (e: unknown, v?: number[]) => void,
  ): void {
    const n = this.requests.length + 1;
    this.requests.push({ table, unit, address, count, n });
    this.events.push(`req ${n}`);
    const b = this.behaviours.shift() ?? {};
    if (b.silent) return;
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    const answer = () => {
      this.outstanding--;
      this.events.push(`ans ${n}`);
      if (b.exception !== undefined) cb({ modbusErrorCode: b.exception });
      else
        cb(
          null,
          Array.from({ length: count }, (_, i) => n * 100 + i),
        );
    };
    if (b.delayMs) setTimeout(answer, b.delayMs);
    else answer();
  }
}

const servers: TestServer[] = [];
const buses: ModbusTcpBus[] = [];

afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.stop()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function setup(overrides: Partial<TcpBusConfig> = {}, opts: { startServer?: boolean } = {}) {
  const port = await freePort();
  const server = new TestServer(port);
  servers.push(server);
  if (opts.startServer !== false) await server.start();
  const config: TcpBusConfig = {
    id: 'bus1',
    type: 'tcp',
    host: '127.0.0.1',
    port,
    timeout: 200,
    retries: 0,
    reconnect: { min: 50, max: 200 },
    ...overrides,
  };
  const bus = new ModbusTcpBus({ config, clock: systemClock, log: silentLogger() });
  buses.push(bus);
  bus.start();
  if (opts.startServer !== false) await waitFor(() => bus.isConnected());
  return { bus, server, port };
}

describe('ModbusTcpBus', () => {
  it('reads every table with the right function code', async () => {
    const { bus, server } = await setup();
    expect(await bus.read(7, 'holding', 10, 3)).toEqual([100, 101, 102]);
    expect(await bus.read(7, 'input', 20, 2)).toEqual([200, 201]);
    expect(await bus.read(7, 'holding', 5, 1)).toEqual([300]);
    // Coil a is on when a % 3 === 0; only the requested bits come back, not the padded byte.
    expect(await bus.read(7, 'coil', 0, 5)).toEqual([1, 0, 0, 1, 0]);
    expect(await bus.read(7, 'discrete', 1, 3)).toEqual([0, 1, 0]);
    expect(server.requests.map((r) => [r.table, r.unit, r.address, r.count])).toEqual([
      ['holding', 7, 10, 3],
      ['input', 7, 20, 2],
      ['holding', 7, 5, 1],
    ]);
    expect(bus.stats()).toMatchObject({ transactions: 5, timeouts: 0, exceptions: 0, connected: true });
  });

  it('gives MODBUS_TIMEOUT when the device stays silent', async () => {
    const { bus, server } = await setup({ timeout: 150 });
    server.behaviours.push({ silent: true });
    const started = Date.now();
    const err = await failure(bus.read(3, 'holding', 0, 2));
    expect(err.code).toBe('MODBUS_TIMEOUT');
    expect(err.context).toMatchObject({ bus: 'bus1', unit: 3 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(bus.stats().timeouts).toBe(1);
  });

  it('retries timeouts up to config.retries', async () => {
    const { bus, server } = await setup({ timeout: 100, retries: 2 });
    server.behaviours.push({ silent: true }, { silent: true });
    expect(await bus.read(1, 'holding', 0, 1)).toEqual([300]);
    expect(server.requests).toHaveLength(3);
    expect(bus.stats()).toMatchObject({ transactions: 3, timeouts: 2 });
  });

  it('gives MODBUS_EXCEPTION with the exception code, without retrying', async () => {
    const { bus, server } = await setup({ retries: 2 });
    server.behaviours.push({ exception: 2 });
    const err = await failure(bus.read(4, 'holding', 100, 2));
    expect(err.code).toBe('MODBUS_EXCEPTION');
    expect(err.context).toMatchObject({ bus: 'bus1', unit: 4, exceptionCode: 2 });
    expect(server.requests).toHaveLength(1);
    expect(bus.stats().exceptions).toBe(1);
    expect(await bus.read(4, 'holding', 0, 1)).toEqual([200]); // the bus carries on
  });

  it('never returns a late answer for a later request', async () => {
    const { bus, server } = await setup({ timeout: 1000 });
    // Request 1 is answered at ~1500 ms, after its timeout, while request 2 (sent at ~1000 ms) is
    // outstanding until ~1600 ms: the stale answer reaches the client first. Margins of 400-500 ms
    // keep the order the same on a loaded machine.
    server.behaviours.push({ delayMs: 1500 }, { delayMs: 600 });
    const first = await failure(bus.read(1, 'holding', 0, 2));
    expect(first.code).toBe('MODBUS_TIMEOUT');
    expect(await bus.read(1, 'holding', 0, 2)).toEqual([200, 201]);
    expect(await bus.read(1, 'holding', 0, 2)).toEqual([300, 301]);
    // The stale answer really was on the wire while request 2 waited for its own.
    expect(server.events).toEqual(['req 1', 'req 2', 'ans 1', 'ans 2', 'req 3', 'ans 3']);
    expect(bus.stats()).toMatchObject({ transactions: 3, timeouts: 1, badResponses: 0 });
  });

  it('serializes concurrent reads: one transaction at a time, FIFO across units', async () => {
    const { bus, server } = await setup({ timeout: 1000 });
    for (let i = 0; i < 10; i++) server.behaviours.push({ delayMs: 15 });
    const reads = Array.from({ length: 10 }, (_, i) => bus.read((i % 5) + 1, 'holding', i, 1));
    const results = await Promise.all(reads);
    expect(server.maxOutstanding).toBe(1);
    expect(server.requests.map((r) => r.address)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(server.requests.map((r) => r.unit)).toEqual([1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
    expect(results.map((r) => r[0])).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });

  it('fails fast when the server is gone and reconnects when it is back', async () => {
    const { bus, server } = await setup();
    await server.stop();
    await waitFor(() => !bus.isConnected());
    const started = Date.now();
    const err = await failure(bus.read(1, 'holding', 0, 1));
    expect(err.code).toBe('MODBUS_DISCONNECTED');
    expect(err.context).toMatchObject({ bus: 'bus1', unit: 1 });
    expect(Date.now() - started).toBeLessThan(50);

    await new Promise((r) => setTimeout(r, 300)); // a few refused reconnects meanwhile
    expect(bus.stats().connectFailures).toBeGreaterThan(0);
    await server.start();
    await waitFor(() => bus.isConnected());
    expect(await bus.read(1, 'holding', 0, 1)).toEqual([100]);
    expect(bus.stats().reconnects).toBe(1);
  });

  it('rejects a transaction at once when the socket drops under it', async () => {
    const { bus, server } = await setup({ timeout: 5000 });
    server.behaviours.push({ silent: true });
    const pending = failure(bus.read(1, 'holding', 0, 1));
    const queued = failure(bus.read(2, 'holding', 0, 1));
    await waitFor(() => server.requests.length === 1);
    const started = Date.now();
    await server.stop();
    const [p, q] = [await pending, await queued];
    expect(p.code).toBe('MODBUS_DISCONNECTED');
    expect(p.context).toMatchObject({ bus: 'bus1', unit: 1 });
    expect(q.code).toBe('MODBUS_DISCONNECTED');
    expect(q.context).toMatchObject({ bus: 'bus1', unit: 2 });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('reconnects after consecutive timeouts (a half-open connection)', async () => {
    const { bus, server } = await setup({ timeout: 50, retries: 0 });
    server.behaviours.push({ silent: true }, { silent: true }, { silent: true });
    for (let i = 0; i < 3; i++) {
      expect((await failure(bus.read(i + 1, 'holding', 0, 1))).code).toBe('MODBUS_TIMEOUT');
    }
    await waitFor(() => bus.stats().reconnects === 1 && bus.isConnected());
    expect(await bus.read(1, 'holding', 0, 1)).toEqual([400]);
  });

  it('fails fast before the first connection and connects once the server appears', async () => {
    const { bus, server } = await setup({}, { startServer: false });
    expect((await failure(bus.read(1, 'holding', 0, 1))).code).toBe('MODBUS_DISCONNECTED');
    await server.start();
    await waitFor(() => bus.isConnected());
    expect(await bus.read(1, 'holding', 0, 1)).toEqual([100]);
    expect(bus.stats().reconnects).toBe(0);
  });

  it('ready() resolves true once connected, false after the wait, and false on stop', async () => {
    const { bus, server } = await setup({}, { startServer: false });
    expect(await bus.ready(100)).toBe(false);
    const waiting = bus.ready(5000);
    await server.start();
    expect(await waiting).toBe(true);
    expect(await bus.ready(1)).toBe(true);
    const other = await setup({}, { startServer: false });
    const pending = other.bus.ready(5000);
    await other.bus.stop();
    expect(await pending).toBe(false);
  });

  it('rejects requests no device could answer', async () => {
    const { bus } = await setup();
    await expect(bus.read(1, 'holding', 0, 126)).rejects.toThrow(RangeError);
    await expect(bus.read(1, 'coil', 0, 2001)).rejects.toThrow(RangeError);
    await expect(bus.read(256, 'holding', 0, 1)).rejects.toThrow(RangeError);
    await expect(bus.read(1, 'input', 65535, 2)).rejects.toThrow(RangeError);
  });

  it('stop() rejects queued reads and leaves no socket or timer behind', async () => {
    const port = await freePort();
    const server = new TestServer(port);
    servers.push(server);
    await server.start();
    const before = handles();

    const bus = new ModbusTcpBus({
      config: {
        id: 'b',
        type: 'tcp',
        host: '127.0.0.1',
        port,
        timeout: 2000,
        retries: 1,
        reconnect: { min: 50, max: 100 },
      },
      clock: systemClock,
      log: silentLogger(),
    });
    bus.start();
    await waitFor(() => bus.isConnected());
    server.behaviours.push({ silent: true });
    const inFlight = failure(bus.read(1, 'holding', 0, 1));
    const queued = failure(bus.read(1, 'holding', 1, 1));
    await waitFor(() => server.requests.length === 1);
    await bus.stop();
    expect((await inFlight).code).toBe('MODBUS_DISCONNECTED');
    expect((await queued).code).toBe('MODBUS_DISCONNECTED');
    expect(isAgentError(await failure(bus.read(1, 'holding', 0, 1)), 'MODBUS_DISCONNECTED')).toBe(true);
    await waitFor(() => server.connections === 0);
    await new Promise((r) => setImmediate(r));
    const after = handles();
    expect(after.sockets).toBeLessThanOrEqual(before.sockets);
    expect(after.timers).toBeLessThanOrEqual(before.timers);
  });
});

function handles(): { sockets: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return {
    sockets: info.filter((r) => r === 'TCPSocketWrap').length,
    timers: info.filter((r) => r === 'Timeout').length,
  };
}
