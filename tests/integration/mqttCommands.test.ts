/**
 * Issue 6, remote commands end to end: a real mosquitto, the agent in-process under its supervisor
 * (real clock), the Modbus simulator. Birth, allow-list, other stations' topics, config/set with a
 * valid, a failing and an invalid config, MQTT 5 response topics.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type MosquittoHandle, startMosquitto, until } from '../../scripts/support/mosquitto.js';
import { sleep } from '../../scripts/support/stationFixture.js';
import {
  type Observer,
  observe,
  PREFIX,
  STATION,
  startSupervisedStation,
} from '../helpers/supervisedStation.js';

const ALL = ['ping', 'status', 'resend', 'config/get', 'config/set', 'config/rollback', 'log-level'];
const T = (s: string) => `${PREFIX}/${STATION}/${s}`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(allow?: string[]) {
  const broker: MosquittoHandle = await startMosquitto();
  cleanups.push(() => broker.dispose());
  const obs: Observer = await observe(broker.url, [`${PREFIX}/#`]);
  cleanups.push(() => obs.close());
  const st = await startSupervisedStation(broker.url, allow ? { allow } : {});
  cleanups.push(() => st.close());
  await until(() => obs.json(T('birth')).length > 0, 10_000, 'birth');
  return { broker, obs, st };
}

describe('birth and commands', () => {
  it('publishes a retained birth and answers allowed commands only, refusing and logging the rest', async () => {
    const { broker, obs, st } = await setup();
    const birth = obs.json(T('birth'))[0]!;
    expect(birth).toMatchObject({
      v: 1,
      station: STATION,
      agentVersion: '0.1.0',
      config: { version: 1 },
      uplink: { id: 'center', connected: true, commands: ['ping', 'status'] },
    });
    expect(birth.devices).toEqual([
      {
        id: 'nutrient',
        bus: 'lan',
        interval: 500,
        channels: [
          { id: 'cod', code: 'w01018', unit: 'mg/L' },
          { id: 'ph', code: 'w01001', unit: null },
        ],
      },
    ]);
    // Retained: a late subscriber gets it at once.
    const late = await observe(broker.url, [T('birth')]);
    cleanups.push(() => late.close());
    await until(() => late.json(T('birth')).length > 0, 5000, 'retained birth');

    expect(await obs.command('ping', {})).toMatchObject({ status: 200, message: 'pong' });
    const status = await obs.command('status', {});
    expect(status).toMatchObject({ status: 200, data: { station: STATION } });

    const refused = await obs.command('config/get', {});
    expect(refused).toMatchObject({ status: 403 });
    expect(st.logs.some((l) => l.code === 'COMMAND_REFUSED' && l.command === 'config/get')).toBe(true);
    expect(await obs.command('nope', {})).toMatchObject({ status: 404 });

    // Malformed payloads: an error reply with id null, and the agent keeps answering.
    await obs.client.publishAsync(T('cmd/ping'), '{not json', { qos: 1 });
    await until(() => obs.json(T('reply/ping')).some((r) => r.id === null && r.status === 400), 5000, '400');
    expect(await obs.command('ping', {})).toMatchObject({ status: 200 });

    // Readings batches carry their seq range.
    await until(() => obs.json(T('readings')).length > 0, 5000, 'readings');
    const batch = obs.json(T('readings'))[0]!;
    const readings = batch.readings as { seq: number }[];
    expect(batch).toMatchObject({ v: 1, seqFrom: readings[0]!.seq, seqTo: readings.at(-1)!.seq });
  });

  it("never reacts to a command on another station's topic", async () => {
    const { obs, st } = await setup(ALL);
    const other = `${PREFIX}/OTHER01/`;
    await obs.client.publishAsync(`${other}cmd/ping`, JSON.stringify({ id: 'x' }), { qos: 1 });
    await obs.client.publishAsync(`${other}cmd/log-level`, JSON.stringify({ id: 'y', level: 'fatal' }), {
      qos: 1,
    });
    await sleep(1500);
    expect(obs.messages.filter((m) => m.topic.includes('/reply/'))).toEqual([]);
    expect(st.logs.some((l) => l.msg === 'command received')).toBe(false);
    // The own topic works: the silence above was not a dead agent.
    expect(await obs.command('ping', {})).toMatchObject({ status: 200 });
  });

  it('answers on the MQTT 5 response topic with the correlation data', async () => {
    const { obs } = await setup();
    await obs.client.subscribeAsync('answers/me', { qos: 1 });
    await obs.client.publishAsync(T('cmd/ping'), JSON.stringify({ id: 'r1' }), {
      qos: 1,
      properties: { responseTopic: 'answers/me', correlationData: Buffer.from('corr-42') },
    });
    await until(() => obs.messages.some((m) => m.topic === 'answers/me'), 5000, 'response topic');
    const answer = obs.messages.find((m) => m.topic === 'answers/me')!;
    expect(answer.correlation).toBe('corr-42');
    expect(JSON.parse(answer.payload)).toMatchObject({ id: 'r1', status: 200 });
  });
});

describe('config over MQTT', () => {
  it('config/get redacts secrets; config/set applies a valid config and changes polling', async () => {
    const { obs, st } = await setup(ALL);
    const got = await obs.command('config/get', {});
    expect(got.status).toBe(200);
    const yaml = (got.data as { yaml: string }).yaml;
    expect(yaml).toContain('[redacted]');
    expect(yaml).not.toContain('hunter2');

    expect(await obs.command('log-level', { level: 'debug' })).toMatchObject({ status: 200 });
    expect(await obs.command('log-level', { level: 'loud' })).toMatchObject({ status: 400 });
    expect(await obs.command('config/rollback', {})).toMatchObject({ status: 409 });
    const before = (obs.json(T('birth')).at(-1)!.config as { hash: string }).hash;
    const reply = await obs.command('config/set', { yaml: st.configText({ interval: '200ms', allow: ALL }) });
    expect(reply).toMatchObject({ status: 200 });
    await until(
      () => obs.json(T('birth')).some((b) => (b.config as { hash: string }).hash !== before),
      10_000,
      'a birth with the new config',
    );
    const birth = obs.json(T('birth')).at(-1)!;
    expect((birth.devices as { interval: number }[])[0]!.interval).toBe(200);
    expect(readFileSync(`${st.configPath}.previous`, 'utf8')).toContain('interval: 500ms');
    // Polling now runs at 200 ms: cod readings of the new agent come ~200 ms apart.
    const since = Date.now();
    await sleep(2500);
    const cod = obs
      .json(T('readings'))
      .flatMap((b) => b.readings as { ts: string; channel: string }[])
      .filter((r) => r.channel === 'cod' && Date.parse(r.ts) > since)
      .map((r) => Date.parse(r.ts));
    expect(cod.length).toBeGreaterThanOrEqual(8);
    await sleep(3500);
    // Devices answer, so no rollback happened.
    expect(obs.json(T('event/config'))).toEqual([]);
  });

  it('rolls back by itself when the new config leaves every device failing, and reports it', async () => {
    const { obs, st } = await setup(ALL);
    const original = readFileSync(st.configPath, 'utf8');
    // Nothing listens on port 1: every poll fails.
    const reply = await obs.command('config/set', {
      yaml: st.configText({ port: 1, allow: ALL, rollbackAfter: '3s' }),
    });
    expect(reply).toMatchObject({ status: 200 });
    await until(() => obs.json(T('event/config')).length > 0, 20_000, 'the rollback event');
    expect(obs.json(T('event/config'))[0]).toMatchObject({ event: 'config/rollback', automatic: true });
    expect(readFileSync(st.configPath, 'utf8')).toBe(original);
    expect(st.logs.some((l) => l.code === 'CONFIG_ROLLED_BACK')).toBe(true);
    // The restored agent serves commands again.
    expect(await obs.command('ping', {})).toMatchObject({ status: 200 });
  });

  it('replies to an invalid config with line-numbered errors and changes nothing', async () => {
    const { obs, st } = await setup(ALL);
    const original = readFileSync(st.configPath, 'utf8');
    const bad = st.configText({ allow: ALL }).replace('interval: 500ms', 'interval: fast');
    const reply = await obs.command('config/set', { yaml: bad });
    expect(reply.status).toBe(400);
    expect(String(reply.message)).toMatch(/:\d+:\d+/);
    const problems = (reply.data as { problems: { line: number; path: string }[] }).problems;
    expect(problems[0]!.line).toBeGreaterThan(1);
    const broken = await obs.command('config/set', { yaml: 'version: 1\n  station: [' });
    expect(broken.status).toBe(400);
    expect(readFileSync(st.configPath, 'utf8')).toBe(original);
  });
});
