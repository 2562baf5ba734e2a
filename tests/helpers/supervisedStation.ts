import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { type MqttClient, connect as mqttConnect } from 'mqtt';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { AgentSupervisor } from '../../agent/app/agentSupervisor.js';
import { loadConfigSync } from '../../agent/config/load.js';
import { systemClock } from '../../agent/core/clock.js';
import { type SimulatorHandle, startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { freePort } from '../../scripts/support/freePort.js';
import { until } from '../../scripts/support/mosquitto.js';
import { DEMO_MAP, nutrientDevice, tempStation } from '../../scripts/support/stationFixture.js';

/**
 * An in-process agent under its supervisor (real clock), against the project's Modbus simulator and a
 * real broker, for remote-command tests. Log lines are captured so a test can assert what was logged.
 */
export const STATION = '320700W001';
export const PREFIX = 'it';

export interface SupervisedStation {
  supervisor: AgentSupervisor;
  configPath: string;
  dbPath: string;
  simPort: number;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  /** The config object as written; `configText(over)` renders a variant. */
  configText(over?: { interval?: string; port?: number; allow?: string[]; rollbackAfter?: string }): string;
  close(): Promise<void>;
}

export async function startSupervisedStation(
  brokerUrl: string,
  opts: { allow?: string[]; interval?: string; maxReadings?: number } = {},
): Promise<SupervisedStation> {
  const tmp = tempStation();
  const simPort = await freePort();
  const sim: SimulatorHandle = await startSimulator({ mapFile: DEMO_MAP, port: simPort });
  const configText: SupervisedStation['configText'] = (over = {}) =>
    stringify({
      version: 1,
      station: { id: STATION, timezone: 'Asia/Shanghai' },
      storage: { path: tmp.dbPath },
      log: { level: 'info' },
      buses: [
        {
          id: 'lan',
          type: 'tcp',
          host: '127.0.0.1',
          port: over.port ?? simPort,
          timeout: '300ms',
          retries: 0,
        },
      ],
      devices: [nutrientDevice('lan', over.interval ?? opts.interval ?? '500ms')],
      uplinks: [
        {
          id: 'center',
          type: 'mqtt',
          url: brokerUrl,
          topicPrefix: PREFIX,
          username: 'station',
          password: 'hunter2',
          batch: { maxReadings: opts.maxReadings ?? 20, maxDelay: '100ms' },
          reconnect: { min: '100ms', max: '1s' },
          commands: { allow: over.allow ?? opts.allow ?? ['ping', 'status'] },
        },
      ],
      reload: { rollbackAfter: over.rollbackAfter ?? '3s' },
    });
  writeFileSync(tmp.configPath, configText());
  const loaded = loadConfigSync(tmp.configPath);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const supervisor = new AgentSupervisor({
    configPath: tmp.configPath,
    clock: systemClock,
    log,
    http: false,
  });
  supervisor.start(loaded.config, loaded.hash);
  return {
    supervisor,
    configPath: tmp.configPath,
    dbPath: tmp.dbPath,
    simPort,
    logs,
    configText,
    close: async () => {
      await supervisor.stop();
      await sim.stop();
      tmp.remove();
    },
  };
}

/** An MQTT 5 client that records every message by topic. */
export interface Observer {
  client: MqttClient;
  messages: { topic: string; payload: string; correlation?: string }[];
  json(topic: string): Record<string, unknown>[];
  /** Publishes a command and waits for the reply with this id on reply/{name}. */
  command(name: string, body: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function observe(url: string, topics: string[]): Promise<Observer> {
  const client = mqttConnect(url, { protocolVersion: 5, reconnectPeriod: 100 });
  client.on('error', () => {});
  const messages: Observer['messages'] = [];
  client.on('message', (topic, payload, packet) => {
    const correlation = packet.properties?.correlationData?.toString();
    messages.push({ topic, payload: payload.toString(), ...(correlation ? { correlation } : {}) });
  });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  await client.subscribeAsync(topics, { qos: 1 });
  const json = (topic: string) =>
    messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload) as Record<string, unknown>);
  let next = 0;
  return {
    client,
    messages,
    json,
    command: async (name, body, timeoutMs = 10_000) => {
      const id = `t${++next}-${Date.now()}`;
      await client.publishAsync(`${PREFIX}/${STATION}/cmd/${name}`, JSON.stringify({ id, ...body }), {
        qos: 1,
      });
      const topic = `${PREFIX}/${STATION}/reply/${name}`;
      await until(() => json(topic).some((r) => r.id === id), timeoutMs, `reply to ${name}`);
      return json(topic).find((r) => r.id === id)!;
    },
    close: () => client.endAsync(true),
  };
}
