import fc from 'fast-check';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, type CommandName } from '../../agent/config/commandsSchema.js';
import { silentLogger } from '../../agent/core/log.js';
import type { AgentControl, CommandResult } from '../../agent/uplink/agentControl.js';
import { MqttCommands } from '../../agent/uplink/mqttCommands.js';
import { fuzzParams, fuzzTestTimeout } from './fuzzSettings.js';

/**
 * Remote command messages from anyone who can publish on the broker: random topics under ours,
 * random bytes, random JSON, valid requests with fields mutated, hostile MQTT 5 properties. The
 * dispatcher never throws, answers every message for our station exactly once on the reply topic
 * with a status and a message, never runs a command outside the allow-list, and never answers with
 * 500 (an exception it did not expect).
 */

const PREFIX = 'stations';
const STATION = 'ST01';

interface Published {
  topic: string;
  body: { status: number; message: string; id?: unknown };
}

/** The client side the dispatcher uses: publishAsync only. */
function fakeClient(published: Published[]): MqttClient {
  const client = {
    publishAsync: (topic: string, payload: string) => {
      published.push({ topic, body: JSON.parse(payload) });
      return Promise.resolve(undefined);
    },
  };
  return client as unknown as MqttClient;
}

/** Records what was run; answers as the supervisor would for a valid request. */
function recordingControl(calls: string[]): AgentControl {
  const ok = (what: string): CommandResult => {
    calls.push(what);
    return { status: 200, message: 'ok' };
  };
  return {
    status: () => {
      calls.push('status');
      return {};
    },
    getConfig: () => ok('config/get'),
    setConfig: () => ok('config/set'),
    rollback: () => ok('config/rollback'),
    setLogLevel: () => ok('log-level'),
    takeEvents: () => [],
  };
}

/** Keys that break careless code: prototype names, and a value whose String() throws. */
const hostileValue = fc.constantFrom<unknown>(
  { toString: 1 },
  { valueOf: null, toString: null },
  { __proto__: { polluted: true } },
  [],
  '',
  '\u0000',
  '9'.repeat(400),
  1e308,
  -0,
  null,
  true,
);

const nameArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<string>(...COMMAND_NAMES) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '/', 'ping/', 'config', 'config/', '#', '+', 'reply/ping', 'é'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

const validBody = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), hostileValue),
    from: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.string(),
      hostileValue,
    ),
    to: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.string(),
      hostileValue,
    ),
    kind: fc.oneof(fc.constantFrom('readings', 'minute', 'hour', 'day', 'week'), hostileValue),
    channels: fc.oneof(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), hostileValue),
    yaml: fc.oneof(fc.string({ maxLength: 50 }), hostileValue),
    level: fc.oneof(fc.constantFrom('debug', 'info', 'shout'), hostileValue),
  },
  { requiredKeys: [] },
);

const payloadArb: fc.Arbitrary<Buffer> = fc.oneof(
  validBody.map((b) => Buffer.from(JSON.stringify(b))),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.string({ unit: 'binary', maxLength: 64 }).map((s) => Buffer.from(s, 'utf8')),
  fc.constant(Buffer.alloc(0)),
  fc.constant(Buffer.from('{"id":'.repeat(1000))),
);

const propertiesArb = fc.option(
  fc.record(
    {
      responseTopic: fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.constantFrom('a/#', '+', `${PREFIX}/${STATION}/reply/ping`),
      ),
      correlationData: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

const messageArb = fc.record({
  ours: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  name: nameArb,
  payload: payloadArb,
  properties: propertiesArb,
});

describe('fuzz: MQTT command messages', () => {
  it(
    'every message for us gets exactly one reply; nothing outside the allow-list runs',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.subarray([...COMMAND_NAMES]),
          fc.boolean(),
          fc.array(messageArb, { minLength: 1, maxLength: 5 }),
          async (allow, withControl, messages) => {
            const published: Published[] = [];
            const calls: string[] = [];
            const commands = new MqttCommands({
              topicPrefix: PREFIX,
              stationId: STATION,
              allow: allow as CommandName[],
              ...(withControl ? { control: recordingControl(calls) } : {}),
              resend: () => {
                calls.push('resend');
                return Promise.resolve({ rows: 0, batches: 0 });
              },
              log: silentLogger(),
            });
            const client = fakeClient(published);
            for (const m of messages) {
              const before = published.length;
              const topic = m.ours ? `${PREFIX}/${STATION}/cmd/${m.name}` : `${PREFIX}/OTHER/cmd/${m.name}`;
              const packet = {
                cmd: 'publish',
                topic,
                payload: m.payload,
                qos: 1,
                dup: false,
                retain: false,
                ...(m.properties ? { properties: m.properties } : {}),
              } as IPublishPacket;
              await commands.handle(client, topic, m.payload, packet);
              const replies = published.slice(before);
              if (!m.ours) {
                expect(replies).toEqual([]);
                continue;
              }
              // docs/mqtt-contract.md: the reply topic names the command, or "unknown" for an odd name.
              const safe = /^[A-Za-z0-9/_-]{1,64}$/.test(m.name) ? m.name : 'unknown';
              const main = replies.filter((r) => r.topic === `${PREFIX}/${STATION}/reply/${safe}`);
              expect(main).toHaveLength(1);
              const { status, message } = main[0]!.body;
              expect(Number.isInteger(status)).toBe(true);
              expect(typeof message).toBe('string');
              expect(status, `unexpected exception answering ${JSON.stringify(message)}`).not.toBe(500);
              // Any other reply goes to the request's own response topic, never to a wildcard.
              for (const r of replies)
                if (!main.includes(r)) expect(r.topic).toBe(m.properties?.responseTopic);
              for (const r of replies) expect(r.topic).not.toMatch(/[+#]/);
            }
            for (const c of calls) expect(allow, `ran ${c} outside the allow-list`).toContain(c);
          },
        ),
        fuzzParams(300, { runTimeoutMs: 10_000 }),
      );
    },
    fuzzTestTimeout(30_000),
  );
});

describe('MQTT command regressions found by fuzzing', () => {
  it('config/set with an id whose String() throws ({"toString":1}) is applied, not answered 500', async () => {
    const published: Published[] = [];
    const calls: string[] = [];
    const commands = new MqttCommands({
      topicPrefix: PREFIX,
      stationId: STATION,
      allow: ['config/set'],
      control: recordingControl(calls),
      resend: () => Promise.resolve({ rows: 0, batches: 0 }),
      log: silentLogger(),
    });
    const topic = `${PREFIX}/${STATION}/cmd/config/set`;
    const payload = Buffer.from('{"id":{"toString":1},"yaml":""}');
    const packet = { cmd: 'publish', topic, payload, qos: 1, dup: false, retain: false } as IPublishPacket;
    await commands.handle(fakeClient(published), topic, payload, packet);
    expect(published.map((p) => p.body.status)).toEqual([200]);
    expect(calls).toEqual(['config/set']);
  });
});
