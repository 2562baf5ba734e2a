import type { connect } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewReading } from '../../../agent/core/reading.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { Outbox } from '../../../agent/store/outbox.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import type { AgentControl } from '../../../agent/uplink/agentControl.js';
import { MqttUplink } from '../../../agent/uplink/mqttUplink.js';
import { FakeClient, ManualClock, uplinkConfig } from './fakeMqtt.js';

const config = uplinkConfig({
  historicalAfter: 60_000,
  batch: { maxReadings: 2, maxDelay: 1000, maxBytes: 131_072 },
  maxInFlight: 4,
});
const birth = {
  agentVersion: '9.9.9',
  configVersion: 1,
  configHash: 'a'.repeat(64),
  db: 'b'.repeat(32),
  devices: [{ id: 'd', bus: 'b', interval: 1000, channels: [{ id: 'c', code: null, unit: null }] }],
};

describe('MqttUplink birth, historical marking and events', () => {
  let clock: ManualClock;
  let db: ReturnType<typeof openDatabase>;
  let store: ReadingStore;
  let clients: FakeClient[];
  let events: AgentControl['takeEvents'];

  const reading = (ts: number): NewReading => ({
    ts,
    device: 'd',
    channel: 'c',
    code: null,
    value: 1,
    unit: null,
    flag: 'N',
  });

  beforeEach(() => {
    clock = new ManualClock();
    db = openDatabase({ path: ':memory:', log: pino({ level: 'silent' }) });
    store = new ReadingStore({ db });
    clients = [];
    events = () => [{ event: 'config/rollback', ts: 'x', automatic: true }];
  });
  afterEach(() => db.close());

  function start() {
    const control = { takeEvents: () => events() } as unknown as AgentControl;
    const uplink = new MqttUplink({
      config,
      stationId: 'S1',
      store,
      cursors: new Outbox({ db, clock }),
      clock,
      log: pino({ level: 'silent' }),
      birth,
      control,
      connect: ((_url: string, opts: Record<string, unknown>) => {
        const c = new FakeClient(opts);
        clients.push(c);
        return c;
      }) as unknown as typeof connect,
      random: () => 0,
    });
    uplink.start();
    return clients.at(-1)!;
  }

  it('announces a retained birth, subscribes to its own cmd topic, publishes pending events', () => {
    store.append([reading(clock.now())]);
    const client = start();
    expect(client.opts.protocolVersion).toBe(5);
    client.emit('connect');
    const b = client.sent.find((s) => s.topic === 'stations/S1/birth')!;
    expect(b.opts).toEqual({ qos: 1, retain: true });
    expect(JSON.parse(b.payload)).toMatchObject({
      v: 1,
      station: 'S1',
      agentVersion: '9.9.9',
      config: { version: 1, hash: 'a'.repeat(64) },
      uplink: { id: 'cloud', connected: true, backlog: 1, lastSeq: 1, commands: ['ping', 'status'] },
    });
    expect(client.subscriptions).toEqual(['stations/S1/cmd/#']);
    const event = client.sent.find((s) => s.topic === 'stations/S1/event/config')!;
    expect(JSON.parse(event.payload)).toMatchObject({ event: 'config/rollback', automatic: true });
  });

  it('marks backlog batches historical, live ones not, and old rows historical whatever their seq', () => {
    store.append([reading(clock.now()), reading(clock.now())]);
    const client = start();
    client.emit('connect');
    store.append([reading(clock.now()), reading(clock.now())]);
    store.append([reading(clock.now() - 120_000), reading(clock.now())]);
    const batches = client.readings().map((s) => JSON.parse(s.payload));
    expect(batches.map((b) => [b.seqFrom, b.seqTo, b.historical])).toEqual([
      [1, 2, true],
      [3, 4, false],
      [5, 6, true],
    ]);
  });
});
