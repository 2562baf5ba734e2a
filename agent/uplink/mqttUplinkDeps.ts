import type { connect as mqttConnect } from 'mqtt';
import type { MqttUplinkConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { AggregateStore } from '../store/aggregateStore.js';
import type { EventStore } from '../store/eventStore.js';
import type { Outbox } from '../store/outbox.js';
import type { ReadingStore } from '../store/readingStore.js';
import type { AgentControl } from './agentControl.js';
import type { BatchOrigin } from './batchOrigin.js';
import type { BirthInfo } from './birthPayload.js';

/** What an MQTT uplink is built from (its own file: mqttUplink.ts and mqttUplinkCommands.ts both need it). */
export interface MqttUplinkDeps {
  config: MqttUplinkConfig;
  stationId: string;
  store: ReadingStore;
  /** Minute/hour/day records to forward on the aggregates topic; without it only readings are sent. */
  aggregates?: AggregateStore;
  /** Station events to forward on the events topic (needs `origin`: the payload names the db). */
  events?: EventStore;
  cursors: Outbox;
  clock: Clock;
  log: Logger;
  /** mqtt.js connect; tests inject a fake or wrap the real one to reach the client. */
  connect?: typeof mqttConnect;
  /** Jitter source for reconnect delays (tests make it deterministic). */
  random?: () => number;
  /** What the retained birth message says; without it no birth is published. */
  birth?: BirthInfo;
  /** The config hash and db_id every batch carries (`cfg`, `db`); absent in tests that do not check them. */
  origin?: BatchOrigin;
  /** The supervisor's commands (status, config…); without it only ping and resend are served. */
  control?: AgentControl;
  /** Where `passwordEnv` is looked up; default process.env. */
  env?: NodeJS.ProcessEnv;
}
