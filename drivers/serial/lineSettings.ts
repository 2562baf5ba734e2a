/**
 * The settings a serial line runs with, as the protocol layer needs them: a `buses:` entry of type
 * serial or rtu-over-tcp (agent/config/busSchema.ts) satisfies them, and the compiler checks it where
 * the agent hands its config over (agent/app/createBus.ts). Declared here so drivers/ needs nothing
 * of the agent's config.
 */

/** Reconnect backoff bounds, ms. */
export interface ReconnectSettings {
  min: number;
  max: number;
}

/** Timing workarounds for difficult devices and converters, ms; unset ones take the documented defaults. */
export interface LineWorkarounds {
  pauseBetweenRequests?: number | undefined;
  pauseAfterOpen: number;
  guardTime?: number | undefined;
}

export interface SerialBusSettings {
  id: string;
  type: 'serial';
  port: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
  timeout: number;
  retries: number;
  reconnect: ReconnectSettings;
  workarounds: LineWorkarounds;
}

export interface RtuOverTcpBusSettings {
  id: string;
  type: 'rtu-over-tcp';
  host: string;
  port: number;
  timeout: number;
  retries: number;
  reconnect: ReconnectSettings;
  workarounds: LineWorkarounds;
}
