/**
 * `npm run demo`: a whole simulated station on embedded defaults — the analyzer simulator over
 * Modbus TCP, an embedded MQTT broker (aedes, which speaks MQTT 3.1.1 only: the agent's default
 * `protocolVersion: auto` falls back to it), the agent with its status page, and a live console view
 * of what arrives upstream. Ctrl-C stops everything cleanly. The database is `./data/demo.db` under
 * the current directory.
 */
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { StationAgent } from '../agent/app/stationAgent.js';
import { DEFAULT_HTTP_LISTEN } from '../agent/config/httpSchema.js';
import { stationConfigSchema } from '../agent/config/schema.js';
import { systemClock } from '../agent/core/clock.js';
import { createLogger } from '../agent/core/log.js';
import { createAgentMetrics } from '../agent/http/metrics.js';
import { operationsStatus } from '../agent/http/statusReport.js';
import { StatusServer } from '../agent/http/statusServer.js';
import { noAgentControl } from '../agent/uplink/agentControl.js';
import { DemoView } from './demoView.js';
import { startSimulator } from './simulator/modbusTcpServer.js';

const MAP_FILE = fileURLToPath(new URL('../../scripts/simulator/maps/demo-water.yaml', import.meta.url));

/** `port` if it is free on loopback, else a free one the kernel picks (0). */
async function freePort(port = 0): Promise<number> {
  const srv = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!bound) return freePort(0);
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no free port');
  return addr.port;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
}

function demoConfig(modbusPort: number, mqttPort: number, httpPort: number) {
  return stationConfigSchema.parse({
    version: 1,
    station: { id: '320700W001', name: 'Demo river station', timezone: 'Asia/Shanghai' },
    storage: { path: './data/demo.db' },
    log: { level: 'warn' },
    http: { listen: `127.0.0.1:${httpPort}` },
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: modbusPort, timeout: '1s', retries: 1 }],
    devices: [
      {
        id: 'nutrient',
        bus: 'lan',
        unit: 7,
        interval: '2s',
        channels: [
          {
            id: 'cod',
            code: 'w01018',
            unit: 'mg/L',
            register: { table: 'input', address: 0, type: 'float32', order: 'CDAB' },
          },
          { id: 'ph', code: 'w01001', register: { table: 'input', address: 16, type: 'int16' }, scale: 0.01 },
        ],
        status: {
          register: { table: 'input', address: 32, type: 'uint16' },
          flags: { 0: 'N', 1: 'C', 2: 'M', 3: 'D' },
        },
      },
      {
        id: 'sonde',
        bus: 'lan',
        unit: 1,
        interval: '1s',
        channels: [
          {
            id: 'temp',
            code: 'w01010',
            unit: '°C',
            register: { table: 'input', address: 0, type: 'float32' },
          },
          { id: 'ph', code: 'w01001', register: { table: 'input', address: 2, type: 'float32' } },
          {
            id: 'do',
            code: 'w01009',
            unit: 'mg/L',
            register: { table: 'input', address: 4, type: 'float32' },
          },
          {
            id: 'cond',
            code: 'w01014',
            unit: 'µS/cm',
            register: { table: 'input', address: 6, type: 'float32' },
          },
          {
            id: 'turb',
            code: 'w01003',
            unit: 'NTU',
            register: { table: 'input', address: 8, type: 'float32' },
          },
        ],
        status: {
          register: { table: 'input', address: 20, type: 'uint16' },
          flags: { 0: 'N', 1: 'C', 2: 'M', 3: 'D' },
        },
      },
    ],
    uplinks: [
      {
        id: 'center',
        type: 'mqtt',
        url: `mqtt://127.0.0.1:${mqttPort}`,
        topicPrefix: 'stations',
        batch: { maxReadings: 500, maxDelay: '1s' },
      },
    ],
  });
}

async function main(): Promise<void> {
  const modbusPort = await freePort();
  const mqttPort = await freePort();
  const simulator = await startSimulator({ mapFile: MAP_FILE, port: modbusPort });

  const broker = await Aedes.createBroker();
  const brokerServer = createServer(broker.handle);
  await listen(brokerServer, mqttPort);

  // The status page where a station has it (http.listen's default), unless something else holds it.
  const preferred = Number(DEFAULT_HTTP_LISTEN.split(':')[1]);
  const config = demoConfig(modbusPort, mqttPort, await freePort(preferred));
  const log = createLogger({ level: config.log.level, pretty: false });
  const metrics = createAgentMetrics(() => current());
  const agent = new StationAgent({
    config,
    configHash: 'demo',
    clock: systemClock,
    log,
    metrics: metrics.sink,
    control: noAgentControl,
  });
  // Null once the agent is stopping (its database closes), as under the supervisor.
  const current = () => {
    try {
      return operationsStatus(agent, Date.now());
    } catch {
      return null;
    }
  };
  agent.start();
  const statusServer = new StatusServer({
    config: config.http,
    currentStatus: current,
    metrics,
    log,
  });
  await statusServer.start();
  const statusUrl = `http://${config.http.listen}/`;
  const brokerUrl = `mqtt://127.0.0.1:${mqttPort}`;
  process.stdout.write(`status page: ${statusUrl}\nembedded MQTT broker (3.1.1): ${brokerUrl}\n`);

  const subscriber = mqtt.connect(brokerUrl, { clientId: 'demo-view' });
  // Without a listener an MQTT error would end the demo with a stack trace; the view shows the state.
  subscriber.on('error', () => {});
  const view = new DemoView({
    station: config.station.id,
    timezone: config.station.timezone,
    statusUrl,
    brokerUrl,
    status: () => agent.status(),
    out: process.stdout,
  });
  subscriber.on('message', (topic, payload) => view.onMessage(topic, payload));
  subscriber.on('connect', () => {
    subscriber.subscribe('stations/#', { qos: 1 });
  });
  view.start();

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    view.stop();
    process.stdout.write('\nstopping: agent, simulator, broker…\n');
    const force = setTimeout(() => {
      process.stderr.write('demo: did not stop within 5 s; exiting\n');
      process.exit(1);
    }, 5000);
    force.unref();
    await statusServer.stop();
    await agent.stop();
    await subscriber.endAsync();
    await simulator.stop();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => brokerServer.close(() => resolve()));
    process.stdout.write('stopped cleanly.\n');
    process.exitCode = 0;
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
