/**
 * `npm run demo`: a whole simulated station on embedded defaults — the analyzer simulator over
 * Modbus TCP, an embedded MQTT broker (aedes), the agent, and a live console view of what arrives
 * upstream. Ctrl-C stops everything cleanly.
 */
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { StationAgent } from '../agent/app/stationAgent.js';
import { stationConfigSchema } from '../agent/config/schema.js';
import { systemClock } from '../agent/core/clock.js';
import { createLogger } from '../agent/core/log.js';
import { DemoView } from './demoView.js';
import { startSimulator } from './simulator/modbusTcpServer.js';

const MAP_FILE = fileURLToPath(new URL('../../scripts/simulator/maps/demo-water.yaml', import.meta.url));

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
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

function demoConfig(modbusPort: number, mqttPort: number) {
  return stationConfigSchema.parse({
    version: 1,
    station: { id: '320700W001', name: 'Demo river station', timezone: 'Asia/Shanghai' },
    storage: { path: './data/demo.db' },
    log: { level: 'warn' },
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

  const config = demoConfig(modbusPort, mqttPort);
  const log = createLogger({ level: config.log.level, pretty: false });
  const agent = new StationAgent({ config, configHash: 'demo', clock: systemClock, log });
  agent.start();

  const subscriber = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'demo-view' });
  const view = new DemoView({
    station: config.station.id,
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
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    await agent.stop();
    await subscriber.endAsync();
    await simulator.stop();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => brokerServer.close(() => resolve()));
    process.stdout.write('stopped cleanly.\n');
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
