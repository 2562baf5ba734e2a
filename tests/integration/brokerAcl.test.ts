/**
 * Issue 8: the broker ACL docs/security.md recommends, taken from the document itself and run in a
 * real mosquitto: a station writes only its own topics except cmd, reads only its own cmd; the
 * platform the reverse. "Not delivered" is shown without waiting: the same publisher then sends an
 * allowed message, and as each publish waits for its PUBACK, the broker has routed (or refused) the
 * earlier one before the later is sent; one subscriber gets its messages in routing order.
 */
import { readFileSync } from 'node:fs';
import { connect, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type MosquittoHandle, startMosquitto, until } from '../../scripts/support/mosquitto.js';

const DOC = new URL('../../docs/security.md', import.meta.url);
const USERS = { ST1: 'pw-st1-0001', ST2: 'pw-st2-0002', platform: 'pw-platform-3' };

function documentedAcl(): string {
  const text = readFileSync(DOC, 'utf8');
  const m = /```conf\n([\s\S]*?)```/.exec(text);
  if (!m) throw new Error('docs/security.md has no ```conf block with the ACL');
  return m[1] as string;
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Peer {
  client: MqttClient;
  got: string[];
}

async function peer(b: MosquittoHandle, user: keyof typeof USERS, subscriptions: string[]): Promise<Peer> {
  const client = connect(b.url, {
    username: user,
    password: USERS[user],
    reconnectPeriod: 0,
    protocolVersion: 5,
  });
  client.on('error', () => {});
  const got: string[] = [];
  client.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  for (const s of subscriptions) await client.subscribeAsync(s, { qos: 1 });
  cleanups.push(() => client.endAsync(true));
  return { client, got };
}

/** Publishes and ignores a refusal (MQTT 5 PUBACK "not authorised"): the receiving side is what counts. */
async function send(p: Peer, topic: string, text: string): Promise<void> {
  await p.client.publishAsync(topic, text, { qos: 1 }).catch(() => {});
}

describe('the station ACL of docs/security.md', () => {
  it('keeps stations to their own topics and gives commands to the platform only', async () => {
    const b = await startMosquitto({ users: USERS, acl: documentedAcl() });
    cleanups.push(() => b.dispose());
    const platform = await peer(b, 'platform', ['stations/#']);
    const st1 = await peer(b, 'ST1', ['stations/ST1/cmd/#', 'stations/ST2/#']);
    const st2 = await peer(b, 'ST2', ['stations/ST2/cmd/#']);

    // A station may not write another station's data, nor commands (not even its own).
    await send(st1, 'stations/ST2/readings', 'forged');
    await send(st1, 'stations/ST1/cmd/config/set', 'self-command');
    await send(st2, 'stations/ST1/cmd/config/set', 'cross-command');
    await send(st1, 'stations/ST1/readings', 'st1-data');
    await send(st1, 'stations/ST1/reply/ping', 'st1-reply');
    await send(st2, 'stations/ST2/readings', 'st2-data');
    await until(() => platform.got.length >= 3, 5000, 'the allowed station messages at the platform');
    expect(platform.got).toEqual([
      'stations/ST1/readings st1-data',
      'stations/ST1/reply/ping st1-reply',
      'stations/ST2/readings st2-data',
    ]);

    // The platform commands; only the addressed station reads it. ST1 subscribed to ST2's topics and
    // gets nothing of them; the platform may not write station data.
    await send(platform, 'stations/ST2/readings', 'platform-forged');
    await send(platform, 'stations/ST2/cmd/ping', 'to-st2');
    await send(platform, 'stations/ST1/cmd/ping', 'to-st1');
    await until(() => st1.got.length >= 1 && st2.got.length >= 1, 5000, 'commands at the stations');
    expect(st2.got).toEqual(['stations/ST2/cmd/ping to-st2']);
    expect(st1.got).toEqual(['stations/ST1/cmd/ping to-st1']);
    await send(st2, 'stations/ST2/readings', 'st2-late');
    await until(() => platform.got.some((m) => m.endsWith('st2-late')), 5000, 'the later station message');
    expect(platform.got.some((m) => m.includes('forged') || m.includes('command'))).toBe(false);
  });
});
