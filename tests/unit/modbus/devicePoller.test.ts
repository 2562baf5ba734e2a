import { describe, expect, it } from 'vitest';
import type { ChannelConfig, DeviceConfig, RegisterTable } from '../../../agent/config/schema.js';
import { AgentError } from '../../../agent/core/errors.js';
import { silentLogger } from '../../../agent/core/log.js';
import { encodeValue } from '../../../drivers/modbus/decode.js';
import { createDevicePoller, type RegisterReader, STATUS_KEY } from '../../../drivers/modbus/devicePoller.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/** A device's register space; `fail` decides per request whether (and how) the read fails. */
class FakeDevice implements RegisterReader {
  readonly tables: Record<RegisterTable, Map<number, number>> = {
    coil: new Map(),
    discrete: new Map(),
    holding: new Map(),
    input: new Map(),
  };
  readonly calls: { unit: number; table: RegisterTable; address: number; count: number }[] = [];
  fail: (table: RegisterTable, address: number) => unknown = () => undefined;
  onRead?: () => void;

  set(table: RegisterTable, address: number, words: number[]): void {
    words.forEach((w, i) => {
      this.tables[table].set(address + i, w);
    });
  }

  async read(unit: number, table: RegisterTable, address: number, count: number): Promise<number[]> {
    this.calls.push({ unit, table, address, count });
    this.onRead?.();
    const err = this.fail(table, address);
    if (err) throw err;
    return Array.from({ length: count }, (_, i) => this.tables[table].get(address + i) ?? 0);
  }
}

function channel(id: string, address: number, extra: Partial<ChannelConfig> = {}): ChannelConfig {
  return { id, register: { table: 'holding', address, type: 'float32' }, scale: 1, offset: 0, ...extra };
}

function device(overrides: Partial<DeviceConfig> = {}): DeviceConfig {
  return {
    id: 'cod1',
    bus: 'bus1',
    unit: 5,
    interval: 10_000,
    enabled: true,
    channels: [
      channel('cod', 0, { code: 'w01018', unit: 'mg/L' }),
      channel('nh3n', 2, { code: 'w21003', unit: 'mg/L' }),
      channel('temp', 20, {
        register: { table: 'input', address: 20, type: 'int16' },
        scale: 0.1,
        offset: -40,
      }),
    ],
    status: {
      register: { table: 'holding', address: 10, type: 'uint16' },
      flags: { '0': 'N', '1': 'M', '2': 'C' },
      default: 'D',
    },
    workarounds: {},
    ...overrides,
  };
}

const timeoutErr = () => new AgentError('MODBUS_TIMEOUT', 'no answer', { bus: 'bus1', unit: 5 });

function setup(dev = device()) {
  const clock = new FakeClock({ wall: 1_700_000_000_000 });
  const bus = new FakeDevice();
  bus.set('holding', 0, encodeValue(12.5, 'float32'));
  bus.set('holding', 2, encodeValue(0.75, 'float32'));
  bus.set('holding', 10, [0]);
  bus.set('input', 20, encodeValue(655, 'int16'));
  const poller = createDevicePoller({ device: dev, bus, clock, log: silentLogger() });
  return { clock, bus, poller };
}

