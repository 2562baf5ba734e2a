import { describe, expect, it } from 'vitest';
import {
  createDeviceAcquisition,
  type DeviceAcquisition,
} from '../../../agent/acquisition/deviceAcquisition.js';
import type { DeviceConfig } from '../../../agent/config/schema.js';
import { AgentError } from '../../../agent/core/errors.js';
import { silentLogger } from '../../../agent/core/log.js';
import { noMetrics } from '../../../agent/core/metricsSink.js';
import type { NewReading } from '../../../agent/core/reading.js';
import { CommitCoalescer, type GroupSink } from '../../../agent/store/commitCoalescer.js';
import { createDevicePoller } from '../../../drivers/modbus/devicePoller.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/** Two devices polling on one line, committing through one group commit, as StationAgent wires them. */

function device(id: string, unit: number): DeviceConfig {
  return {
    id,
    bus: 'rs485',
    unit,
    interval: 1000,
    enabled: true,
    channels: [{ id: 'ph', register: { table: 'holding', address: 0, type: 'uint16' }, scale: 1, offset: 0 }],
    workarounds: {},
    isolation: { after: 3, interval: 10_000 },
  } as DeviceConfig;
}

function station(opts: { failing: () => boolean }) {
  const clock = new FakeClock();
  const log = silentLogger();
  const groups: NewReading[][] = [];
  const sink: GroupSink = {
    append: (readings) => {
      if (opts.failing()) throw new AgentError('STORE_FAILED', 'disk I/O error');
      groups.push([...readings]);
      return [];
    },
    stats: () => ({ queued: 0, dropped: 0 }),
  };
  const coalescer = new CommitCoalescer({ sink, clock, windowMs: 100, log });
  const stored = new Map<string, number>();
  const metrics = {
    ...noMetrics,
    readingsStored: (dev: string, n: number) => stored.set(dev, (stored.get(dev) ?? 0) + n),
  };
  const bus = { read: async (): Promise<number[]> => [7] };
  const devices: DeviceAcquisition[] = [device('ph1', 2), device('ph2', 3)].map((d) =>
    createDeviceAcquisition({
      device: d,
      poller: createDevicePoller({ device: d, bus, clock, log }),
      clock,
      store: coalescer,
      log,
      metrics,
    }),
  );
  return { clock, devices, groups, stored, coalescer };
}

describe('acquisition through the group commit', () => {
  it('counts readings as stored and shows last values only once their group is committed', async () => {
    const { clock, devices, groups, stored } = station({ failing: () => false });
    for (const d of devices) d.start();
    await clock.advance(50); // both polls done, their window still open
    expect(devices.map((d) => d.status().polls)).toEqual([1, 1]);
    expect(groups).toEqual([]);
    expect(stored.size).toBe(0);
    expect(devices.map((d) => d.status().values)).toEqual([[], []]);

    await clock.advance(50);
    expect(groups.map((g) => g.map((r) => `${r.device}/${r.channel}=${r.value}`))).toEqual([
      ['ph1/ph=7', 'ph2/ph=7'],
    ]);
    expect(Object.fromEntries(stored)).toEqual({ ph1: 1, ph2: 1 });
    expect(devices.map((d) => d.status().values.map((v) => v.value))).toEqual([[7], [7]]);
    expect(devices.map((d) => d.status().storeErrors)).toEqual([0, 0]);
    await Promise.all(devices.map((d) => d.stop()));
  });

  it('reports a failed group commit to every device whose readings were in it', async () => {
    let failing = true;
    const { clock, devices, groups, stored, coalescer } = station({ failing: () => failing });
    for (const d of devices) d.start();
    await clock.advance(100);
    expect(devices.map((d) => d.status().storeErrors)).toEqual([1, 1]);
    expect(stored.size).toBe(0);
    expect(devices.map((d) => d.status().values)).toEqual([[], []]);

    failing = false; // the next cycle commits again
    await clock.advance(1000);
    expect(groups).toHaveLength(1);
    expect(devices.map((d) => d.status().storeErrors)).toEqual([1, 1]);
    expect(Object.fromEntries(stored)).toEqual({ ph1: 1, ph2: 1 });
    await Promise.all(devices.map((d) => d.stop()));
    coalescer.stop();
  });
});
