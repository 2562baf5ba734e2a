import { formatCensus } from '../../drivers/modbus/listen/censusReport.js';
import { openListenPort } from '../../drivers/modbus/listen/listenPort.js';
import { RtuListener } from '../../drivers/modbus/listen/rtuListener.js';
import { createListenDeviceSource } from '../../drivers/modbus/listenBus/listenDevice.js';
import { ListenLine } from '../../drivers/modbus/listenBus/listenLine.js';
import { driverFor } from '../acquisition/driverPlugin.js';
import { DRIVER_PLUGINS } from '../app/plugins.js';
import type { BusConfig, DeviceConfig } from '../config/schema.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import type { PollResult } from '../core/pollOutcome.js';
import type { ZonedTime } from '../core/zonedTime.js';

/**
 * `read --listen` and `scan --listen`: what passes on a line another master polls, heard through
 * the listener's write-less port (drivers/modbus/listen/listenPort.ts), so running them beside a
 * certified data logger cannot disturb it. docs/listen.md.
 */

export interface ListenIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

/** The serial settings to listen with: a listen bus's, or a polled serial bus's (before switching it). */
function listenSettings(bus: BusConfig) {
  if (bus.type !== 'serial' && bus.type !== 'serial-listen') return undefined;
  return {
    id: bus.id,
    path: bus.port,
    baudRate: bus.baudRate,
    parity: bus.parity,
    dataBits: bus.dataBits,
    stopBits: bus.stopBits,
    reconnect: bus.reconnect,
    answerTimeoutMs: bus.type === 'serial-listen' ? bus.answerTimeout : bus.timeout,
    intervalMs: bus.type === 'serial-listen' ? bus.expectedInterval : undefined,
    silentAfterIntervals: bus.type === 'serial-listen' ? bus.silentAfterIntervals : 3,
  };
}

export interface ReadListenOptions {
  device: DeviceConfig;
  bus: BusConfig;
  seconds: number;
  zone: ZonedTime;
  /** Renders one result as `read` does (readCommand.ts formatPoll). */
  format: (result: PollResult) => string;
  signal: AbortSignal;
}

/** Exit 0 when at least one answer for the device was heard, 1 otherwise (or the port did not open), 2 a bus it cannot listen on. */
export async function readListen(opts: ReadListenOptions, io: ListenIo): Promise<number> {
  const { device, bus, seconds } = opts;
  if (!driverFor(DRIVER_PLUGINS, device, bus).cli.listen) {
    io.err.write(
      `station-agent: device ${device.id}'s protocol cannot be heard on a line: read --listen is for Modbus RTU\n`,
    );
    return 2;
  }
  const settings = listenSettings(bus);
  if (!settings) {
    io.err.write(`station-agent: bus ${bus.id} is not a serial line: there is nothing to listen to\n`);
    return 2;
  }
  try {
    // Opened once here so a missing or busy port is said at once; the line reopens it itself after.
    await (await openListenPort(settings)).close();
  } catch (err) {
    io.err.write(
      `station-agent: cannot open ${settings.path}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
  const line = new ListenLine({ settings, clock: systemClock, log: silentLogger() });
  const source = createListenDeviceSource(device, line);
  let heard = 0;
  io.err.write(
    `listening on ${settings.path} at ${settings.baudRate} baud for ${seconds} s for ${device.id} (unit ${device.unit}), sending nothing\n`,
  );
  source.start({
    result: (r) => {
      heard++;
      const at = r.readings[0]?.ts ?? systemClock.now();
      io.out.write(
        `${device.id}: unit ${device.unit} heard on ${settings.path} at ${opts.zone.format(at)}\n\n`,
      );
      io.out.write(`${opts.format(r)}\n`);
    },
    linkLost: (e) => io.out.write(`${device.id}: ${e.code}: ${e.message}\n`),
    linkResumed: () => io.out.write(`${device.id}: answers heard again\n`),
  });
  line.start();
  await waitFor(seconds * 1000, opts.signal);
  await source.stop();
  await line.stop();
  if (heard === 0) {
    io.err.write(
      `station-agent: no answer covering ${device.id}'s registers (unit ${device.unit}) passed in ${seconds} s; ` +
        `scan --listen shows what the line carries\n`,
    );
    return 1;
  }
  return 0;
}

export interface ScanListenOptions {
  port: string;
  baud: number;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  seconds: number;
  signal: AbortSignal;
}

/** The line census (censusReport.ts). Exit 0 when some unit was polled, 1 when none (or the port did not open). */
export async function scanListen(opts: ScanListenOptions, io: ListenIo): Promise<number> {
  let port: Awaited<ReturnType<typeof openListenPort>>;
  try {
    port = await openListenPort({
      path: opts.port,
      baudRate: opts.baud,
      parity: opts.parity,
      stopBits: opts.stopBits,
    });
  } catch (err) {
    io.err.write(
      `station-agent: cannot open ${opts.port}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
  const windowMs = opts.seconds * 1000;
  const listener = new RtuListener({
    port,
    clock: systemClock,
    baudRate: opts.baud,
    devices: [],
    censusWindowMs: windowMs,
  });
  listener.start();
  io.err.write(`listening on ${opts.port} at ${opts.baud} baud for ${opts.seconds} s (sending nothing)\n`);
  await waitFor(windowMs, opts.signal);
  const summary = listener.census.summary(systemClock.now());
  await listener.stop();
  io.out.write(formatCensus(summary, listener.framer.stats));
  return summary.units.length > 0 ? 0 : 1;
}

/** Resolves after `ms`, or at once when `signal` aborts (Ctrl-C ends the listening early). */
function waitFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
