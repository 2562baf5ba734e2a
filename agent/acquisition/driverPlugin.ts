import type { ByteExchange } from '../../drivers/ascii/asciiDevicePoller.js';
import type { RegisterReader } from '../../drivers/modbus/devicePoller.js';
import type { RtuBusStats } from '../../drivers/modbus/rtuBus.js';
import type { BusStats } from '../../drivers/modbus/tcpBus.js';
import type { BusConfig, DeviceConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { AgentError, ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { PollResult } from '../core/pollOutcome.js';
import type { LoggerAggregateRecord } from './hj212Input/inputTypes.js';
import type { SeenPort } from './hj212Input/seenPort.js';

/**
 * The driver seam (issue 15): what the agent needs to know about a field protocol without knowing
 * the protocol. The plugins the agent is built with are listed in agent/app/plugins.ts
 * (DRIVER_PLUGINS); the protocols' own code stays in drivers/<protocol>/, and each plugin only hands
 * the validated config to its factories there (the compiler checks that the config satisfies the
 * settings the driver declares). Every member of DriverPlugin is required, so a plugin that leaves
 * one out does not compile (tests/types/driverPlugin.typetest.ts).
 */

export type BusType = BusConfig['type'];
export type BusConfigOf<T extends BusType> = Extract<BusConfig, { type: T }>;

/** What a driver's factories get from the composition root; `log` is already the bus's or device's child. */
export interface DriverDeps {
  clock: Clock;
  log: Logger;
  /** The station's time zone (HJ 212 DataTime carries none); absent: Asia/Shanghai. */
  timeZone?: string;
  /**
   * Durable memory of the values a pushed driver already took (the HJ 212 input's dedupe, backed by
   * agent/store/inputSeenStore.ts), so a re-send after an agent restart is still dropped. Absent
   * (the CLI, tests): the driver keeps it in memory.
   */
  seen?: SeenPort;
  /**
   * Where records a device computed itself are kept (a data logger's minute/hour/day values, beside
   * the agent's own aggregates). Absent: they are counted and dropped.
   */
  keepDeviceAggregates?: (records: readonly LoggerAggregateRecord[]) => void;
}

/** What the agent needs of any bus: the poller reads through it, the agent starts and stops it. */
export interface FieldBus extends RegisterReader {
  readonly id: string;
  readonly timeoutMs: number;
  /** Resends after a timeout (the bus's `retries`); absent where the bus does not say. */
  readonly retries?: number;
  start(): void;
  stop(): Promise<void>;
  /** Resolves true once connected/open, or false after `waitMs`. */
  ready(waitMs: number): Promise<boolean>;
  isConnected(): boolean;
  stats(): BusStats | RtuBusStats;
  /** The raw byte line of a serial bus, shared with ASCII analyzers on it; absent on Modbus TCP. */
  readonly exchange?: ByteExchange;
}

/** How a driver builds one kind of `buses:` entry, and names it for `read` and its messages. */
export interface BusKind<B extends BusConfig> {
  create(config: B, deps: DriverDeps): FieldBus;
  /** One line naming the bus, e.g. "Modbus TCP 10.0.0.5:502" or "serial /dev/ttyUSB0 9600 8N1". */
  describe(config: B): string;
}

/** The bus types a driver builds buses for; a driver that only talks on others' buses has none. */
export type BusKinds = { readonly [K in BusType]?: BusKind<BusConfigOf<K>> };

/** A device the agent asks on its interval (Modbus, ASCII, DL/T 645). poll() never rejects. */
export interface PolledSource {
  readonly kind: 'polled';
  poll(): Promise<PollResult>;
}

/**
 * Where a pushed driver delivers. Results are stored and checked exactly as a poll's (same quality
 * control, store, device state and status page: agent/acquisition/deviceAcquisition.ts).
 */
export interface PushSink {
  /**
   * One device reading cycle, shaped as a poll's result (readings with ts of the measurement).
   * Resolves once its readings are durable in the store, rejects when they could not be committed:
   * a driver that acknowledges what it received (the HJ 212 input's 9014) waits for it, so an answer
   * never goes out for a reading a power cut could still take.
   */
  result(result: PollResult): Promise<void>;
  /** The link the readings arrive on is gone (socket closed, line silent): shown as the device's error. */
  linkLost(error: AgentError): void;
  /** The link is back; the next result decides whether the device is ok. */
  linkResumed(): void;
}

/**
 * A device whose readings arrive on their own time: a passive RS-485 listener hearing another
 * master's answers, an HJ 212 server fed by a data logger. The agent calls start once and stop once.
 */
export interface PushedSource {
  readonly kind: 'pushed';
  start(sink: PushSink): void;
  /** No result is delivered after the returned promise resolves. */
  stop(): Promise<void>;
  /** What the driver counts for this device (shown in /api/status and /metrics); optional. */
  status?(): PushedStatus;
}

/** A pushed device's own counters, beside the poll-shaped ones of its DeviceStatus. */
export interface PushedStatus {
  /** Uploads (frames) taken for the device. */
  received: number;
  /** Values dropped because they were already taken (a re-send). */
  duplicates: number;
  /** Values under a code no channel of the device maps, per code. */
  unknownCodes: Record<string, number>;
  /** Uploads answered (HJ 212: 9014). */
  answered: number;
  /** Records the device computed itself (logger minute/hour/day values) that were kept. */
  deviceAggregates: number;
}

export type DeviceSource = PolledSource | PushedSource;

/** What the `read` and `scan` commands need of a protocol. */
export interface DriverCliSupport {
  /** How `read` names a device of this driver in its heading, e.g. "unit 3" or "ASCII". */
  describeDevice(device: DeviceConfig): string;
  /** Whether `scan` finds devices of this protocol (Modbus unit ids; DL/T 645 meters with --meters). */
  readonly scan: boolean;
  /**
   * Whether `read --listen` can hear this driver's devices on a serial line another master polls
   * (Modbus RTU answers); `scan --listen` is the line's census, whatever the drivers.
   */
  readonly listen: boolean;
}

export interface DriverPlugin {
  /** Stable name: logs, docs, the plugin list. */
  readonly name: string;
  /** The bus types this driver builds buses for (each type has exactly one builder in DRIVER_PLUGINS). */
  readonly buses: BusKinds;
  /**
   * Whether this driver polls or listens to the device (e.g. a device with an `ascii` block). The
   * list is asked in order and the first claim wins, so the default driver (Modbus) comes last.
   * `bus` is the device's `buses:` entry (a device on a listen bus is the listener's).
   */
  claims(device: DeviceConfig, bus: BusConfig): boolean;
  /** The device's acquisition: polled on its interval, or pushed by the driver. */
  createSource(device: DeviceConfig, bus: FieldBus, deps: DriverDeps): DeviceSource;
  /** The stable codes its errors carry (agent/core/errors.ts, each documented in docs/errors.md). */
  readonly errorCodes: readonly ErrorCode[];
  readonly cli: DriverCliSupport;
}

/** The drivers the agent is built with, asked in order (agent/app/plugins.ts). */
export type DriverPluginList = readonly DriverPlugin[];

/** The bus types some plugin of the list builds. */
export type BuiltBusTypes<L extends DriverPluginList> = {
  [I in keyof L]: keyof L[I]['buses'];
}[number];

/** The list's first plugin claiming the device; throws when none does (a list without a default). */
export function driverFor(list: DriverPluginList, device: DeviceConfig, bus: BusConfig): DriverPlugin {
  const plugin = list.find((p) => p.claims(device, bus));
  if (!plugin) throw new Error(`device ${device.id}: no driver claims it`);
  return plugin;
}

/** The builder of a bus type in the list; throws when none builds it (the list's type prevents it). */
export function busKindFor<T extends BusType>(list: DriverPluginList, type: T): BusKind<BusConfigOf<T>> {
  for (const p of list) {
    const kind = p.buses[type] as BusKind<BusConfigOf<T>> | undefined;
    if (kind) return kind;
  }
  throw new Error(`no driver builds buses of type ${type}`);
}
