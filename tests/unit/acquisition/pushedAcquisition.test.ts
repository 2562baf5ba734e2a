import { describe, expect, it } from 'vitest';
import { createDeviceAcquisition, type LinkChange } from '../../../agent/acquisition/deviceAcquisition.js';
import type { PushedSource, PushSink } from '../../../agent/acquisition/driverPlugin.js';
import type { DeviceConfig } from '../../../agent/config/schema.js';
import { AgentError } from '../../../agent/core/errors.js';
import { silentLogger } from '../../../agent/core/log.js';
import { channelReading, type PollResult } from '../../../agent/core/pollOutcome.js';
import type { NewReading } from '../../../agent/core/reading.js';
import { FakeClock, flush } from '../../helpers/fakeClock.js';

/**
 * Issue 15: a pushed driver (a passive listener, an HJ 212 server) delivers results on its own time;
 * deviceAcquisition records them as it records polls: same quality step, same store, same status.
 */

const device = {
  id: 'cod1',
  bus: 'rs485',
  unit: 1,
  interval: 60_000,
  enabled: true,
  channels: [{ id: 'cod', code: 'w01018', unit: 'mg/L', scale: 1, offset: 0 }],
  workarounds: {},
} as unknown as DeviceConfig;

/** A fake pushed driver: the test plays the wire by calling its sink. */
function fakePushed() {
  let sink: PushSink | undefined;
  let starts = 0;
  let stops = 0;
  const source: PushedSource = {
    kind: 'pushed',
    start(s) {
      starts++;
      sink = s;
    },
    async stop() {
      stops++;
    },
  };
  return {
    source,
    sink: () => {
      if (!sink) throw new Error('not started');
      return sink;
    },
    counts: () => ({ starts, stops }),
  };
}

function result(ts: number, value: number | null, errors: AgentError[] = []): PollResult {
  const flag = value === null ? 'B' : 'N';
  return {
    readings: [channelReading(device.id, device.channels[0]!, ts, value, flag)],
    ok: errors.length === 0,
    errors,
    raw: new Map(),
    state: 3,
  };
}

/** A pushed device on a fake clock; `append` replaces the store that keeps every reading in `stored`. */
function setup(append?: (readings: readonly NewReading[]) => Promise<void>) {
  const clock = new FakeClock({ wall: Date.UTC(2026, 0, 1, 8, 0, 0) });
  const stored: NewReading[] = [];
  const qcSeen: { state: number | null }[] = [];
  const driver = fakePushed();
  const acq = createDeviceAcquisition({
    device,
    poller: driver.source,
    clock,
    store: {
      append:
        append ??
        (async (r) => {
          stored.push(...r);
        }),
    },
    quality: {
      apply: (readings, ctx) => {
        qcSeen.push({ state: ctx.state });
        return readings.map((r) => ({ ...r, flag: r.value !== null && r.value > 100 ? 'T' : r.flag }));
      },
    },
    log: silentLogger(),
  });
  return { clock, stored, qcSeen, driver, acq };
}

