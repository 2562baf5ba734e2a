import type { connect } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttUplinkConfig } from '../../../agent/config/schema.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { Outbox } from '../../../agent/store/outbox.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import { MqttUplink } from '../../../agent/uplink/mqttUplink.js';
import { FakeClient, ManualClock, uplinkConfig } from './fakeMqtt.js';

/** The protocol version choice as the uplink applies it: which version each client asks for, logs, lastError. */

const refusal = (code: number, message: string) => Object.assign(new Error(message), { code });

describe('MqttUplink protocol version (fake client, manual clock)', () => {
  let clock: ManualClock;
  let db: ReturnType<typeof openDatabase>;
  let store: ReadingStore;
  let clients: FakeClient[];
  let logs: Record<string, unknown>[];

  const makeUplink = (over: Partial<MqttUplinkConfig> = {}) =>
    new MqttUplink({
      config: uplinkConfig(over),
      stationId: '320700W001',
      store,
      cursors: new Outbox({ db, clock }),
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
  const versions = () => clients.map((c) => c.opts.protocolVersion);
  const at = (level: number) => logs.filter((l) => l.level === level);
  /** stop() waits (on the manual clock) for acknowledgements a fake client never gives. */
  const stop = async (uplink: MqttUplink) => {
    const stopped = uplink.stop();
    await clock.advance(5000);
    await stopped;
  };
  const refuse = (code: number, message: string) => {
    client().emit('error', refusal(code, message));
    client().emit('close');
  };

  beforeEach(() => {
    clock = new ManualClock();
    db = openDatabase({ path: ':memory:', log: pino({ level: 'silent' }) });
    store = new ReadingStore({ db });
    clients = [];
    logs = [];
  });
  afterEach(() => db.close());

  it('auto: a 3.1.1 broker refusing MQTT 5 gets a 3.1.1 CONNECT at once, kept across reconnects', async () => {
    const uplink = makeUplink();
    uplink.start();
    expect(versions()).toEqual([5]);
    refuse(1, 'Connection refused: Unacceptable protocol version');
    expect(uplink.stats().lastError).toMatchObject({ code: 'UPLINK_PROTOCOL_REFUSED', at: clock.now() });
    await clock.advance(0);
    expect(versions()).toEqual([5, 4]);
    // One warning, with the broker's answer; not a failure to back off from.
    expect(at(40)).toEqual([
      expect.objectContaining({
        msg: 'uplink: the broker refused MQTT 5; connecting with MQTT 3.1.1, kept until a reload',
        answer: 'unacceptable protocol version (CONNACK 1)',
      }),
    ]);
    client().emit('connect');
    expect(uplink.stats()).toMatchObject({ connected: true, lastError: null });
    expect(logs.find((l) => l.msg === 'uplink connected')).toMatchObject({ protocol: '3.1.1' });

    // The 3.1.1 connection drops (broker restart): the reconnect asks for 3.1.1 straight away.
    client().emit('close');
    expect(uplink.stats().lastError).toMatchObject({ code: 'UPLINK_CONNECTION_LOST' });
    await clock.advance(500);
    expect(versions()).toEqual([5, 4, 4]);
    client().emit('connect');
    expect(at(40).filter((l) => String(l.msg).includes('MQTT 3.1.1'))).toHaveLength(1);
    await stop(uplink);
  });

  it('under 3.1.1 a readings batch goes without MQTT 5 properties', async () => {
    const uplink = makeUplink({ protocolVersion: '3.1.1' });
    uplink.start();
    expect(versions()).toEqual([4]);
    client().emit('connect');
    store.append(
      [1, 2, 3].map((i) => ({
        ts: Date.UTC(2026, 10, 28, 8) + i,
        device: 'nutrient',
        channel: 'cod',
        code: 'w01018',
        value: i,
        unit: 'mg/L',
        flag: 'N' as const,
      })),
    );
    expect(client().readings()[0]!.opts).toEqual({ qos: 1 });
    expect(client().seqs(0)).toEqual([1, 2, 3]);
    await stop(uplink);
  });

  it('explicit 5 against a 3.1.1 broker: a clear warning once, lastError kept since the first failure', async () => {
    const uplink = makeUplink({ protocolVersion: '5' });
    uplink.start();
    const first = clock.now();
    for (let i = 0; i < 3; i++) {
      refuse(1, 'Connection refused: Unacceptable protocol version');
      await clock.advance(30_000);
    }
    expect(versions()).toEqual([5, 5, 5, 5]);
    expect(uplink.stats().lastError).toEqual({
      message:
        'the broker refused MQTT 5: unacceptable protocol version (CONNACK 1) — the broker speaks only MQTT 3.1.1; set protocolVersion: auto or 3.1.1',
      code: 'UPLINK_PROTOCOL_REFUSED',
      at: first,
    });
    const warnings = at(40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'UPLINK_PROTOCOL_REFUSED', protocol: '5' });
    // The repeats are there at debug level for whoever turns it on.
    expect(logs.filter((l) => l.level === 20 && l.code === 'UPLINK_PROTOCOL_REFUSED')).toHaveLength(2);
    await stop(uplink);
  });

  it('a new kind of failure is news: warned again, lastError updated but still dated from the first', async () => {
    const uplink = makeUplink({ protocolVersion: '5' });
    uplink.start();
    const first = clock.now();
    client().emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    client().emit('close');
    await clock.advance(500);
    refuse(135, 'Connection refused: Not authorized');
    expect(uplink.stats().lastError).toMatchObject({ code: 'UPLINK_AUTH_FAILED', at: first });
    expect(logs.filter((l) => (l.level as number) >= 40).map((l) => l.code)).toEqual([
      'UPLINK_CONNECT_FAILED',
      'UPLINK_AUTH_FAILED',
    ]);
    await stop(uplink);
  });

  it('auto: a broker closing the MQTT 5 CONNECT unanswered gets one 3.1.1 try, kept when it connects', async () => {
    const uplink = makeUplink();
    uplink.start();
    client().emit('close');
    await clock.advance(0);
    expect(versions()).toEqual([5, 4]);
    client().emit('connect');
    // The unanswered close is reported like any first failure; then why 3.1.1 is kept, once.
    expect(at(40).map((l) => l.msg)).toEqual([
      'uplink could not connect',
      'uplink: the broker closed MQTT 5 connections unanswered but accepts MQTT 3.1.1; staying on 3.1.1 until a reload',
    ]);
    await stop(uplink);
    // A reload builds a new uplink: it asks for MQTT 5 again.
    const reloaded = makeUplink();
    reloaded.start();
    expect(client().opts.protocolVersion).toBe(5);
    await stop(reloaded);
  });
});
