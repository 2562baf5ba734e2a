/** Stable error codes: log lines, metrics and tests key on these, never on message text. See docs/errors.md. */
export const ERROR_CODES = {
  CONFIG_INVALID: 'the configuration file has problems; each is listed with file:line:column',
  CONFIG_UNREADABLE: 'the configuration file could not be read',
  CONFIG_WARNING:
    'the configuration is valid but a setting is probably not what was meant (e.g. a Modicon-style address)',
  MODBUS_TIMEOUT: 'the analyzer did not answer within the bus timeout',
  MODBUS_EXCEPTION: 'the analyzer answered with a Modbus exception',
  MODBUS_DISCONNECTED: 'the connection to the bus was lost or could not be opened',
  DEVICE_ISOLATED:
    'the device was not asked in this slot: it stopped answering and is probed at a reduced rate',
  MODBUS_BAD_RESPONSE: 'the answer could not be decoded (wrong length, CRC or function)',
  LISTEN_SILENT:
    "a device on a listen bus: no answer covering its registers passed for silentAfterIntervals of the other master's intervals",
  LISTEN_PORT_CLOSED:
    'the serial port of a listen bus could not be opened or went away; it is reopened with the bus reconnect backoff',
  ASCII_TIMEOUT: 'the text-protocol analyzer did not complete its answer within the timeout',
  ASCII_DISCONNECTED: 'the line to the text-protocol analyzer was lost or could not be opened',
  ASCII_BAD_RESPONSE: 'the text answer was garbage, did not match the pattern, or failed its checksum',
  DLT645_TIMEOUT:
    'the electricity meter gave no valid DL/T 645 answer within the timeout, after every resend',
  DLT645_METER_ERROR: 'the electricity meter refused a read with a DL/T 645 error answer',
  DLT645_BAD_ANSWER: 'a DL/T 645 answer cannot be what was asked (wrong length, not BCD, out of sequence)',
  DLT645_UNKNOWN_IDENTIFIER: 'the DL/T 645 codec has no layout for the data identifier',
  DLT645_LINE_ERROR: 'the line to the electricity meters was lost, could not be written, or was closed',
  STORE_FAILED: 'the local SQLite store could not commit',
  STORE_CORRUPT:
    'the database file is damaged or not a station database: set aside at start, or the agent exits with code 74',
  STORE_FULL:
    'the local store could not write: disk or database full (SQLITE_FULL, ENOSPC, write I/O error); space is freed by eviction (docs/storage.md) and the write retried',
  UPLINK_PUBLISH_FAILED: 'a batch could not be published upstream',
  UPLINK_TLS_FAILED:
    'the TLS connection to the MQTT broker failed (unknown CA, name mismatch, expired or refused certificate)',
  UPLINK_AUTH_FAILED: 'the MQTT broker refused the user name or password, or did not authorise the station',
  UPLINK_PROTOCOL_REFUSED:
    'the MQTT broker refused the protocol version asked for (MQTT 5 on a 3.1.1-only broker, or the reverse)',
  UPLINK_CONNECT_FAILED:
    'the MQTT broker could not be reached or refused the connection (connection refused, host not found, timeout, CONNACK refusal)',
  UPLINK_CONNECTION_LOST:
    'an established uplink connection was lost (network, broker restart, keepalive timeout)',
  UPLINK_CREDENTIALS_UNREADABLE:
    'a TLS file or the password of an MQTT uplink could not be read when connecting',
  PAYLOAD_INVALID:
    'a received readings payload could not be decoded (unknown encoding, corrupt or inconsistent)',
  HJ212_REQUEST_REFUSED: 'an HJ 212 platform request was refused (wrong MN/password, CRC, CN or parameter)',
  HJ212_INPUT_SILENT:
    "no HJ 212 upload from the station's data logger for the device's interval times the bus's linkLostAfter",
  COMMAND_REFUSED: "a remote MQTT command was refused: not in the uplink's commands.allow",
  CONFIG_ROLLED_BACK: 'a config applied by config/set left every device failing and was rolled back',
  AUDIT_FAILED: 'a configuration change could not be written to the audit log',
  WATCHDOG_STALL:
    'the self-watchdog found the event loop or acquisition stalled; the agent exits with code 70',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorContext {
  device?: string;
  bus?: string;
  uplink?: string;
  [key: string]: unknown;
}

export class AgentError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentError';
    this.code = code;
    this.context = context;
  }
}

export function isAgentError(err: unknown, code?: ErrorCode): err is AgentError {
  return err instanceof AgentError && (code === undefined || err.code === code);
}