describe('createDevicePoller', () => {
  it('plans once over channels and the status register', () => {
    const { poller } = setup();
    expect(poller.plan.map((r) => [r.table, r.address, r.count, r.items.map((i) => i.key)])).toEqual([
      ['holding', 0, 11, ['cod', 'nh3n', STATUS_KEY]],
      ['input', 20, 1, ['temp']],
    ]);
  });

  it('honours the device workarounds', () => {
    const { poller } = setup(device({ workarounds: { mergeGap: 0, maxRegistersPerRequest: 2 } }));
    expect(poller.plan.map((r) => [r.address, r.count])).toEqual([
      [0, 2],
      [2, 2],
      [10, 1],
      [20, 1],
    ]);
  });

  it('reads, scales and stamps every channel with the poll start time', async () => {
    const { poller, bus, clock } = setup();
    const start = clock.now();
    bus.onRead = () => clock.setWall(clock.now() + 5000); // time passes during the reads
    const result = await poller.poll();
    expect(result.ok).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.state).toBe(0);
    expect(result.readings).toEqual([
      { ts: start, device: 'cod1', channel: 'cod', code: 'w01018', value: 12.5, unit: 'mg/L', flag: 'N' },
      { ts: start, device: 'cod1', channel: 'nh3n', code: 'w21003', value: 0.75, unit: 'mg/L', flag: 'N' },
      {
        ts: start,
        device: 'cod1',
        channel: 'temp',
        code: null,
        value: expect.closeTo(25.5, 9),
        unit: null,
        flag: 'N',
      },
    ]);
    expect(bus.calls.every((c) => c.unit === 5)).toBe(true);
    expect(result.raw.get('cod')).toEqual(encodeValue(12.5, 'float32'));
    expect(result.raw.get('temp')).toEqual([655]);
    expect(result.raw.has(STATUS_KEY)).toBe(false);
  });

  it('flags values by the instrument state, and unlisted states with the default', async () => {
    const { poller, bus } = setup();
    bus.set('holding', 10, [1]);
    expect((await poller.poll()).readings.map((r) => r.flag)).toEqual(['M', 'M', 'M']);
    bus.set('holding', 10, [7]);
    const result = await poller.poll();
    expect(result.state).toBe(7);
    expect(result.readings.map((r) => r.flag)).toEqual(['D', 'D', 'D']);
    expect(result.readings.map((r) => r.value)).toEqual([12.5, 0.75, expect.closeTo(25.5, 9)]);
  });

  it('gives value null and flag B for the channels of a failed request, keeps the rest', async () => {
    const { poller, bus } = setup();
    bus.fail = (table) =>
      table === 'input'
        ? new AgentError('MODBUS_EXCEPTION', 'illegal address', { exceptionCode: 2 })
        : undefined;
    const result = await poller.poll();
    expect(result.ok).toBe(false);
    expect(result.readings.map((r) => [r.channel, r.value, r.flag])).toEqual([
      ['cod', 12.5, 'N'],
      ['nh3n', 0.75, 'N'],
      ['temp', null, 'B'],
    ]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toBeInstanceOf(AgentError);
    expect(result.errors[0]!.code).toBe('MODBUS_EXCEPTION');
    expect(result.errors[0]!.context).toMatchObject({
      device: 'cod1',
      table: 'input',
      address: 20,
      exceptionCode: 2,
    });
    expect(result.raw.has('temp')).toBe(false);
  });

  it('skips the rest of the poll after a timeout (the bus is shared)', async () => {
    const { poller, bus } = setup();
    bus.fail = () => timeoutErr();
    const result = await poller.poll();
    expect(bus.calls).toHaveLength(1);
    expect(result.readings.map((r) => [r.value, r.flag])).toEqual([
      [null, 'B'],
      [null, 'B'],
      [null, 'B'],
    ]);
    expect(result.errors.map((e) => e.code)).toEqual(['MODBUS_TIMEOUT']);
    expect(result.state).toBeNull();
  });

  it('continues after an exception on one block', async () => {
    const { poller, bus } = setup();
    bus.fail = (table) =>
      table === 'holding' ? new AgentError('MODBUS_EXCEPTION', 'busy', { exceptionCode: 6 }) : undefined;
    const result = await poller.poll();
    expect(bus.calls).toHaveLength(2);
    expect(result.readings.map((r) => r.flag)).toEqual(['B', 'B', 'N']);
  });

  it('turns NaN and Infinity into null with flag D', async () => {
    const { poller, bus } = setup();
    bus.set('holding', 0, encodeValue(Number.NaN, 'float32'));
    bus.set('holding', 2, encodeValue(Number.NEGATIVE_INFINITY, 'float32'));
    bus.set('holding', 10, [2]);
    const result = await poller.poll();
    expect(result.ok).toBe(true);
    expect(result.readings.map((r) => [r.value, r.flag])).toEqual([
      [null, 'D'],
      [null, 'D'],
      [expect.closeTo(25.5, 9), 'C'],
    ]);
  });

  it('keeps values flagged N when only the status register could not be read', async () => {
    const dev = device({
      status: {
        register: { table: 'holding', address: 100, type: 'uint16' },
        flags: { '1': 'M' },
        default: 'D',
      },
    });
    const { poller, bus } = setup(dev);
    bus.fail = (_t, address) =>
      address === 100 ? new AgentError('MODBUS_EXCEPTION', 'no', { exceptionCode: 2 }) : undefined;
    const result = await poller.poll();
    expect(result.ok).toBe(false);
    expect(result.state).toBeNull();
    expect(result.readings.map((r) => [r.value, r.flag])).toEqual([
      [12.5, 'N'],
      [0.75, 'N'],
      [expect.closeTo(25.5, 9), 'N'],
    ]);
  });

  it('flags N without a status register', async () => {
    const { poller } = setup(device({ status: undefined }));
    const result = await poller.poll();
    expect(result.state).toBeNull();
    expect(result.readings.map((r) => r.flag)).toEqual(['N', 'N', 'N']);
  });

  it('decodes word order, bools and multi-register status', async () => {
    const dev = device({
      channels: [
        channel('swapped', 0, { register: { table: 'holding', address: 0, type: 'float32', order: 'CDAB' } }),
        channel('pump', 3, { register: { table: 'coil', address: 3, type: 'bool' } }),
      ],
      status: {
        register: { table: 'input', address: 50, type: 'uint32' },
        flags: { '65536': 'F' },
        default: 'N',
      },
    });
    const { poller, bus } = setup(dev);
    bus.set('holding', 0, encodeValue(-3.25, 'float32', 'CDAB'));
    bus.set('coil', 3, [1]);
    bus.set('input', 50, encodeValue(65536, 'uint32'));
    const result = await poller.poll();
    expect(result.readings.map((r) => [r.channel, r.value, r.flag])).toEqual([
      ['swapped', -3.25, 'F'],
      ['pump', 1, 'F'],
    ]);
  });

  it('never rejects: a reader that throws synchronously or with a non-AgentError', async () => {
    const { poller, bus } = setup();
    bus.read = () => {
      throw new TypeError('boom');
    };
    const result = await poller.poll();
    expect(result.ok).toBe(false);
    expect(result.errors.map((e) => e.code)).toEqual(['MODBUS_BAD_RESPONSE', 'MODBUS_BAD_RESPONSE']);
    expect(result.readings.every((r) => r.value === null && r.flag === 'B')).toBe(true);
  });

  it('treats a short answer as a bad response', async () => {
    const { poller, bus } = setup();
    bus.read = async () => [1];
    const result = await poller.poll();
    expect(result.errors.map((e) => e.code)).toEqual(['MODBUS_BAD_RESPONSE']);
    expect(result.readings.map((r) => r.flag)).toEqual(['B', 'B', 'N']); // the 1-register input read is fine
  });
});
