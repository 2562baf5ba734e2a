import type { MqttUplinkConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { AgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { StoredReading } from '../core/reading.js';
import type { AggregateStore, StoredAggregate } from '../store/aggregateStore.js';
import type { EventStore, StoredEvent } from '../store/eventStore.js';
import type { Outbox } from '../store/outbox.js';
import type { ReadingStore } from '../store/readingStore.js';
import { aggregatesTopic, encodeAggregatesPayload } from './aggregatesPayload.js';
import type { BatchOrigin } from './batchOrigin.js';
import { encodeEventsPayload, eventsTopic } from './eventsPayload.js';
import { aggregateSource, eventSource, readingSource } from './outboxSource.js';
import { OutboxStream } from './outboxStream.js';
import { PacketFit } from './packetFit.js';
import { encodeReadingsBatch, type WirePayload } from './payloadEncoding.js';
import { readingsBatch, readingsTopic } from './readingsPayload.js';

/**
 * The outbox streams one MQTT uplink forwards, each with its own cursor (uplink_cursors) and topic:
 * readings (key `<id>`), events (`<id>#events`) and aggregates (`<id>#aggregates`). "#" cannot occur
 * in an uplink id (config schema), so no uplink's key collides with another's.
 */
export interface MqttStreams {
  readings: OutboxStream<StoredReading>;
  events: OutboxStream<StoredEvent> | null;
  aggregates: OutboxStream<StoredAggregate> | null;
  readingsTopic: string;
}

export interface MqttStreamsDeps {
  config: MqttUplinkConfig;
  stationId: string;
  store: ReadingStore;
  aggregates?: AggregateStore;
  events?: EventStore;
  origin?: BatchOrigin;
  cursors: Outbox;
  clock: Clock;
  log: Logger;
}

export function mqttStreams(
  deps: MqttStreamsDeps,
  publish: (topic: string, payload: string | WirePayload) => Promise<unknown>,
  isHistorical: (rows: readonly StoredReading[]) => boolean,
  /** The largest packet the broker takes now: batch.maxBytes, or less when the broker said so. */
  maxPacketBytes: () => number = () => deps.config.batch.maxBytes,
): MqttStreams {
  const { config, stationId, origin } = deps;
  /** A stream's fit and send: each batch within maxPacketBytes, encoded once (packetFit.ts). */
  const sized = <Row>(stream: string, topic: string, encode: (rows: Row[]) => string | WirePayload) => {
    const packets = new PacketFit<Row>({ stream, topic, encode, maxPacketBytes, log: deps.log });
    return {
      fit: (rows: Row[]) => packets.fit(rows),
      send: (rows: Row[]) => publish(topic, packets.payload(rows)),
    };
  };
  const common = {
    cursors: deps.cursors,
    clock: deps.clock,
    log: deps.log,
    batch: { maxRows: config.batch.maxReadings, maxDelay: config.batch.maxDelay },
    maxInFlight: config.maxInFlight,
  };
  const readingsAt = publishTopic(config.id, readingsTopic(config.topicPrefix, stationId));
  const readings = new OutboxStream({
    ...common,
    name: 'readings',
    // The bare uplink id: the key the readings cursor had before there were several streams.
    cursorKey: config.id,
    source: readingSource(deps.store),
    // Readings committed after connecting go beside a backlog, not behind it (docs/mqtt-contract.md).
    liveLane: true,
    ...sized<StoredReading>('readings', readingsAt, (rows) =>
      encodeReadingsBatch(
        config.payload.encoding,
        readingsBatch(stationId, rows, { historical: isHistorical(rows), origin }),
      ),
    ),
  });
  let aggregates: OutboxStream<StoredAggregate> | null = null;
  if (deps.aggregates !== undefined) {
    const aggregatesAt = publishTopic(config.id, aggregatesTopic(config.topicPrefix, stationId));
    aggregates = new OutboxStream({
      ...common,
      name: 'aggregates',
      cursorKey: `${config.id}#aggregates`,
      source: aggregateSource(deps.aggregates),
      ...sized<StoredAggregate>('aggregates', aggregatesAt, (rows) =>
        encodeAggregatesPayload(stationId, rows, origin),
      ),
    });
  }
  let events: OutboxStream<StoredEvent> | null = null;
  if (deps.events !== undefined) {
    // A wiring bug, not bad input: an event batch without the db_id could not be deduplicated.
    if (origin === undefined)
      throw new Error(`uplink ${config.id}: an events stream needs the origin (db_id)`);
    const eventsAt = publishTopic(config.id, eventsTopic(config.topicPrefix, stationId));
    events = new OutboxStream({
      ...common,
      name: 'events',
      cursorKey: `${config.id}#events`,
      source: eventSource(deps.events),
      ...sized<StoredEvent>('events', eventsAt, (rows) => encodeEventsPayload(stationId, origin.db, rows)),
    });
  }
  return { readings, events, aggregates, readingsTopic: readingsAt };
}

/** A wildcard in a publish topic is a protocol error: the broker would drop the connection on every batch. */
export function publishTopic(uplink: string, topic: string): string {
  if (/[+#\0]/.test(topic)) {
    throw new AgentError(
      'CONFIG_INVALID',
      `uplink ${uplink}: topic "${topic}" contains +, # or NUL (check station.id and topicPrefix)`,
      { uplink },
    );
  }
  return topic;
}
