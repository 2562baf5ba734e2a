import { parseArgs } from 'node:util';
import { MQTT_PROTOCOL_SETTINGS, type MqttProtocolSetting } from '../../agent/config/mqttProtocolSchema.js';
import { runPostgresReceiver } from './mainPostgres.js';
import { Receiver } from './receiver.js';

/**
 * `npm run receiver -- --url mqtt://broker:1883 --station 320700W001 [--prefix stations]
 *  [--state receiver-state.json] [--share group] [--client-id id] [--protocol auto|5|3.1.1]`
 * Prints each accepted reading as a JSON line on stdout; gaps and replies go to stderr.
 * `--postgres URL` writes readings, aggregates and events to PostgreSQL instead (mainPostgres.ts):
 * every station under the prefix unless --station, state in the database, [--connections n]
 * [--metrics [host:]port] [--gap-grace ms].
 */
const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    station: { type: 'string' },
    prefix: { type: 'string', default: 'stations' },
    state: { type: 'string', default: 'receiver-state.json' },
    share: { type: 'string' },
    'client-id': { type: 'string' },
    'no-gaps': { type: 'boolean', default: false },
    protocol: { type: 'string', default: 'auto' },
    postgres: { type: 'string' },
    connections: { type: 'string' },
    metrics: { type: 'string' },
    'gap-grace': { type: 'string' },
    'resend-retry': { type: 'string' },
    'resend-max-asks': { type: 'string' },
  },
});
if (values.postgres !== undefined) {
  if (!values.url) {
    process.stderr.write(
      'usage: npm run receiver -- --url mqtt://host:1883 --postgres postgres://… [--share group]\n',
    );
    process.exit(2);
  }
  await runPostgresReceiver({
    url: values.url,
    postgres: values.postgres,
    prefix: values.prefix,
    station: values.station,
    share: values.share,
    clientId: values['client-id'],
    connections: values.connections,
    metrics: values.metrics,
    noGaps: values['no-gaps'],
    gapGrace: values['gap-grace'],
    resendRetry: values['resend-retry'],
    resendMaxAsks: values['resend-max-asks'],
  });
} else {
  await runJsonLines();
}

async function runJsonLines(): Promise<void> {
  const protocol = values.protocol as MqttProtocolSetting;
  if (!values.url || !values.station || !MQTT_PROTOCOL_SETTINGS.includes(protocol)) {
    process.stderr.write(
      'usage: npm run receiver -- --url mqtt://host:1883 --station ID [--share group] [--protocol auto|5|3.1.1]\n',
    );
    process.exit(2);
  }
  const receiver = new Receiver({
    url: values.url,
    station: values.station,
    topicPrefix: values.prefix,
    statePath: values.state,
    ...(values.share ? { share: values.share } : {}),
    ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
    ...(values['no-gaps'] ? { gapCheck: false } : {}),
    protocolVersion: protocol,
    onReadings: (station, readings) => {
      for (const r of readings) process.stdout.write(`${JSON.stringify({ station, ...r })}\n`);
    },
    // Events as JSON lines too, told apart from readings by their `event` key.
    onEvents: (station, db, events) => {
      for (const event of events) process.stdout.write(`${JSON.stringify({ station, db, event })}\n`);
    },
    log: (message) => process.stderr.write(`${new Date().toISOString()} ${message}\n`),
  });
  try {
    await receiver.start();
  } catch (err) {
    process.stderr.write(`receiver: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  process.stderr.write(`receiving ${values.prefix}/${values.station}/readings and /events\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void receiver.stop().then(() => process.exit(0));
    });
  }
}
