import type { IClientOptions, MqttClient, connect as mqttConnect } from 'mqtt';
import type { MqttUplinkConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { ConnectFailureLog, describeConnectFailure, hostOf } from './mqttConnectFailure.js';
import { type MqttWireVersion, ProtocolVersionChoice } from './mqttProtocol.js';
import { secureConnectOptions } from './mqttSecurity.js';
import { LastConnectionError, type UplinkLastError } from './uplinkError.js';

/**
 * The connecting side of one MQTT uplink: builds each attempt's client (credentials read afresh,
 * the protocol version of the moment, the will), and makes sense of how attempts end: the protocol
 * fallback (mqttProtocol.ts), the failure log (once per kind), and the last error the status shows.
 * The uplink owns the connection once it is up.
 */
export interface MqttConnectorDeps {
  config: MqttUplinkConfig;
  stationId: string;
  /** Where the will (retained `offline`) goes. */
  statusTopic: string;
  clock: Clock;
  log: Logger;
  connect: typeof mqttConnect;
  env: NodeJS.ProcessEnv;
}

export interface AttemptEnd {
  reason: string;
  code: string;
  /** Connect again at once (the 3.1.1 fallback) instead of after the backoff. */
  immediately: boolean;
}

export class MqttConnector {
  private readonly deps: MqttConnectorDeps;
  private readonly protocol: ProtocolVersionChoice;
  private readonly failureLog: ConnectFailureLog;
  private readonly lastError: LastConnectionError;

  constructor(deps: MqttConnectorDeps) {
    this.deps = deps;
    this.protocol = new ProtocolVersionChoice(deps.config.protocolVersion);
    this.failureLog = new ConnectFailureLog({ log: deps.log, uplink: deps.config.id, url: deps.config.url });
    this.lastError = new LastConnectionError(deps.clock);
  }

  /** Why the uplink is not connected; null while connected (and before the first attempt ends). */
  get error(): UplinkLastError | null {
    return this.lastError.current;
  }

  /** A client for the next attempt, or null when none can be made (logged; retry after the backoff). */
  open(): { client: MqttClient; version: MqttWireVersion } | null {
    const { config, stationId, log } = this.deps;
    const secure = secureConnectOptions(config, this.deps.env);
    if (!secure.ok) {
      const problems = secure.problems.map((p) => `${p.path.join('.')}: ${p.message}`);
      log.error(
        { code: 'UPLINK_CREDENTIALS_UNREADABLE', uplink: config.id, problems },
        'uplink cannot read its credentials',
      );
      this.lastError.failed(
        `credentials unreadable: ${problems.join('; ')}`,
        'UPLINK_CREDENTIALS_UNREADABLE',
      );
      return null;
    }
    const version = this.protocol.version;
    const options: IClientOptions = {
      clientId: config.clientId ?? `station-agent-${stationId}-${config.id}`,
      ...secure.options,
      keepalive: Math.max(1, Math.round(config.keepalive / 1000)),
      clean: true,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      // mqtt-packet's default pre-builds 65 536 two-byte Buffers (~6 MB of heap, docs/performance.md
      // workload 6) to save one tiny allocation per packet: not worth it at a station's packet rate.
      writeCache: false,
      // MQTT 5 for commands' response topic and correlation data; 3.1.1 for brokers without 5.
      protocolVersion: version,
      will: { topic: this.deps.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    try {
      return { client: this.deps.connect(config.url, options), version };
    } catch (err) {
      log.error({ err, uplink: config.id }, 'uplink could not create an MQTT client');
      this.lastError.failed(`could not create an MQTT client: ${String(err)}`, null);
      return null;
    }
  }

  /** The attempt with `version` was accepted by the broker. */
  connected(version: MqttWireVersion): void {
    const { config, log } = this.deps;
    if (this.protocol.connected(version)) {
      log.warn(
        { uplink: config.id, code: 'UPLINK_PROTOCOL_REFUSED', broker: hostOf(config.url) },
        'uplink: the broker closed MQTT 5 connections unanswered but accepts MQTT 3.1.1; staying on 3.1.1 until a reload',
      );
    }
    this.failureLog.reset();
    this.lastError.connected();
  }

  /** The attempt with `version` closed before the broker accepted it; `error`: its first client error. */
  attemptFailed(version: MqttWireVersion, error: Error | null): AttemptEnd {
    const { config, log } = this.deps;
    const failure = describeConnectFailure(error, {
      url: config.url,
      servername: config.tls?.servername,
      version,
    });
    const next = this.protocol.failed(version, failure.attempt);
    if (next.settledOn311) {
      // protocolVersion auto against a 3.1.1-only broker: said once, with the broker's answer.
      log.warn(
        { uplink: config.id, code: failure.code, answer: failure.answer, broker: hostOf(config.url) },
        'uplink: the broker refused MQTT 5; connecting with MQTT 3.1.1, kept until a reload',
      );
    } else {
      this.failureLog.report(failure, error, version);
      if (next.immediately) log.debug({ uplink: config.id }, 'uplink trying MQTT 3.1.1');
    }
    this.lastError.failed(failure.reason, failure.code);
    return { reason: failure.reason, code: failure.code, immediately: next.immediately };
  }

  /** The connection was lost or dropped (or an attempt ended): the status says so until it is back. */
  lost(reason: string, code: string | null): void {
    this.lastError.failed(reason, code);
  }
}
