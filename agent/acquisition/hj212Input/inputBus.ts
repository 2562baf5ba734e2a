import { SM4_PRESETS } from '../../../drivers/hj212/sm4Layout.js';
import type { BusStats } from '../../../drivers/modbus/tcpBus.js';
import type { DeviceConfig, Hj212ServerBusConfig } from '../../config/schema.js';
import type { DriverDeps, FieldBus } from '../driverPlugin.js';
import { createHj212InputServer, type Hj212InputServer } from './hj212InputServer.js';
import type { LoggerAggregates, LoggerConfig, LoggerPollResult } from './inputTypes.js';
import { LoggerSource } from './loggerSource.js';

/**
 * An `hj212-server` bus: the HJ 212 input server (hj212InputServer.ts) for every logger device on
 * it. The devices register while the agent is built (createSource) and the server is created with
 * their MNs when the bus starts, so one port serves all the loggers of the entry. It is a FieldBus
 * only so the agent starts, stops and watches it like any line: it has no registers to read.
 */
export class Hj212InputBus implements FieldBus {
  readonly id: string;
  /** How long the agent waits for the listen before starting the devices anyway. */
  readonly timeoutMs = 5000;
  private readonly sources = new Map<string, LoggerSource>();
  private readonly loggers: LoggerConfig[] = [];
  private server: Hj212InputServer | undefined;
  private listening: Promise<boolean> | undefined;
  private up = false;
  private listenFailures = 0;

  constructor(
    private readonly config: Hj212ServerBusConfig,
    private readonly deps: DriverDeps,
  ) {
    this.id = config.id;
  }

  /** The pushed source of a logger device on this bus; must come before start(). */
  register(device: DeviceConfig): LoggerSource {
    if (this.server !== undefined)
      throw new Error(`device ${device.id}: bus ${this.id} is already listening; register before start`);
    const logger = loggerOf(device);
    this.loggers.push(logger);
    const source = new LoggerSource({
      device,
      linkLostAfter: this.config.linkLostAfter,
      clock: this.deps.clock,
      counters: () => this.server?.counters().byMn[logger.mn.trim().toUpperCase()],
    });
    this.sources.set(device.id, source);
    return source;
  }

  start(): void {
    if (this.server !== undefined) return;
    const { clock, log } = this.deps;
    const server = createHj212InputServer({
      host: this.config.host,
      port: this.config.port,
      loggers: this.loggers,
      ...(this.deps.timeZone !== undefined ? { timeZone: this.deps.timeZone } : {}),
      ...(this.deps.seen !== undefined ? { seen: this.deps.seen } : {}),
      maxConnections: this.config.maxConnections,
      log,
      now: () => clock.now(),
      onRealtime: (r) => this.realtime(r),
      onAggregates: (r) => this.aggregates(r),
    });
    this.server = server;
    this.listening = server.start().then(
      (address) => {
        this.up = true;
        log.info({ ...address, loggers: this.loggers.length }, 'hj212 input: listening for the data logger');
        return true;
      },
      (err: unknown) => {
        // A port taken by another program: the devices show their link lost; nothing retries the listen.
        this.listenFailures++;
        log.error({ err, port: this.config.port }, 'hj212 input: cannot listen');
        return false;
      },
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.up = false;
    if (server === undefined) return;
    await this.listening;
    await server.stop();
  }

  async ready(waitMs: number): Promise<boolean> {
    if (this.listening === undefined) return false;
    let timer: ReturnType<DriverDeps['clock']['setTimeout']> | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = this.deps.clock.setTimeout(() => resolve(false), waitMs);
    });
    const ok = await Promise.race([this.listening, late]);
    if (timer !== undefined) this.deps.clock.clearTimeout(timer);
    return ok;
  }

  /** Listening: the line is "up" while the port is open (a logger's silence is its device's link). */
  isConnected(): boolean {
    return this.up;
  }

  stats(): BusStats {
    const c = this.server?.counters();
    const refused = Object.values(c?.refused ?? {}).reduce((a, b) => a + b, 0);
    return {
      transactions: c?.framesOk ?? 0,
      timeouts: 0,
      exceptions: 0,
      badResponses: refused,
      reconnects: Math.max(0, (c?.connections ?? 0) - 1),
      connectFailures: this.listenFailures,
      connected: this.up,
    };
  }

  /** FieldBus carries Modbus's read(): a logger is not asked, it sends. */
  read(): Promise<number[]> {
    return Promise.reject(
      new Error(`bus ${this.id} is an HJ 212 input: it receives uploads and has no registers to read`),
    );
  }

  /** A 2011 upload: to its device's sink; throws (no 9014, the logger re-sends) when it is not running. */
  private realtime(r: LoggerPollResult): Promise<void> {
    const source = this.sources.get(r.device);
    if (source === undefined) throw new Error(`hj212 input: no device ${r.device} on bus ${this.id}`);
    return source.deliver(r.result);
  }

  /** A 2051/2061/2031 upload: kept beside the agent's own records; a store error means no 9014. */
  private aggregates(r: LoggerAggregates): void {
    const keep = this.deps.keepDeviceAggregates;
    if (keep !== undefined) keep(r.records);
    this.sources.get(r.device)?.aggregatesKept(keep === undefined ? 0 : r.records.length);
  }
}

/** The input's view of a logger device (the config check guarantees the block and the codes). */
export function loggerOf(device: DeviceConfig): LoggerConfig {
  const block = device.logger;
  if (block === undefined)
    throw new Error(`device ${device.id}: an hj212-server device needs a logger block`);
  const channels = device.channels.map((ch) => {
    if (ch.code === undefined) throw new Error(`device ${device.id}: channel ${ch.id} has no code`);
    return { id: ch.id, code: ch.code, unit: ch.unit ?? null };
  });
  return {
    device: device.id,
    mn: block.mn,
    pw: block.pw,
    version: block.version,
    ...(block.sm4Key !== undefined ? { sm4Key: block.sm4Key } : {}),
    ...(block.sm4Layout !== undefined ? { sm4Layout: SM4_PRESETS[block.sm4Layout] } : {}),
    channels,
  };
}
