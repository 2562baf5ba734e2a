import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TcpBusConfig } from '../../../agent/config/schema.js';
import { systemClock } from '../../../agent/core/clock.js';
import { silentLogger } from '../../../agent/core/log.js';
import { ModbusTcpBus } from '../../../drivers/modbus/tcpBus.js';
import { freePort } from '../../../scripts/support/freePort.js';
import { failure, waitFor } from '../../helpers/busExpectations.js';

const buses: ModbusTcpBus[] = [];
const endpoints: { server: Server; sockets: Set<Socket> }[] = [];

afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.stop()));
  for (const { server, sockets } of endpoints.splice(0)) {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
});

/** A TCP endpoint for the bus to connect to; the scripted client below never uses the socket. */
async function endpoint(): Promise<number> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  endpoints.push({ server, sockets });
  return port;
}

/**
 * A stand-in for modbus-serial's client: the socket is real (the bus connects it), the answers are
 * scripted. Covers what a well-behaved ServerTCP cannot produce: malformed answers, a library
 * promise that never settles.
 */
function fakeClient(script: (() => Promise<{ data: number[] }>)[]) {
  const calls: { unit: number; timeout: number }[] = [];
  let unit = 0;
  let timeout = 0;
  const client = {
    isOpen: true,
    on: () => client,
    setID: (id: number) => {
      unit = id;
    },
    setTimeout: (ms: number) => {
      timeout = ms;
    },
    linkTCP: (_socket: unknown, _opts: unknown, cb: (err?: unknown) => void) => cb(),
    destroy: (cb: () => void) => cb(),
    readHoldingRegisters: () => {
      calls.push({ unit, timeout });
      const next = script.shift();
      return next ? next() : Promise.resolve({ data: [0] });
    },
  };
  return { client, calls };
}

describe('ModbusTcpBus answer handling', () => {
  async function setupFake(
    script: (() => Promise<{ data: number[] }>)[],
    overrides: Partial<TcpBusConfig> = {},
  ) {
    const port = await endpoint();
    const fake = fakeClient(script);
    const bus = new ModbusTcpBus({
      config: {
        id: 'fb',
        type: 'tcp',
        host: '127.0.0.1',
        port,
        timeout: 100,
        retries: 1,
        reconnect: { min: 50, max: 100 },
        ...overrides,
      },
      clock: systemClock,
      log: silentLogger(),
      // biome-ignore lint/suspicious/noExplicitAny: a partial stand-in for the client
      createClient: () => fake.client as any,
    });
    buses.push(bus);
    bus.start();
    await waitFor(() => bus.isConnected());
    return { bus, calls: fake.calls };
  }

  it('retries a bad response (wrong length) and reports MODBUS_BAD_RESPONSE when retries run out', async () => {
    const short = () => Promise.resolve({ data: [1] });
    const { bus, calls } = await setupFake([short, () => Promise.resolve({ data: [1, 2] }), short, short]);
    expect(await bus.read(9, 'holding', 0, 2)).toEqual([1, 2]);
    expect(calls).toEqual([
      { unit: 9, timeout: 100 },
      { unit: 9, timeout: 100 },
    ]);
    const err = await failure(bus.read(9, 'holding', 0, 2));
    expect(err.code).toBe('MODBUS_BAD_RESPONSE');
    expect(err.context).toMatchObject({ bus: 'fb', unit: 9 });
    expect(bus.stats().badResponses).toBe(3);
  });

  it("maps modbus-serial's error objects by their fields", async () => {
    const { bus } = await setupFake(
      [
        () => Promise.reject({ name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' }),
        () =>
          Promise.reject(Object.assign(new Error('Modbus exception 11: Gateway target'), { modbusCode: 11 })),
        () => Promise.reject(new Error('CRC error')),
        () => Promise.reject({ name: 'PortNotOpenError', message: 'Port Not Open', errno: 'ECONNREFUSED' }),
      ],
      { retries: 0 },
    );
    expect((await failure(bus.read(1, 'holding', 0, 1))).code).toBe('MODBUS_TIMEOUT');
    const ex = await failure(bus.read(1, 'holding', 0, 1));
    expect(ex.code).toBe('MODBUS_EXCEPTION');
    expect(ex.context.exceptionCode).toBe(11);
    expect((await failure(bus.read(1, 'holding', 0, 1))).code).toBe('MODBUS_BAD_RESPONSE');
    expect((await failure(bus.read(1, 'holding', 0, 1))).code).toBe('MODBUS_DISCONNECTED');
  });

  it('times out on its own timer when the library never settles', async () => {
    const { bus } = await setupFake([() => new Promise(() => {})], { retries: 0 });
    const started = Date.now();
    expect((await failure(bus.read(1, 'holding', 0, 1))).code).toBe('MODBUS_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await bus.read(1, 'holding', 0, 1)).toEqual([0]);
  });
});
