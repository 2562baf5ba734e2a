import { aggregatesTopic, encodeAggregatesPayload } from './aggregatesPayload.js';
import { MqttCommands } from './mqttCommands.js';
import { resend } from './mqttResend.js';
import type { MqttUplinkDeps } from './mqttUplinkDeps.js';
import { encodeReadingsBatch, type WirePayload } from './payloadEncoding.js';
import { readingsBatch } from './readingsPayload.js';

/**
 * The command handler of one MQTT uplink: its allow-list, the supervisor's control, and `resend`
 * publishing on the uplink's own connection (a resend reads the uplink's stores, outside its cursors).
 */
export function uplinkCommands(
  deps: MqttUplinkDeps,
  readingsAt: string,
  publish: (topic: string, payload: string | WirePayload) => Promise<unknown>,
): MqttCommands {
  const { config, stationId, clock, log } = deps;
  const aggregatesAt = aggregatesTopic(config.topicPrefix, stationId);
  return new MqttCommands({
    topicPrefix: config.topicPrefix,
    stationId,
    allow: config.commands.allow,
    ...(deps.control ? { control: deps.control } : {}),
    log,
    resend: (req) =>
      resend(req, {
        store: deps.store,
        ...(deps.aggregates ? { aggregates: deps.aggregates } : {}),
        maxRows: config.batch.maxReadings,
        rate: config.commands.resendRate,
        clock,
        // Resent rows are historical by definition: they were committed before the request.
        publishReadings: (rows) =>
          publish(
            readingsAt,
            encodeReadingsBatch(
              config.payload.encoding,
              readingsBatch(stationId, rows, { historical: true, origin: deps.origin }),
            ),
          ),
        publishAggregates: (rows) =>
          publish(aggregatesAt, encodeAggregatesPayload(stationId, rows, deps.origin)),
      }),
  });
}
