import type { connect } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventStore } from '../../../agent/store/eventStore.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { Outbox } from '../../../agent/store/outbox.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import { readStoreIdentity } from '../../../agent/store/storeIdentity.js';
import { MqttUplink } from '../../../agent/uplink/mqttUplink.js';
import { loadSchema, validateAgainst } from '../../helpers/jsonSchemaCheck.js';
import { FakeClient, ManualClock, settle, uplinkConfig } from './fakeMqtt.js';

const config = uplinkConfig();

const schema = loadSchema('events.schema.json');

describe('MqttUplink events stream', () => {
  let clock: ManualClock;
  let db: ReturnType<typeof openDatabase>;
  let events: EventStore;
  let cursors: Outbox;
  let clients: FakeClient[];
  let dbId: string;

  const makeUplink = () =>
    new MqttUplink({
      config,
      stationId: '320700W001',
      store: new ReadingStore({ db }),
      events,
      origin: { cfg: 'c'.repeat(64), db: dbId },
      cursors,
      clock,
      log: pino({ level: 'silent' }),
      connect: ((_url: string, opts: Record<string, unknown>) => {
        const c = new FakeClient(opts);
        clients.push(c);
        return c;
      }) as unknown as typeof connect,
      random: () => 0,
    });
  const client = () => clients.at(-1)!;
  const eventBatches = () => client().sent.filter((s) => s.topic === 'stations/320700W001/events');
  const ids = (i: number) =>
    (JSON.parse(eventBatches()[i]!.payload) as { events: { id: number }[] }).events.map((e) => e.id);

  beforeEach(() => {
    clock = new ManualClock();
    db = openDatabase({ path: ':memory:', log: pino({ level: 'silent' }) });
    events = new EventStore({ db });
    cursors = new Outbox({ db, clock });
    clients = [];
    dbId = readStoreIdentity(db).dbId;
  });
  afterEach(() => db.close());

  it('forwards events recorded before and after connecting, under the cursor <uplink>#events', async () => {
    events.record(clock.now(), {
      kind: 'store-set-aside',
      file: '/d/agent.db.corrupt-x',
      reason: 'r',
      size: 1,
    });
    const uplink = makeUplink();
    uplink.start();
    client().emit('connect');
    const [first] = eventBatches();
    expect(first!.opts).toEqual({ qos: 1 });
    const payload = JSON.parse(first!.payload);
    expect(payload).toMatchObject({ v: 1, station: '320700W001', db: dbId });
    expect(payload.events).toEqual([
      {
        id: 1,
        ts: new Date(clock.now()).toISOString(),
        kind: 'store-set-aside',
        file: '/d/agent.db.corrupt-x',
        reason: 'r',
        size: 1,
      },
    ]);
    expect(validateAgainst(schema, payload)).toEqual([]);
    first!.ack();
    await settle();
    expect(cursors.cursor('cloud#events')).toBe(1);
    expect(cursors.cursor('cloud')).toBe(0);

    // Recorded from anywhere (here: straight into the store, as the store budget does), sent after maxDelay.
    events.record(clock.now(), { kind: 'data-loss', count: 2 });
    expect(eventBatches()).toHaveLength(1);
    await clock.advance(1000);
    expect(ids(1)).toEqual([2]);
  });

  it('resends every unconfirmed event after a reconnect, and only those', async () => {
    for (let i = 0; i < 5; i++) events.record(clock.now(), { kind: 'link-lost', bus: `b${i}` });
    makeUplink().start();
    client().emit('connect');
    expect([ids(0), ids(1)]).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    eventBatches()[0]!.ack();
    await settle();
    client().end(); // the connection drops before the second batch is acknowledged
    await clock.advance(500);
    client().emit('connect');
    expect(ids(0)).toEqual([4, 5]);
    expect(cursors.cursor('cloud#events')).toBe(3);
  });

  it('refuses to build an events stream without the db_id to name it (a wiring bug)', () => {
    expect(
      () =>
        new MqttUplink({
          config,
          stationId: 'S',
          store: new ReadingStore({ db }),
          events,
          cursors,
          clock,
          log: pino({ level: 'silent' }),
        }),
    ).toThrow(/needs the origin/);
  });
});
