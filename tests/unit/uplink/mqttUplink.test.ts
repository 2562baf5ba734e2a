import type { connect } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttUplinkConfig } from '../../../agent/config/schema.js';
import type { NewReading } from '../../../agent/core/reading.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { Outbox } from '../../../agent/store/outbox.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import { MqttUplink } from '../../../agent/uplink/mqttUplink.js';
import { FakeClient, ManualClock, settle, uplinkConfig } from './fakeMqtt.js';

const config = uplinkConfig({ url: 'mqtt://user:secret@broker.example:1883' });

const reading = (i: number): NewReading => ({
  ts: Date.UTC(2026, 10, 28, 8) + i,
  device: 'nutrient',
  channel: 'cod',
  code: 'w01018',
  value: i,
  unit: 'mg/L',
  flag: 'N',
});
const readings = (n: number) => Array.from({ length: n }, (_, i) => reading(i));

describe('MqttUplink (fake client, manual clock)', () => {
  let clock: ManualClock;
  let db: ReturnType<typeof openDatabase>;
  let store: ReadingStore;
  let cursors: Outbox;
  let clients: FakeClient[];
  let logs: Record<string, unknown>[];
  let uplink: MqttUplink;

  const makeUplink = (over: Partial<MqttUplinkConfig> = {}) =>
    new MqttUplink({
      config: { ...config, ...over },
      stationId: '320700W001',
      store,
      cursors,
      clock,
      log: pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
      connect: ((_url: string, opts: Record<string, unknown>) => {
        const c = new FakeClient(opts);
        clients.push(c);
        return c;
      }) as unknown as typeof connect,
      // createBackoff draws from [ceiling·(1 − jitter), ceiling]: 0 picks the ceiling, so delays are exact.
      random: () => 0,
    });
  const client = () => clients.at(-1)!;

  beforeEach(() => {
    clock = new ManualClock();
    db = openDatabase({ path: ':memory:', log: pino({ level: 'silent' }) });
    store = new ReadingStore({ db });
    cursors = new Outbox({ db, clock });
    clients = [];
    logs = [];
    uplink = makeUplink();
  });
  afterEach(() => db.close());

  it('connects with our own reconnect, a clean session and a retained offline will; announces online', () => {
    uplink.start();
    expect(client().opts).toMatchObject({
      clientId: 'station-agent-320700W001-cloud',
      clean: true,
      reconnectPeriod: 0,
      keepalive: 30,
      will: { topic: 'stations/320700W001/status', qos: 1, retain: true },
    });
    expect(String((client().opts.will as { payload: Buffer }).payload)).toBe('offline');
    client().emit('connect');
    expect(client().sent[0]).toMatchObject({
      topic: 'stations/320700W001/status',
      payload: 'online',
      opts: { qos: 1, retain: true },
    });
    expect(JSON.stringify(logs)).not.toContain('secret');
  });

  it('publishes a full batch at once and a partial one after maxDelay', async () => {
    uplink.start();
    client().emit('connect');
    store.append(readings(2));
    expect(client().readings()).toHaveLength(0);
    store.append(readings(2));
    expect(client().seqs(0)).toEqual([1, 2, 3]);
    // The encoding travels in the MQTT 5 properties too (payloadEncoding.ts).
    expect(client().readings()[0]!.opts).toEqual({
      qos: 1,
      properties: { contentType: 'application/json', payloadFormatIndicator: true },
    });
    await clock.advance(999);
    expect(client().readings()).toHaveLength(1);
    await clock.advance(1);
    expect(client().seqs(1)).toEqual([4]);
  });

  it('measures maxDelay from the oldest unsent reading, not the newest', async () => {
    uplink.start();
    client().emit('connect');
    store.append(readings(1));
    await clock.advance(600);
    store.append(readings(1));
    await clock.advance(400);
    expect(client().seqs(0)).toEqual([1, 2]);
  });

  it('keeps at most maxInFlight batches and persists only a contiguous acknowledged prefix', async () => {
    store.append(readings(10));
    uplink.start();
    client().emit('connect');
    expect(
      client()
        .readings()
        .map((_, i) => client().seqs(i)),
    ).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    client().readings()[1]!.ack();
    await settle();
    expect(cursors.cursor('cloud')).toBe(0);
    expect(client().readings()).toHaveLength(2); // the acked-but-blocked batch still holds its slot
    client().readings()[0]!.ack();
    await settle();
    expect(cursors.cursor('cloud')).toBe(6);
    expect(
      client()
        .readings()
        .map((_, i) => client().seqs(i).at(-1)),
    ).toEqual([3, 6, 9, 10]);
    expect(uplink.stats()).toMatchObject({
      connected: true,
      backlog: 4,
      inFlight: 2,
      published: 10,
      confirmed: 6,
    });
  });

  it('publishes nothing while disconnected and resends from the cursor after a reconnect', async () => {
    uplink.start();
    store.append(readings(4));
    await clock.advance(5000);
    expect(client().readings()).toHaveLength(0);
    client().emit('connect');
    client().readings()[0]!.ack();
    await settle();
    expect(cursors.cursor('cloud')).toBe(3);
    client().emit('close'); // the broker went away with [4] unacknowledged
    const first = client();
    first.readings()[1]?.ack(); // a late ack of the dead connection is ignored
    await settle();
    expect(uplink.stats().connected).toBe(false);
    store.append(readings(1));
    await clock.advance(499);
    expect(clients).toHaveLength(1);
    await clock.advance(1); // the first retry comes after reconnect.min
    expect(clients).toHaveLength(2);
    client().emit('connect');
    expect(client().seqs(0)).toEqual([4, 5]);
    expect(cursors.cursor('cloud')).toBe(3);
  });

  it('backs off exponentially while the broker refuses, and resets after a connect', async () => {
    uplink.start();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const n = clients.length;
      // Nothing listens: not a protocol matter, so no MQTT 3.1.1 fallback attempt in between.
      client().emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      client().emit('close');
      let waited = 0;
      while (clients.length === n) {
        await clock.advance(50);
        waited += 50;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000]);
    client().emit('connect');
    client().emit('close');
    await clock.advance(500);
    expect(clients).toHaveLength(6);
  });

  it('logs UPLINK_PUBLISH_FAILED, drops the connection and resends, without throwing', async () => {
    uplink.start();
    client().emit('connect');
    store.append(readings(3));
    client().readings()[0]!.fail(new Error('boom'));
    await settle();
    expect(logs.some((l) => l.code === 'UPLINK_PUBLISH_FAILED' && l.firstSeq === 1)).toBe(true);
    expect(clients[0]!.ended).toBe(true);
    await clock.advance(500);
    client().emit('connect');
    expect(client().seqs(0)).toEqual([1, 2, 3]);
  });

  it('stop() waits for PUBACKs, publishes retained offline and disconnects', async () => {
    uplink.start();
    client().emit('connect');
    store.append(readings(3));
    const stopped = uplink.stop();
    await settle();
    expect(client().sent.some((s) => s.payload === 'offline')).toBe(false);
    client().readings()[0]!.ack();
    await settle();
    const offline = client().sent.find((s) => s.payload === 'offline')!;
    expect(offline.opts).toEqual({ qos: 1, retain: true });
    offline.ack();
    await stopped;
    expect(client().ended).toBe(true);
    expect(cursors.cursor('cloud')).toBe(3);
    store.append(readings(5));
    expect(client().readings()).toHaveLength(1);
  });

  it('stop() is bounded when the broker never answers', async () => {
    uplink.start();
    client().emit('connect');
    store.append(readings(3));
    let done = false;
    const stopped = uplink.stop().then(() => {
      done = true;
    });
    await clock.advance(1000);
    expect(done).toBe(false);
    await clock.advance(1000);
    await stopped;
    expect(done).toBe(true);
    expect(client().ended).toBe(true);
  });

  it('refuses a wildcard in the topic', () => {
    expect(
      () =>
        new MqttUplink({
          config,
          stationId: 'a/+',
          store,
          cursors,
          clock,
          log: pino({ level: 'silent' }),
        }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
