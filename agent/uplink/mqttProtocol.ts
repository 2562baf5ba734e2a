import type { MqttProtocolSetting } from '../config/mqttProtocolSchema.js';

/**
 * Which MQTT version an uplink asks for at each connection attempt (`protocolVersion` of the config,
 * docs/mqtt-contract.md "Protocol version"). Pure decision logic: the uplink reports how each attempt
 * ended and asks what to do next.
 *
 * `auto` asks for MQTT 5 first. A broker that speaks only 3.1.1 answers the MQTT 5 CONNECT with
 * CONNACK return code 1 ("unacceptable protocol version": aedes, RabbitMQ before 3.13, EMQ X 2.x) or,
 * speaking 5, with reason code 132; some just close the connection without an answer. On the refusal
 * the uplink at once connects again with 3.1.1 and keeps 3.1.1 for the life of this uplink (until a
 * reload or restart builds a new one, which tries 5 again): a broker does not learn MQTT 5 between two
 * reconnects, and asking again every time would cost a refused connection per reconnect.
 *
 * A connection closed without any answer is not proof (a broker restarting or overloaded does the
 * same), so after one the next attempt tries 3.1.1 once: kept only if 3.1.1 connects; if it fails as
 * well, the version was not the problem and 5 is asked again. Once MQTT 5 has connected, a later
 * unanswered close is just a network or broker hiccup; only an explicit refusal still switches.
 */

/** The protocol version number mqtt.js takes: 5, or 4 for MQTT 3.1.1. */
export type MqttWireVersion = 5 | 4;

/** How a connection attempt ended before the broker accepted it. */
export type AttemptFailure =
  /** The broker answered with a non-zero CONNACK code (`code`: reason code 5, return code 3.1.1). */
  | { kind: 'refused'; code: number }
  /** The connection closed (or was reset) after it was open, with no CONNACK. */
  | { kind: 'no-answer' }
  /** Anything else: not reachable, TLS, timeout before the TCP connection opened… */
  | { kind: 'other' };

export interface NextAttempt {
  version: MqttWireVersion;
  /** Connect again at once instead of after the backoff delay: this is the 3.1.1 fallback. */
  immediately: boolean;
  /** The broker refused MQTT 5 for sure and the uplink now stays on 3.1.1: say so (once). */
  settledOn311: boolean;
}

/** CONNACK codes meaning "I do not speak the protocol version you asked for". */
export function isProtocolRefusal(code: number): boolean {
  // 1: MQTT 3.1.1 return code "unacceptable protocol version" (a 3.1.1 broker answering a v5 CONNECT);
  // 132 (0x84): MQTT 5 reason code "unsupported protocol version".
  return code === 1 || code === 132;
}

export function wireVersionLabel(version: MqttWireVersion): '5' | '3.1.1' {
  return version === 5 ? '5' : '3.1.1';
}

type AutoState =
  /** Asking for 5 (start, or after a 3.1.1 trial that did not connect). */
  | 'ask-5'
  /** MQTT 5 has connected: the broker speaks it. */
  | 'spoke-5'
  /** 5 went unanswered once: this attempt tries 3.1.1 to see whether that was the reason. */
  | 'trial-311'
  /** 3.1.1 for the rest of this uplink's life. */
  | 'settled-311';

export class ProtocolVersionChoice {
  private state: AutoState = 'ask-5';

  constructor(private readonly setting: MqttProtocolSetting) {}

  /** The version of the next attempt. */
  get version(): MqttWireVersion {
    if (this.setting === '5') return 5;
    if (this.setting === '3.1.1') return 4;
    return this.state === 'ask-5' || this.state === 'spoke-5' ? 5 : 4;
  }

  /**
   * The attempt with `version` connected. True when this settles `auto` on 3.1.1 after MQTT 5 went
   * unanswered (worth saying once: the broker never said why).
   */
  connected(version: MqttWireVersion): boolean {
    if (this.setting !== 'auto') return false;
    const trial = this.state === 'trial-311';
    // A 3.1.1 connection after an unanswered 5: that was the reason, so stay on 3.1.1.
    this.state = version === 4 ? 'settled-311' : 'spoke-5';
    return trial && version === 4;
  }

  /** The attempt with `version` failed: what the next one asks for, and whether it waits the backoff. */
  failed(version: MqttWireVersion, failure: AttemptFailure): NextAttempt {
    if (this.setting !== 'auto') return { version: this.version, immediately: false, settledOn311: false };
    if (version === 5 && this.state !== 'settled-311') {
      if (failure.kind === 'refused' && isProtocolRefusal(failure.code)) {
        this.state = 'settled-311';
        return { version: 4, immediately: true, settledOn311: true };
      }
      if (failure.kind === 'no-answer' && this.state === 'ask-5') {
        this.state = 'trial-311';
        return { version: 4, immediately: true, settledOn311: false };
      }
      return { version: 5, immediately: false, settledOn311: false };
    }
    // A 3.1.1 trial that failed too: the broker was down, not old. Ask for 5 again after the backoff.
    if (this.state === 'trial-311') this.state = 'ask-5';
    return { version: this.version, immediately: false, settledOn311: false };
  }
}
