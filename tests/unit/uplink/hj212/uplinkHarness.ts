import type { Socket } from 'node:net';
import type Database from 'better-sqlite3';
import { pino } from 'pino';
import { hj212UplinkSchema } from '../../../../agent/config/hj212Schema.js';
import { aggregationSchema } from '../../../../agent/config/qualitySchema.js';
import type { StationConfig } from '../../../../agent/config/schema.js';
import { AggregateStore } from '../../../../agent/store/aggregateStore.js';
import { openDatabase } from '../../../../agent/store/openDatabase.js';
import { Outbox } from '../../../../agent/store/outbox.js';
import { ReadingStore } from '../../../../agent/store/readingStore.js';
import { UplinkSettingsStore } from '../../../../agent/store/uplinkSettings.js';
import { Hj212Uplink, type Hj212UplinkDeps } from '../../../../agent/uplink/hj212/hj212Uplink.js';
import type { CodecOptions } from '../../../../drivers/hj212/codec.js';
import { sm4KeyFromText } from '../../../../drivers/hj212/sm4.js';
import { FakeClock, flush } from '../../../helpers/fakeClock.js';
import { FakePlatform, FakeSocket } from './fakePlatform.js';

/** 2024-06-01 08:00:00 in Asia/Shanghai. */
export const T0 = Date.UTC(2024, 5, 1, 0, 0, 0);
export const MN = '010000A8900016F000169DC0';

export const DEVICES = [
  {
    id: 'nutrient',
    enabled: true,
    channels: [
      { id: 'cod', code: 'w01018', unit: 'mg/L' },
      { id: 'ph', code: 'w01001' },
    ],
  },
] as unknown as StationConfig['devices'];

/**
 * An HJ 212 uplink on a fake clock, an in-memory store and fake sockets: the test connects a
 * socket when it wants (`connect()`), plays the platform (FakePlatform) and commits readings.
 */
export class UplinkHarness {
  readonly clock = new FakeClock({ wall: T0 });
  readonly db: Database.Database;
  readonly readings: ReadingStore;
  readonly aggregates: AggregateStore;
  readonly cursors: Outbox;
  readonly settings: UplinkSettingsStore;
  readonly sockets: FakeSocket[] = [];
  readonly setTimes: number[] = [];
  uplink!: Hj212Uplink;
  private config: Record<string, unknown>;

  constructor(
    config: Record<string, unknown> = {},
    db?: Database.Database,
    /** A logger and metrics to observe the uplink with (default: silent, none). */
    private readonly observe: Partial<Pick<Hj212UplinkDeps, 'log' | 'metrics'>> = {},
  ) {
    this.db = db ?? openDatabase({ path: ':memory:', log: pino({ level: 'silent' }) });
    this.readings = new ReadingStore({ db: this.db });
    this.aggregates = new AggregateStore({ db: this.db });
    this.cursors = new Outbox({ db: this.db, clock: this.clock });
    this.settings = new UplinkSettingsStore({ db: this.db, clock: this.clock });
    this.config = {
      id: 'up',
      type: 'hj212',
      host: 'platform',
      port: 6000,
      version: 2025,
      mn: MN,
      pw: '123456',
      st: 21,
      rtdInterval: '30s',
      timeout: '1s',
      retries: 1,
      heartbeat: '0s',
      reconnect: { min: '100ms', max: '100ms' },
      ...config,
    };
    // The heartbeat is 2025 only (the schema says so); tests turn it on where they need it.
    if (this.config.version === 2017 && config.heartbeat === undefined) delete this.config.heartbeat;
    this.build();
  }

  /** A new uplink on the same store (a restart). */
  build(): Hj212Uplink {
    this.uplink = new Hj212Uplink({
      config: hj212UplinkSchema.parse(this.config),
      station: { devices: DEVICES, timezone: 'Asia/Shanghai', aggregation: aggregationSchema.parse({}) },
      readings: this.readings,
      aggregates: this.aggregates,
      cursors: this.cursors,
      settings: this.settings,
      clock: this.clock,
      log: this.observe.log ?? pino({ level: 'silent' }),
      ...(this.observe.metrics ? { metrics: this.observe.metrics } : {}),
      connect: () => {
        const s = new FakeSocket();
        this.sockets.push(s);
        return s as unknown as Socket;
      },
      random: () => 0,
      setSystemTime: async (ms) => {
        this.setTimes.push(ms);
      },
    });
    return this.uplink;
  }

  /** Completes the pending connection attempt; returns the platform end of it. */
  async connect(codec: CodecOptions = {}): Promise<FakePlatform> {
    const socket = this.sockets.at(-1);
    if (socket === undefined || socket.destroyed) throw new Error('no connection attempt pending');
    const platform = new FakePlatform(socket, codec);
    socket.emit('connect');
    await flush();
    return platform;
  }

  /** A codec for the platform end with this SM4 key. */
  static sm4(key: string): CodecOptions {
    return { sm4: { key: sm4KeyFromText(key), encoding: 'raw' } };
  }

  /** Commits one poll of the nutrient analyzer stamped `ts`. */
  poll(ts: number, cod: number | null = 22.5, ph = 7.5, flag: 'N' | 'B' = 'N'): void {
    const base = { ts, device: 'nutrient', unit: null, flag };
    this.readings.append([
      { ...base, channel: 'cod', code: 'w01018', unit: 'mg/L', value: cod },
      { ...base, channel: 'ph', code: 'w01001', value: ph },
    ]);
  }

  /** Moves the clock to wall time `wall` (forward only), firing timers on the way. */
  async until(wall: number): Promise<void> {
    await this.clock.advance(Math.max(0, wall - this.clock.now()));
  }

  /** stop() waits up to 1 s (fake time) for answers still due: time must move meanwhile. */
  async stop(): Promise<void> {
    const stopped = this.uplink.stop();
    await this.clock.advance(1000);
    await stopped;
  }

  cursor(name: string): number {
    return this.cursors.cursor(`up#${name}`);
  }
}
