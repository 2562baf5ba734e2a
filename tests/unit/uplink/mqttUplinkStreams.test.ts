import type { connect } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewReading } from '../../../agent/core/reading.js';
import { AggregateStore } from '../../../agent/store/aggregateStore.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { Outbox } from '../../../agent/store/outbox.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import { encodeAggregatesPayload } from '../../../agent/uplink/aggregatesPayload.js';
import { MqttUplink } from '../../../agent/uplink/mqttUplink.js';
import { codMinute } from '../../helpers/aggregateFixture.js';
import { FakeClient, ManualClock, settle, uplinkConfig } from './fakeMqtt.js';

const config = uplinkConfig();

const T0 = Date.UTC(2026, 10, 28, 8);
const reading = (i: number): NewReading => ({
  ts: T0 + i,
  device: 'nutrient',
  channel: 'cod',
  code: 'w01018',
  value: i,
  unit: 'mg/L',
  flag: 'N',
});
const readings = (n: number) => Array.from({ length: n }, (_, i) => reading(i));
const minute = codMinute;
const minutes = (n: number) => Array.from({ length: n }, (_, i) => minute(i));

describe('MqttUplink streams: readings and aggregates on one connection', () => {
  let clock: ManualClock;
  let db: ReturnType<typeof openDatabase>;
  let store: ReadingStore;
  let aggregates: AggregateStore;
  let cursors: Outbox;
  let clients: FakeClient[];
  let logs: Record<string, unknown>[];

  const makeUplink = (withAggregates = true) =>
    new MqttUplink({
      config,
      stationId: '320700W001',
      store,
      aggregates: withAggregates ? aggregates : undefined,
      cursors,
      clock,
      log: pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
      connect: ((_url: string, opts: Record<string, unknown>) => {
        const c = new FakeClient(opts);
        clients.push(c);
        return c;
      }) as unknown as typeof connect,
      random: () => 0,
    });
  const client = () => clients.at(-1)!;
  const aggregateStarts = (i: number) =>
    (JSON.parse(client().aggregates()[i]!.payload) as { aggregates: { start: string }[] }).aggregates.map(
      (a) => a.start.slice(11, 16),
    );

  beforeEach(() => {
    clock = new ManualClock();
    db = openDatabase({ path: ':memory:', log: pino({ level: 'silent' }) });
    store = new ReadingStore({ db });
    aggregates = new AggregateStore({ db });
    cursors = new Outbox({ db, clock });
    clients = [];
    logs = [];
  });
  afterEach(() => db.close());

  it('publishes aggregates on their topic with the contract payload, under their own cursor', async () => {
    const uplink = makeUplink();
    uplink.start();
    client().emit('connect');
    const [stored] = aggregates.upsert([minute(0)]);
    expect(client().aggregates()).toHaveLength(0);
    await clock.advance(1000); // batched like readings: maxDelay after the commit
    const [sent] = client().aggregates();
    expect(sent!.topic).toBe('stations/320700W001/aggregates');
    expect(sent!.opts).toEqual({ qos: 1 });
    expect(sent!.payload).toBe(encodeAggregatesPayload('320700W001', [stored!]));
    expect(uplink.stats().aggregatesBacklog).toBe(1);
    sent!.ack();
    await settle();
    expect(cursors.cursor('cloud#aggregates')).toBe(1);
    expect(cursors.cursor('cloud')).toBe(0);
    expect(uplink.stats().aggregatesBacklog).toBe(0);
  });

  it('serves readings before aggregates in each round; each stream has its own in-flight slots', async () => {
    store.append(readings(7));
    aggregates.upsert(minutes(7));
    const uplink = makeUplink();
    uplink.start();
    client().emit('connect');
    expect(client().order()).toEqual(['readings:3', 'aggregates:3', 'readings:3', 'aggregates:3']);
    // A freed readings slot goes to readings; the aggregates backlog neither blocks nor takes it.
    client().readings()[0]!.ack();
    await settle();
    expect(client().order().slice(4)).toEqual(['readings:1']);
    client().aggregates()[0]!.ack();
    await settle();
    expect(client().order().slice(5)).toEqual(['aggregates:1']);
    expect(uplink.stats()).toMatchObject({ backlog: 4, inFlight: 2, published: 7, confirmed: 3 });
    expect(uplink.stats().aggregatesBacklog).toBe(4);
  });

  it("an ack on one stream never moves the other's cursor", async () => {
    store.append(readings(3));
    aggregates.upsert(minutes(3));
    makeUplink().start();
    client().emit('connect');
    client().aggregates()[0]!.ack();
    await settle();
    expect(cursors.cursor('cloud#aggregates')).toBe(3);
    expect(cursors.cursor('cloud')).toBe(0);
    client().readings()[0]!.ack();
    await settle();
    expect(cursors.cursor('cloud')).toBe(3);
    expect(cursors.cursor('cloud#aggregates')).toBe(3);
  });

  it('after a reconnect each stream resends from its own cursor', async () => {
    store.append(readings(6));
    aggregates.upsert(minutes(6));
    makeUplink().start();
    client().emit('connect');
    client().readings()[0]!.ack(); // readings 1..3 confirmed; aggregates none
    await settle();
    client().emit('close');
    await clock.advance(500);
    client().emit('connect');
    expect(client().order()).toEqual(['readings:3', 'aggregates:3', 'aggregates:3']);
    expect(client().seqs(0)).toEqual([4, 5, 6]);
    expect(aggregateStarts(0)).toEqual(['08:00', '08:01', '08:02']);
  });

  it('a replaced aggregate leaves a gap in aseq: only its newest version goes out, the cursor moves past it', async () => {
    aggregates.upsert(minutes(2)); // aseq 1, 2
    aggregates.upsert([minute(0, { avg: 25.5, count: 7 })]); // aseq 3 replaces aseq 1
    const uplink = makeUplink();
    uplink.start();
    client().emit('connect');
    const batch = JSON.parse(client().aggregates()[0]!.payload) as { aggregates: { avg: number }[] };
    expect(batch.aggregates.map((a) => a.avg)).toEqual([25.4, 25.5]);
    client().aggregates()[0]!.ack();
    await settle();
    expect(cursors.cursor('cloud#aggregates')).toBe(3);
    expect(uplink.stats().aggregatesBacklog).toBe(0);
  });

  it('a failed aggregates publish drops the connection and both streams resend from their cursors', async () => {
    store.append(readings(3));
    aggregates.upsert(minutes(3));
    makeUplink().start();
    client().emit('connect');
    client().readings()[0]!.ack();
    await settle();
    client().aggregates()[0]!.fail(new Error('boom'));
    await settle();
    expect(logs.find((l) => l.code === 'UPLINK_PUBLISH_FAILED')).toMatchObject({
      stream: 'aggregates',
      firstSeq: 1,
      lastSeq: 3,
    });
    expect(clients[0]!.ended).toBe(true);
    await clock.advance(500);
    client().emit('connect');
    expect(client().order()).toEqual(['aggregates:3']);
  });

  it('stop() waits for the acks of both streams', async () => {
    const uplink = makeUplink();
    uplink.start();
    client().emit('connect');
    store.append(readings(3));
    aggregates.upsert(minutes(3));
    const stopped = uplink.stop();
    await settle();
    client().readings()[0]!.ack();
    await settle();
    expect(client().sent.some((s) => s.payload === 'offline')).toBe(false);
    client().aggregates()[0]!.ack();
    await settle();
    client()
      .sent.find((s) => s.payload === 'offline')!
      .ack();
    await stopped;
    expect([cursors.cursor('cloud'), cursors.cursor('cloud#aggregates')]).toEqual([3, 3]);
  });

  it('without an aggregates store only the readings stream runs', async () => {
    const uplink = makeUplink(false);
    uplink.start();
    client().emit('connect');
    aggregates.upsert(minutes(5));
    store.append(readings(3));
    await clock.advance(5000);
    expect(client().order()).toEqual(['readings:3']);
    expect(uplink.stats().aggregatesBacklog).toBe(0);
    const keys = db.prepare('SELECT uplink FROM uplink_cursors').pluck().all();
    expect(keys).toEqual(['cloud']);
  });
});
