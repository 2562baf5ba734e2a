import { afterEach, describe, expect, it } from 'vitest';
import { type SimulatorHandle, startSimulator } from '../../../scripts/simulator/modbusTcpServer.js';
import { registerCount } from '../../../scripts/simulator/registerEncoding.js';
import { loadSimulatorMap } from '../../../scripts/simulator/simulatorConfig.js';
import { freePort } from '../../../scripts/support/freePort.js';
import { closeClient, connectClient, decodeRaw, type ModbusClient, type NumType } from './modbusClient.js';

const DEMO = 'scripts/simulator/maps/demo-water.yaml';
const SONDE = 'scripts/simulator/maps/sonde.yaml';

const sims: SimulatorHandle[] = [];
const clients: ModbusClient[] = [];

async function sim(opts: Partial<Parameters<typeof startSimulator>[0]> = {}): Promise<SimulatorHandle> {
  const s = await startSimulator({ mapFile: DEMO, port: await freePort(), ...opts });
  sims.push(s);
  return s;
}

async function client(port: number, unit: number, timeoutMs = 500): Promise<ModbusClient> {
  const c = await connectClient(port, unit, timeoutMs);
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<Error & { modbusCode?: number; errno?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { modbusCode?: number; errno?: string };
  }
  throw new Error('expected the request to fail');
}

const activeTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