describe('a pushed device', () => {
  it('stores each pushed result through quality control, with no poll on the interval', async () => {
    const { clock, stored, qcSeen, driver, acq } = setup();
    acq.start();
    expect(driver.counts().starts).toBe(1);
    // A whole interval passes with nothing pushed: nothing is asked, nothing stored.
    await clock.advance(120_000);
    expect(stored).toEqual([]);
    expect(acq.status().polls).toBe(0);

    driver.sink().result(result(clock.now(), 12.5));
    await clock.advance(5_000);
    driver.sink().result(result(clock.now(), 150));
    await flush();

    expect(stored.map((r) => [r.channel, r.value, r.flag, r.code])).toEqual([
      ['cod', 12.5, 'N', 'w01018'],
      ['cod', 150, 'T', 'w01018'],
    ]);
    expect(qcSeen).toEqual([{ state: 3 }, { state: 3 }]);
    const s = acq.status();
    expect(s.polls).toBe(2);
    expect(s.failures).toBe(0);
    expect(s.lastPollOk).toBe(true);
    expect(s.lastOkAt).toBe(clock.now());
    expect(s.values.map((v) => [v.value, v.flag])).toEqual([[150, 'T']]);
    await acq.stop();
  });

  it('shows a lost link as the device error until the link is back and a result arrives', async () => {
    const { clock, stored, driver, acq } = setup();
    acq.start();
    driver.sink().result(result(clock.now(), 10));
    await flush();
    const lost = new AgentError('MODBUS_DISCONNECTED', 'listener line lost', { device: device.id });
    driver.sink().linkLost(lost);
    let s = acq.status();
    expect(s.lastPollOk).toBe(false);
    expect(s.lastErrors).toEqual(['MODBUS_DISCONNECTED']);
    expect(s.errorsByCode).toEqual({ MODBUS_DISCONNECTED: 1 });
    expect(stored).toHaveLength(1); // a lost link invents no readings

    driver.sink().linkResumed();
    expect(acq.status().lastErrors).toEqual([]);
    await clock.advance(1_000);
    driver.sink().result(result(clock.now(), null, [new AgentError('MODBUS_TIMEOUT', 'no answer heard')]));
    await flush();
    s = acq.status();
    expect(s.lastPollOk).toBe(false);
    expect(s.failures).toBe(1);
    expect(s.errorsByCode).toEqual({ MODBUS_DISCONNECTED: 1, MODBUS_TIMEOUT: 1 });
    expect(stored.map((r) => r.flag)).toEqual(['N', 'B']);
    await acq.stop();
  });

  it('marks the device link-lost once per loss and tells the agent when it goes and comes back', async () => {
    const clock = new FakeClock({ wall: Date.UTC(2026, 0, 1, 8, 0, 0) });
    const driver = fakePushed();
    const changes: LinkChange[] = [];
    const acq = createDeviceAcquisition({
      device,
      poller: driver.source,
      clock,
      store: { append: async () => undefined },
      log: silentLogger(),
      onLinkChange: (c) => changes.push(c),
    });
    acq.start();
    expect(acq.status().linkLost).toBe(false);
    const silent = new AgentError('LISTEN_SILENT', 'no answer heard', { device: device.id });
    driver.sink().linkLost(silent);
    driver.sink().linkLost(silent); // still lost: one event
    expect(acq.status()).toMatchObject({ linkLost: true, lastPollOk: false, lastErrors: ['LISTEN_SILENT'] });
    await clock.advance(30_000);
    driver.sink().linkResumed();
    expect(acq.status().linkLost).toBe(false);
    expect(changes).toEqual([
      { lost: true, error: silent },
      { lost: false, downMs: 30_000 },
    ]);
    await acq.stop();
  });

  it('stops its driver, and records nothing the driver delivers after stop', async () => {
    const { clock, stored, driver, acq } = setup();
    acq.start();
    acq.start(); // idempotent: one start of the driver
    expect(driver.counts().starts).toBe(1);
    const sink = driver.sink();
    await acq.stop();
    expect(driver.counts().stops).toBe(1);
    // Refused, so a driver that acknowledges (the HJ 212 input's 9014) does not acknowledge it.
    await expect(sink.result(result(clock.now(), 1))).rejects.toThrow(/stopped/);
    sink.linkLost(new AgentError('MODBUS_DISCONNECTED', 'closed'));
    await flush();
    expect(stored).toEqual([]);
    expect(acq.status().polls).toBe(0);
    expect(acq.status().lastErrors).toEqual([]);
  });

  it('resolves a result once its readings are committed, and rejects when the commit fails', async () => {
    const commits: { resolve: () => void; reject: (e: Error) => void }[] = [];
    const { clock, driver, acq } = setup(
      () =>
        new Promise<void>((resolve, reject) => {
          commits.push({ resolve, reject });
        }),
    );
    acq.start();
    let settled = 'pending';
    const first = driver
      .sink()
      .result(result(clock.now(), 1))
      .then(() => {
        settled = 'committed';
      });
    await flush();
    // Not before the store says the readings are durable: a driver's acknowledgement waits for this.
    expect(settled).toBe('pending');
    commits[0]!.resolve();
    await first;
    expect(settled).toBe('committed');

    const second = driver.sink().result(result(clock.now(), 2));
    await flush();
    commits[1]!.reject(new Error('disk I/O error'));
    await expect(second).rejects.toThrow('disk I/O error');
    expect(acq.status().storeErrors).toBe(1);
    await acq.stop();
  });
});
