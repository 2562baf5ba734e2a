import { describe, expect, it } from 'vitest';
import { createDeviceAcquisition } from '../../../agent/acquisition/deviceAcquisition.js';
import { createUnitIsolation, pollVerdict } from '../../../agent/acquisition/unitIsolation.js';
import type { DeviceConfig } from '../../../agent/config/schema.js';
import { AgentError, type ErrorCode } from '../../../agent/core/errors.js';
import type { Logger } from '../../../agent/core/log.js';
import type { NewReading } from '../../../agent/core/reading.js';
import { createDevicePoller } from '../../../drivers/modbus/devicePoller.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/** A logger that records messages by level (the module logs each transition once). */
function recordingLogger() {
  const lines: { level: string; msg: string }[] = [];
  const at =
    (level: string) =>
    (a: unknown, b?: unknown): void => {
      lines.push({ level, msg: typeof a === 'string' ? a : String(b) });
    };
  const log = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => log,
  };
  return { log: log as unknown as Logger, lines };
}

function device(overrides: Partial<DeviceConfig> = {}): DeviceConfig {
  return {
    id: 'ph1',
    bus: 'rs485',
    unit: 2,
    interval: 1000,
    enabled: true,
    channels: [{ id: 'ph', register: { table: 'holding', address: 0, type: 'uint16' }, scale: 1, offset: 0 }],
    workarounds: {},
    isolation: { after: 3, interval: 10_000 },
    ...overrides,
  } as DeviceConfig;
}

const err = (code: ErrorCode) => new AgentError(code, code);

describe('pollVerdict', () => {
  it('classifies polls by what they say about the unit', () => {
    expect(pollVerdict({ ok: true, errors: [] })).toBe('answered');
    expect(pollVerdict({ ok: false, errors: [err('MODBUS_TIMEOUT')] })).toBe('silent');
    expect(pollVerdict({ ok: false, errors: [err('MODBUS_EXCEPTION'), err('MODBUS_TIMEOUT')] })).toBe(
      'silent',
    );
    expect(pollVerdict({ ok: false, errors: [err('MODBUS_EXCEPTION')] })).toBe('answered');
    expect(pollVerdict({ ok: false, errors: [err('MODBUS_DISCONNECTED')] })).toBe('neutral');
    expect(pollVerdict({ ok: false, errors: [err('MODBUS_BAD_RESPONSE')] })).toBe('neutral');
  });
});

describe('createUnitIsolation', () => {
  it('isolates after N silent polls in a row and returns on the first answer, logging each change once', () => {
    const { log, lines } = recordingLogger();
    const iso = createUnitIsolation(device(), log);
    expect(iso.record('silent')).toBe(1000);
    expect(iso.record('answered')).toBe(1000); // the count starts again
    expect(iso.record('silent')).toBe(1000);
    expect(iso.record('neutral')).toBe(1000); // neither counts nor resets
    expect(iso.record('silent')).toBe(1000);
    expect(iso.record('silent')).toBe(10_000);
    expect(iso.isolated).toBe(true);
    expect(iso.record('silent')).toBe(10_000);
    expect(iso.record('neutral')).toBe(10_000);
    expect(iso.record('answered')).toBe(1000);
    expect(iso.isolated).toBe(false);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(lines.filter((l) => l.level === 'info')).toHaveLength(1);
  });

  it('uses the defaults without an isolation block, never speeds a unit up, and can be turned off', () => {
    const { log } = recordingLogger();
    const dflt = createUnitIsolation(device({ isolation: undefined }), log);
    for (let i = 0; i < 3; i++) dflt.record('silent');
    expect(dflt.intervalMs).toBe(60_000);
    const slow = createUnitIsolation(
      device({ interval: 120_000, isolation: { after: 1, interval: 60_000 } }),
      log,
    );
    expect(slow.record('silent')).toBe(120_000);
    const off = createUnitIsolation(device({ isolation: { after: 0, interval: 60_000 } }), log);
    for (let i = 0; i < 10; i++) expect(off.record('silent')).toBe(1000);
  });
});

describe('device acquisition with isolation', () => {
  it('polls a silent unit at the reduced rate and resumes its interval when it answers', async () => {
    const clock = new FakeClock();
    const { log } = recordingLogger();
    let silent = true;
    const readAt: number[] = [];
    const bus = {
      async read(_unit: number, _table: string, _address: number, count: number) {
        readAt.push(clock.monotonic());
        if (silent) throw new AgentError('MODBUS_TIMEOUT', 'no answer');
        return new Array<number>(count).fill(7);
      },
    };
    const stored: NewReading[] = [];
    const acq = createDeviceAcquisition({
      device: device(),
      poller: createDevicePoller({ device: device(), bus, clock, log }),
      clock,
      store: {
        append: async (r: readonly NewReading[]) => {
          stored.push(...r);
        },
      },
      log,
    });
    const t0 = clock.monotonic();
    acq.start();
    await clock.advance(2500); // polls at 0, 1000, 2000: the third isolates the unit
    expect(readAt.map((t) => t - t0)).toEqual([0, 1000, 2000]);
    expect(acq.status().isolated).toBe(true);
    expect(acq.status().errorsByCode).toEqual({ MODBUS_TIMEOUT: 3 });
    await clock.advance(20_000); // reduced rate: 12000, 22000
    expect(readAt.map((t) => t - t0)).toEqual([0, 1000, 2000, 12_000, 22_000]);
    // Error counts by kind, per poll: 5 timed-out probes, 18 slots not asked (3000..21000 but 12000).
    expect(acq.status().errorsByCode).toEqual({ MODBUS_TIMEOUT: 5, DEVICE_ISOLATED: 18 });
    expect(stored.every((r) => r.flag === 'B' && r.value === null)).toBe(true);

    silent = false;
    await clock.advance(10_000); // the probe at 32000 answers: back to 1 s
    await clock.advance(3000);
    expect(readAt.map((t) => t - t0)).toEqual([
      0, 1000, 2000, 12_000, 22_000, 32_000, 33_000, 34_000, 35_000,
    ]);
    expect(acq.status().isolated).toBe(false);
    expect(stored.at(-1)).toMatchObject({ value: 7, flag: 'N' });
    await acq.stop();
  });

  it('does not isolate devices when the whole bus is down', async () => {
    const clock = new FakeClock();
    const { log } = recordingLogger();
    let reads = 0;
    const bus = {
      async read(): Promise<number[]> {
        reads++;
        throw new AgentError('MODBUS_DISCONNECTED', 'not connected');
      },
    };
    const acq = createDeviceAcquisition({
      device: device(),
      poller: createDevicePoller({ device: device(), bus, clock, log }),
      clock,
      store: { append: () => Promise.resolve() },
      log,
    });
    acq.start();
    await clock.advance(9500);
    expect(reads).toBe(10);
    expect(acq.status().isolated).toBe(false);
    await acq.stop();
  });
});