afterEach(async () => {
  await Promise.all(clients.splice(0).map(closeClient));
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

describe('simulator over Modbus TCP', () => {
  it('serves realistic demo values that decode by hand (float32 CDAB/ABCD, int16 × 0.01)', async () => {
    const s = await sim();
    const c = await client(s.port, 7);
    const u7 = await c.readInputRegisters(0, 33);
    const cod = decodeRaw(u7.data.slice(0, 2), 'float32', 'CDAB');
    const ph = decodeRaw(u7.data.slice(16, 17), 'int16') * 0.01;
    expect(cod).toBeGreaterThanOrEqual(15);
    expect(cod).toBeLessThanOrEqual(30);
    expect(ph).toBeGreaterThanOrEqual(6.8);
    expect(ph).toBeLessThanOrEqual(8.2);
    expect(u7.data[32]).toBe(0);

    c.setID(1);
    const u1 = await c.readInputRegisters(0, 21);
    const [temp, sondePh, dox, cond, turb] = [0, 2, 4, 6, 8].map((a) =>
      decodeRaw(u1.data.slice(a, a + 2), 'float32', 'ABCD'),
    );
    expect(temp).toBeGreaterThanOrEqual(10);
    expect(temp).toBeLessThanOrEqual(25);
    expect(sondePh).toBeGreaterThanOrEqual(6.8);
    expect(sondePh).toBeLessThanOrEqual(8.2);
    expect(dox).toBeGreaterThanOrEqual(5);
    expect(dox).toBeLessThanOrEqual(10);
    expect(cond).toBeGreaterThanOrEqual(200);
    expect(cond).toBeLessThanOrEqual(800);
    expect(turb).toBeGreaterThanOrEqual(5);
    expect(turb).toBeLessThanOrEqual(50);
    expect(u1.data[20]).toBe(0);
  });

  it('puts every point of both maps on the wire as values() says, at any clock time', async () => {
    let now = 1_700_000_000_000;
    for (const file of [DEMO, SONDE]) {
      const map = await loadSimulatorMap(file);
      const s = await sim({ mapFile: file, clock: { now: () => now }, seed: 7 });
      for (const step of [0, 3_600_000, 86_400_000 + 1234]) {
        now += step;
        for (const unit of map.units) {
          const c = await client(s.port, unit.unit);
          const expected = s.values(unit.unit);
          for (const p of unit.points) {
            const want = expected[p.name]!;
            const label = `${file} unit ${unit.unit} ${p.name}`;
            if (p.type === 'bool') {
              const read =
                p.table === 'coil' ? c.readCoils(p.address, 1) : c.readDiscreteInputs(p.address, 1);
              expect((await read).data[0], label).toBe(want !== 0);
              continue;
            }
            const n = registerCount(p.type);
            const read =
              p.table === 'holding'
                ? c.readHoldingRegisters(p.address, n)
                : c.readInputRegisters(p.address, n);
            const got = decodeRaw((await read).data, p.type as NumType, p.order) * p.scale + p.offset;
            const tolerance = p.type.startsWith('float')
              ? Math.abs(want) * 1e-6 + 1e-9
              : Math.abs(p.scale) / 2 + 1e-9;
            expect(Math.abs(got - want), `${label}: got ${got}, want ${want}`).toBeLessThanOrEqual(tolerance);
          }
        }
      }
    }
  });

  it('is deterministic: same seed and clock give the same registers, another seed does not', async () => {
    const clock = { now: () => 1_700_000_000_000 };
    const [a, b, other] = await Promise.all([
      sim({ clock, seed: 5 }),
      sim({ clock, seed: 5 }),
      sim({ clock, seed: 6 }),
    ]);
    clock.now = () => 1_700_000_000_000 + 5 * 3_600_000; // five hours on: walks and noise have moved
    const read = async (s: SimulatorHandle) =>
      (await (await client(s.port, 1)).readInputRegisters(0, 10)).data;
    const [ra, rb, ro] = await Promise.all([read(a), read(b), read(other)]);
    expect(ra).toEqual(rb);
    expect(ro).not.toEqual(ra);
  });

  it('shows state changes in the state register and the discrete state bits; pins values', async () => {
    const s = await sim();
    const c = await client(s.port, 7);
    expect((await c.readDiscreteInputs(0, 4)).data.slice(0, 4)).toEqual([true, false, false, false]);
    s.setState(7, 1);
    expect((await c.readInputRegisters(32, 1)).data).toEqual([1]);
    expect((await c.readDiscreteInputs(0, 4)).data.slice(0, 4)).toEqual([false, true, false, false]);
    s.setState(7, 3);
    expect((await c.readInputRegisters(32, 1)).data).toEqual([3]);
    expect(s.stats().units[7]!.state).toBe(3);
    c.setID(1);
    expect((await c.readInputRegisters(20, 1)).data).toEqual([0]); // other unit untouched

    c.setID(7);
    s.setValue(7, 'cod', 123.25);
    s.setValue(7, 'ph', 6.55);
    const pinned = await c.readInputRegisters(0, 17);
    expect(decodeRaw(pinned.data.slice(0, 2), 'float32', 'CDAB')).toBe(123.25);
    expect(pinned.data[16]).toBe(655);
    s.setValue(7, 'cod', null);
    expect(s.values(7).cod).toBeLessThanOrEqual(30);
    expect(() => s.setValue(7, 'nope', 1)).toThrow(/no point "nope"/);
    expect(() => s.setState(9, 1)).toThrow(/unknown unit 9/);
  });

  it('a silent unit never answers while another unit on the same server still does', async () => {
    const s = await sim();
    s.setSilent(7, true);
    const c = await client(s.port, 7);
    const err = await failure(c.readInputRegisters(0, 2));
    expect(err.message).toMatch(/timed out/i);
    c.setID(1);
    expect((await c.readInputRegisters(20, 1)).data).toEqual([0]);
    const stats = s.stats().units;
    expect(stats[7]).toMatchObject({ requests: 1, dropped: 1, answered: 0, silent: true });
    expect(stats[1]).toMatchObject({ requests: 1, answered: 1 });

    s.setSilent(7, false);
    c.setID(7);
    expect((await c.readInputRegisters(32, 1)).data).toEqual([0]);
  });

  it('an unknown unit id gets no answer, like a bus with nobody at that address', async () => {
    const s = await sim();
    const c = await client(s.port, 42);
    expect((await failure(c.readInputRegisters(0, 1))).message).toMatch(/timed out/i);
    expect(s.stats().unknownUnitRequests).toBe(1);
  });

  it('answers with the injected exception code until cleared', async () => {
    const s = await sim();
    const c = await client(s.port, 7);
    s.setException(7, 2);
    expect((await failure(c.readInputRegisters(0, 2))).modbusCode).toBe(2);
    s.setException(7, 6);
    expect((await failure(c.readDiscreteInputs(0, 4))).modbusCode).toBe(6);
    c.setID(1);
    expect((await c.readInputRegisters(0, 2)).data).toHaveLength(2);
    c.setID(7);
    s.setException(7, null);
    expect((await c.readInputRegisters(32, 1)).data).toEqual([0]);
    expect(s.stats().units[7]).toMatchObject({ requests: 3, exceptions: 2, answered: 1 });
    expect(() => s.setException(7, 0)).toThrow(RangeError);
  });

  it('answers slowly when told to, and a slow answer past the timeout is a timeout', async () => {
    const s = await sim();
    const c = await client(s.port, 7, 1000);
    s.setSlow(7, 300);
    const t0 = performance.now();
    expect((await c.readInputRegisters(32, 1)).data).toEqual([0]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
    s.setSlow(7, 1500);
    expect((await failure(c.readInputRegisters(32, 1))).message).toMatch(/timed out/i);
    s.setSlow(7, 0);
    const t1 = performance.now();
    await c.readInputRegisters(32, 1);
    expect(performance.now() - t1).toBeLessThan(1000); // no longer delayed by 1.5 s
  });

  it('a strict unit answers 02 for unmapped addresses; writes answer 01; a lax unit reads gaps as 0', async () => {
    const s = await sim({ mapFile: SONDE });
    const c = await client(s.port, 1);
    expect((await c.readHoldingRegisters(0, 3)).data).toHaveLength(3);
    expect((await c.readHoldingRegisters(8, 7)).data).toHaveLength(7);
    expect((await failure(c.readHoldingRegisters(0, 5))).modbusCode).toBe(2); // 3 is unmapped
    expect((await failure(c.readInputRegisters(0, 1))).modbusCode).toBe(2);
    expect((await c.readCoils(0, 1)).data[0]).toBe(true);
    expect((await failure(c.writeRegister(0, 1))).modbusCode).toBe(1);
    expect((await failure(c.writeRegisters(0, [1, 2]))).modbusCode).toBe(1);
    c.setID(2);
    const wide = await c.readInputRegisters(0, 31);
    expect(wide.data.slice(18, 30)).toEqual(new Array(12).fill(0));
  });

  it('stop() frees the port at once, cancels delayed answers and is idempotent', async () => {
    const port = await freePort();
    const first = await startSimulator({ mapFile: DEMO, port });
    const c = await connectClient(port, 7, 800);
    first.setSlow(7, 1500);
    const pending = failure(c.readInputRegisters(0, 2)); // never answered: stop() drops the connection
    await new Promise((r) => setTimeout(r, 50));
    const timersWhileWaiting = activeTimers();
    const t0 = performance.now();
    await Promise.all([first.stop(), first.stop()]);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(activeTimers()).toBe(timersWhileWaiting - 1); // the delayed answer's timer is cleared
    await pending;
    await closeClient(c);

    const second = await sim({ port });
    const c2 = await client(port, 7);
    expect((await c2.readInputRegisters(32, 1)).data).toEqual([0]);
    expect(second.port).toBe(port);
  });

  it('refuses port 0 and reports a port in use', async () => {
    await expect(startSimulator({ mapFile: DEMO, port: 0 })).rejects.toThrow(/502/);
    const s = await sim();
    await expect(startSimulator({ mapFile: DEMO, port: s.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
