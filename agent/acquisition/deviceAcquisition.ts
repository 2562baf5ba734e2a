import type { DeviceConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { AgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { type MetricsSink, noMetrics } from '../core/metricsSink.js';
import { channelReading, type PollResult } from '../core/pollOutcome.js';
import type { DeviceQuality } from '../quality/deviceQuality.js';
import type { ReadingSink } from '../store/commitCoalescer.js';
import type { PushedSource, PushedStatus } from './driverPlugin.js';
import { createPollScheduler } from './pollScheduler.js';
import { pushedLoop } from './pushedLoop.js';
import { createUnitIsolation, pollVerdict } from './unitIsolation.js';

/** One device's acquisition loop: poll on schedule, commit the readings, keep counters for status. */
export interface DeviceAcquisition {
  readonly id: string;
  readonly bus: string;
  start(): void;
  stop(): Promise<void>;
  status(): DeviceStatus;
}

export interface DeviceStatus {
  id: string;
  bus: string;
  polls: number;
  failures: number;
  missedSlots: number;
  lastOkAt: number | null;
  storeErrors: number;
  /** Polled at the reduced rate because it stopped answering (see unitIsolation.ts). */
  isolated: boolean;
  /** Whether the last poll succeeded; null before the first. */
  lastPollOk: boolean | null;
  /** A pushed device whose link is lost (the line fell silent): nothing arrives, nothing is stored. */
  linkLost: boolean;
  /** Codes of the last poll's failed requests (empty when it succeeded). */
  lastErrors: string[];
  /**
   * Polls that reported each error code since the start (a poll with three timed-out requests counts
   * once); skipped slots of an isolated unit count under DEVICE_ISOLATED.
   */
  errorsByCode: Record<string, number>;
  /** The last stored value of each channel, for the status page. */
  values: ChannelValue[];
  /** Whether its results are pushed by its driver (a logger, a listener) rather than polled. */
  pushed: boolean;
  /** A pushed device's driver counters (HJ 212 input: duplicates, unknown codes…); absent when polled. */
  input?: PushedStatus;
}

export interface ChannelValue {
  channel: string;
  value: number | null;
  unit: string | null;
  flag: string;
  ts: number;
}

export interface DeviceAcquisitionDeps {
  device: DeviceConfig;
  /**
   * The device's source from its driver plugin (agent/app/createPoller.ts): polled on the device's
   * interval (anything with poll(), Modbus or ASCII), or pushed by the driver on its own time.
   */
  poller: PolledDevice | PushedSource;
  /** Checks, maintenance windows and the resolved flag; readings pass unchanged without it. */
  quality?: Pick<DeviceQuality, 'apply'>;
  clock: Clock;
  /** The group commit (agent/store/commitCoalescer.ts): the promise settles when the readings are committed. */
  store: ReadingSink;
  log: Logger;
  metrics?: MetricsSink;
  /** A pushed device's link went down or came back (a station event: agent/app/stationAgent.ts). */
  onLinkChange?: (change: LinkChange) => void;
}

export type LinkChange = { lost: true; error: AgentError } | { lost: false; downMs: number };

/** Anything with poll(): a driver's PolledSource, or a bare poller in tests and tools. */
export interface PolledDevice {
  poll(): Promise<PollResult>;
}

function isPushed(source: PolledDevice | PushedSource): source is PushedSource {
  return 'kind' in source && source.kind === 'pushed';
}

export function createDeviceAcquisition(deps: DeviceAcquisitionDeps): DeviceAcquisition {
  const { device, poller, quality, clock, store, log } = deps;
  const metrics = deps.metrics ?? noMetrics;
  const counters = { polls: 0, failures: 0, missedSlots: 0, storeErrors: 0, lastOkAt: null as number | null };
  let lastPollOk: boolean | null = null;
  let lastErrors: string[] = [];
  /** Wall time the pushed link was lost; null while it is up. */
  let linkLostAt: number | null = null;
  const errorsByCode: Record<string, number> = {};
  let values: ChannelValue[] = [];
  const isolation = createUnitIsolation(device, log);

  /** When the line was last asked (monotonic); while isolated, the line is asked only every reduced interval. */
  let lastProbeAt = Number.NEGATIVE_INFINITY;

  /**
   * While a unit is isolated its slots keep their normal pace, so platforms get one record per interval,
   * but only one slot per reduced interval goes to the line; the others are stored B at once.
   */
  async function pollOrSkip(polled: PolledDevice): Promise<PollResult & { probed: boolean }> {
    const now = clock.monotonic();
    if (isolation.isolated && now - lastProbeAt < isolation.intervalMs) {
      return { ...notPolled(device, clock.now()), probed: false };
    }
    lastProbeAt = now;
    return { ...(await polled.poll()), probed: true };
  }

  /**
   * Committed before anything else happens to them: uplinks learn of readings only from the store.
   * Not awaited: the commit may wait for other devices' polls (group commit), the schedule must not.
   * Counters and last values change only once the readings are durable. The promise resolves then
   * (pushed drivers wait for it before acknowledging), and rejects when the commit failed.
   */
  function commit(readings: PollResult['readings'], acquired: number): Promise<void> {
    return store.append(readings).then(
      () => {
        metrics.readingsStored(device.id, readings.length);
        values = readings.map((r) => ({
          channel: r.channel,
          value: r.value,
          unit: r.unit,
          flag: r.flag,
          ts: r.ts,
        }));
      },
      (err: unknown) => {
        counters.storeErrors++;
        const code = err instanceof AgentError ? err.code : 'STORE_FAILED';
        log.error({ err, code, readings: acquired }, 'could not commit readings');
        throw err;
      },
    );
  }

  /**
   * One result, polled or pushed: counters, metrics, quality control, commit. `durationMs` is -1
   * when nothing was asked (a skipped slot, a pushed result).
   */
  function record(result: PollResult, durationMs: number): Promise<void> {
    counters.polls++;
    if (result.ok) counters.lastOkAt = clock.now();
    else counters.failures++;
    lastPollOk = result.ok;
    lastErrors = result.errors.map((e) => e.code);
    for (const code of new Set(lastErrors)) errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
    metrics.pollDone({
      device: device.id,
      bus: device.bus,
      ok: result.ok,
      // A skipped slot of an isolated unit asked nothing: its "latency" would only skew the histogram.
      durationMs,
      errorCodes: lastErrors,
    });
    // Quality control keeps the raw value and adds state, check results and the resolved flag.
    let readings = result.readings;
    if (quality) {
      try {
        readings = quality.apply(result.readings, { state: result.state, measuredAt: result.measuredAt });
      } catch (err) {
        // A bug in a check must not cost the reading: store it as acquired.
        log.error({ err }, 'quality control failed; storing the readings without checks');
      }
    }
    return commit(readings, result.readings.length);
  }

  const loop = isPushed(poller)
    ? pushedLoop(poller, {
        record: (result) => record(result, -1),
        linkLost(error) {
          // Shown on the status page (link-lost, with the code) until the link is back; nothing is stored.
          lastPollOk = false;
          lastErrors = [error.code];
          errorsByCode[error.code] = (errorsByCode[error.code] ?? 0) + 1;
          if (linkLostAt !== null) return;
          linkLostAt = clock.now();
          log.warn({ err: error, code: error.code }, 'the link the device pushes on is lost');
          deps.onLinkChange?.({ lost: true, error });
        },
        linkResumed() {
          lastErrors = [];
          if (linkLostAt === null) return;
          const downMs = Math.max(0, clock.now() - linkLostAt);
          linkLostAt = null;
          log.info({ downMs }, 'the link the device pushes on is back');
          deps.onLinkChange?.({ lost: false, downMs });
        },
      })
    : createPollScheduler({
        clock,
        intervalMs: device.interval,
        log,
        onMissed: (n) => {
          counters.missedSlots += n;
        },
        task: async () => {
          const startedAt = clock.monotonic();
          const result = await pollOrSkip(poller);
          // A failed commit is logged and counted in commit(); the schedule goes on.
          record(result, result.probed ? clock.monotonic() - startedAt : -1).catch(() => {});
          if (result.probed) isolation.record(pollVerdict(result));
        },
      });

  return {
    id: device.id,
    bus: device.bus,
    start: () => loop.start(),
    stop: () => loop.stop(),
    status: () => ({
      id: device.id,
      bus: device.bus,
      ...counters,
      isolated: isolation.isolated,
      lastPollOk,
      linkLost: linkLostAt !== null,
      lastErrors,
      errorsByCode: { ...errorsByCode },
      values,
      pushed: isPushed(poller),
      ...(isPushed(poller) && poller.status ? { input: poller.status() } : {}),
    }),
  };
}

/** The readings of a slot an isolated unit was not asked in: one B per channel, value unknown. */
function notPolled(device: DeviceConfig, ts: number): PollResult {
  const readings = device.channels.map((ch) => channelReading(device.id, ch, ts, null, 'B'));
  const error = new AgentError('DEVICE_ISOLATED', 'not asked: the unit is isolated after failing to answer', {
    device: device.id,
  });
  return { readings, ok: false, errors: [error], raw: new Map(), state: null };
}
