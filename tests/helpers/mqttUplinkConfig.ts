import type { MqttUplinkConfig } from '../../agent/config/schema.js';

/** An MQTT uplink config as the schema would fill it in, small batches for the tests; override per test (unit tests through fakeMqtt.ts, integration tests with the broker's url). */
export function uplinkConfig(overrides: Partial<MqttUplinkConfig> = {}): MqttUplinkConfig {
  return {
    id: 'cloud',
    type: 'mqtt',
    historicalAfter: 300_000,
    commands: { allow: ['ping', 'status'], resendRate: 5 },
    payload: { encoding: 'json' },
    protocolVersion: 'auto',
    url: 'mqtt://broker.example:1883',
    topicPrefix: 'stations',
    qos: 1,
    keepalive: 30_000,
    batch: { maxReadings: 3, maxDelay: 1000, maxBytes: 131_072 },
    maxInFlight: 2,
    reconnect: { min: 500, max: 30_000 },
    ...overrides,
  } as MqttUplinkConfig;
}
