/**
 * Issue 4 end to end: the simulator's analyzer goes into calibration for 3 minutes. Its readings must
 * arrive flagged C, the settling readings after it too, and the hour record must count those minutes
 * as invalid. The agent runs in-process on a wall clock set to hh:56 so an hour closes within ~4
 * real minutes; time runs at real speed, so Modbus timeouts and MQTT behave as in the field.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StationAgent } from '../../agent/app/stationAgent.js';
import { stationConfigSchema } from '../../agent/config/schema.js';
import type { Clock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import { noMetrics } from '../../agent/core/metricsSink.js';
import { noAgentControl } from '../../agent/uplink/agentControl.js';
import { type SimulatorHandle, startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { freePort } from '../../scripts/support/freePort.js';
import { type MosquittoHandle, startMosquitto } from '../../scripts/support/mosquitto.js';
import { DEMO_MAP, nutrientDevice, sleep, tempStation } from '../../scripts/support/stationFixture.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Real time shifted by a fixed offset: a station PC whose clock reads a chosen time. */
function offsetClock(offsetMs: number): Clock {
  return {
    now: () => Date.now() + offsetMs,
    monotonic: () => performance.now(),
    setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
    clearTimeout: (h) => clearTimeout(h.id as NodeJS.Timeout),
  };
}

interface UpReading {
  ts: string;
  device: string;
  channel: string;
  value: number | null;
  flag: string;
  qc?: Record<string, unknown>;
  /** The status register: 1 = calibration in the simulator's map. */
  state?: number | null;
}
interface UpAggregate {
  device: string;
  channel: string;
  period: string;
  start: string;
  count: number;
  valid: number;
  expected: number;
  flag: string;
}

describe('calibration for 3 minutes, then settling, seen upstream', () => {
  const tmp = tempStation();
  let broker: MosquittoHandle;
  let sim: SimulatorHandle;
  let agent: StationAgent;
  let subscriber: mqtt.MqttClient;
  const readings: UpReading[] = [];
  const aggregates: UpAggregate[] = [];
  // Asia/Shanghai is UTC+8 all year: its hours start on UTC hours. Wall time starts at hh:56:00.
  const hourStart = Math.ceil((Date.now() + 5 * MIN) / HOUR) * HOUR;
  const wallStart = hourStart - 4 * MIN;
  const clock = offsetClock(wallStart - Date.now());
  const calFrom = hourStart - 3 * MIN - 45_000; // hh:56:15
  const calTo = calFrom + 3 * MIN; // hh:59:15
  const settling = 30_000; // to hh:59:45

  beforeAll(async () => {
    broker = await startMosquitto();
    const port = await freePort();
    sim = await startSimulator({ mapFile: DEMO_MAP, port });
    subscriber = mqtt.connect(broker.url);
    subscriber.on('message', (topic, payload) => {
      let body: { readings?: UpReading[]; aggregates?: UpAggregate[] };
      try {
        body = JSON.parse(payload.toString()) as typeof body;
      } catch {
        return; // not a data batch
      }
      if (topic.endsWith('/readings')) readings.push(...(body.readings ?? []));
      if (topic.endsWith('/aggregates')) aggregates.push(...(body.aggregates ?? []));
    });
    await new Promise<void>((resolve, reject) =>
      subscriber.once('connect', () =>
        subscriber.subscribe(['it/+/readings', 'it/+/aggregates'], { qos: 1 }, (err) =>
          err ? reject(err) : resolve(),
        ),
      ),
    );
    const config = stationConfigSchema.parse({
      version: 1,
      station: { id: '320700W001', timezone: 'Asia/Shanghai' },
      storage: { path: tmp.dbPath },
      buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '500ms', retries: 1 }],
      devices: [nutrientDevice('lan', '5s')],
      maintenance: { settling: '30s' },
      aggregation: { closeDelay: '2s' },
      uplinks: [
        {
          id: 'center',
          type: 'mqtt',
          url: broker.url,
          topicPrefix: 'it',
          batch: { maxReadings: 100, maxDelay: '500ms' },
        },
      ],
    });
    agent = new StationAgent({
      config,
      configHash: 'test',
      clock,
      log: silentLogger(),
      control: noAgentControl,
      metrics: noMetrics,
    });
    agent.start();
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    await subscriber?.endAsync();
    await sim?.stop();
    await broker?.dispose();
    tmp.remove();
  });

  it(
    'flags calibration and settling readings C and counts them invalid in the hour record',
    async () => {
      // State 1 is "calibration" in the simulator's map and maps to C in the device's status flags.
      await sleep(calFrom - clock.now());
      sim.setState(7, 1);
      await sleep(calTo - clock.now());
      sim.setState(7, 0);
      // Until the hour record arrives: end of hour + close delay + batching.
      const deadline = Date.now() + hourStart - clock.now() + 60_000;
      const hourRecord = () =>
        aggregates.find(
          (a) => a.period === 'hour' && a.channel === 'cod' && Date.parse(a.start) === hourStart - HOUR,
        );
      while (!hourRecord() && Date.now() < deadline) await sleep(500);

      const cod = readings.filter((r) => r.channel === 'cod').map((r) => ({ ...r, t: Date.parse(r.ts) }));
      // A poll stamped within 5 s of a switch may have read either state: judge only clear-cut readings.
      const during = cod.filter((r) => r.t > calFrom + 5000 && r.t < calTo);
      // Settling runs for `settling` after the last reading acquired in calibration, which is within
      // one interval of calTo either way (a poll stamped just before the switch may read either state).
      const lastCal = Math.max(...cod.filter((r) => r.state === 1).map((r) => r.t));
      expect(Math.abs(lastCal - calTo)).toBeLessThanOrEqual(10_000);
      const settlingReadings = cod.filter((r) => r.t > lastCal && r.t <= lastCal + settling);
      const after = cod.filter((r) => r.t > lastCal + settling && r.t < hourStart);
      const before = cod.filter((r) => r.t < calFrom);

      expect(during.length).toBeGreaterThanOrEqual(25); // ~35 polls at 5 s; slack for a loaded machine
      expect(during.every((r) => r.flag === 'C')).toBe(true);
      expect(during.every((r) => r.value !== null)).toBe(true); // flagged, never dropped: raw value kept
      expect(settlingReadings.length).toBeGreaterThanOrEqual(3);
      expect(settlingReadings.every((r) => r.flag === 'C')).toBe(true);
      expect(after.length).toBeGreaterThanOrEqual(1);
      expect(after.every((r) => r.flag === 'N')).toBe(true);
      expect(before.every((r) => r.flag === 'N')).toBe(true);
      expect(cod.every((r) => r.qc !== undefined)).toBe(true); // check results travel with the reading

      // Minutes wholly inside the calibration: flagged C, no valid sample.
      const minute = (start: number) =>
        aggregates.find((a) => a.period === 'minute' && a.channel === 'cod' && Date.parse(a.start) === start);
      for (const m of [hourStart - 3 * MIN, hourStart - 2 * MIN]) {
        expect(minute(m), `minute ${new Date(m).toISOString()}`).toMatchObject({ flag: 'C', valid: 0 });
        expect(minute(m)!.count).toBeGreaterThanOrEqual(10);
      }

      const hour = hourRecord();
      expect(hour, 'hour record upstream').toBeDefined();
      // The station ran for the last 4 minutes of the hour: minutes 56 and 59 hold valid samples,
      // 57 and 58 only calibration. The hour counts them as received but invalid, and is not valid.
      expect(hour!.count).toBe(4);
      expect(hour!.valid).toBe(2);
      expect(hour!.flag).not.toBe('N');
    },
    7 * MIN,
  );
});
