import { Command, Option } from 'commander';
import { pino } from 'pino';
import { showBytes } from '../../drivers/ascii/asciiCommand.js';
import type { ByteExchange } from '../../drivers/ascii/asciiDevicePoller.js';
import { showBytes as showFrameBytes } from '../../drivers/dlt645/bcd.js';
import { driverFor } from '../acquisition/driverPlugin.js';
import { createBus, describeBus, type FieldBus } from '../app/createBus.js';
import { createPollerFor } from '../app/createPoller.js';
import { DRIVER_PLUGINS } from '../app/plugins.js';
import { formatProblems, loadConfig } from '../config/load.js';
import type { BusConfig, ChannelConfig, DeviceConfig } from '../config/schema.js';
import { systemClock } from '../core/clock.js';
import type { AgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { PollResult } from '../core/pollOutcome.js';
import { ZonedTime } from '../core/zonedTime.js';
import { allZeroHint } from './allZeroHint.js';
import { parseIntervalArg, parseSecondsArg } from './cliArgs.js';
import { configOption, resolveConfigPath } from './defaultConfigPath.js';
import { EXIT_USAGE } from './exitCodes.js';
import { withIdHint } from './idSuggestion.js';
import { readListen } from './listenCommands.js';
import { abortableSleep, type PollReport, type WatchIo, watchDevice } from './readWatch.js';
import { renderTable } from './textTable.js';
import { MODBUS_EXCEPTION_NAMES } from './unitProbe.js';
import { formatOtherOrders, formatValue, hasWordOrder, otherOrders, suggestOrder } from './wordOrderHints.js';

/**
 * `station-agent read --config FILE --device ID`: one poll of one device, shown the way a
 * technician checks wiring and register settings: raw registers in hex beside the decoded value,
 * and for multi-register values what the other word orders would give. The same bus and poller
 * as the agent (createBus, createPollerFor), so what it shows is what the agent would store; but
 * no SQLite store, no uplinks. A running agent holding the same serial port makes the open fail
 * (ports are locked): that is reported in one line.
 *
 * With --watch the poll is repeated every interval until Ctrl-C (readWatch.ts).
 *
 * Exit codes: 0 the poll was ok, 1 it was not (or the port could not be opened), 2 bad arguments or
 * configuration; --watch ends with 0 on Ctrl-C.
 */

export interface ReadIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

interface Exchanged {
  request: Buffer;
  answer?: Buffer;
  error?: string;
}

/** The last `err` any log line carried: the TCP bus logs why a connect failed only at debug. */
function capturingLogger(): { log: Logger; lastError: () => string | undefined } {
  let last: string | undefined;
  const log = pino(
    { level: 'debug' },
    {
      write(line: string) {
        try {
          const rec = JSON.parse(line) as { err?: unknown };
          if (typeof rec.err === 'string') last = rec.err;
          else if (rec.err && typeof (rec.err as { message?: unknown }).message === 'string') {
            last = (rec.err as { message: string }).message;
          }
        } catch {
          // not JSON: nothing to learn
        }
      },
    },
  );
  return { log, lastError: () => last };
}

export { describeBus };

/** Resolves undefined once the bus is open, or with a one-line reason it is not. */
async function waitForBus(bus: FieldBus, cfg: BusConfig, lastError: () => string | undefined) {
  // Only polled devices get here: an hj212-server bus carries pushed devices, refused before.
  const connectMs =
    cfg.type === 'serial' || cfg.type === 'serial-listen' || !('timeout' in cfg)
      ? 0
      : Math.max(3 * cfg.timeout, 3000);
  const limit = connectMs + ('workarounds' in cfg ? cfg.workarounds.pauseAfterOpen : 0) + 2000;
  const deadline = Date.now() + limit;
  for (;;) {
    if (bus.isConnected()) return undefined;
    const s = bus.stats();
    if ('line' in s && s.line.lastOpenError) return s.line.lastOpenError;
    if (s.connectFailures > 0) {
      const why = lastError();
      return `cannot connect to ${describeBus(cfg)}${why ? `: ${why}` : ''}`;
    }
    if (Date.now() >= deadline) return `${describeBus(cfg)} is not open after ${limit}ms`;
    await bus.ready(50);
  }
}

/** The bus as the poller sees it, with the byte exchange recorded (ASCII devices' raw answers). */
function tapExchange(bus: FieldBus, log: Exchanged[]): FieldBus {
  const inner = bus.exchange;
  // Nothing to record without a byte line: the bus itself, so a driver may still recognise its own bus.
  if (inner === undefined) return bus;
  const exchange: ByteExchange = {
    async transact(request, frameLength, timeoutMs) {
      const entry: Exchanged = { request };
      log.push(entry);
      try {
        entry.answer = await inner.transact(request, frameLength, timeoutMs);
        return entry.answer;
      } catch (err) {
        entry.error = err instanceof Error ? err.message : String(err);
        throw err;
      }
    },
  };
  return {
    id: bus.id,
    get timeoutMs() {
      return bus.timeoutMs;
    },
    ...(bus.retries === undefined ? {} : { retries: bus.retries }),
    start: () => bus.start(),
    stop: () => bus.stop(),
    ready: (ms) => bus.ready(ms),
    isConnected: () => bus.isConnected(),
    stats: () => bus.stats(),
    read: (unit, table, address, count) => bus.read(unit, table, address, count),
    exchange,
  };
}

const hex = (w: number) => `0x${w.toString(16).toUpperCase().padStart(4, '0')}`;

function registerText(ch: ChannelConfig): string {
  const r = ch.register;
  if (!r) return ch.field ?? '';
  let text = `${r.table}:${r.address} ${r.type}`;
  if (hasWordOrder(r.type) || r.order !== undefined) text += ` ${r.order ?? 'ABCD'}`;
  if (ch.scale !== 1) text += ` ×${ch.scale}`;
  if (ch.offset !== 0) text += ` ${ch.offset > 0 ? '+' : '−'}${Math.abs(ch.offset)}`;
  return text;
}

function rawText(ch: ChannelConfig, words: number[] | undefined, ascii: boolean): string {
  if (!words) return '—';
  if (ascii) return JSON.stringify(Buffer.from(words).toString('latin1'));
  const bits = ch.register?.table === 'coil' || ch.register?.table === 'discrete';
  return bits ? words.join(' ') : words.map(hex).join(' ');
}

function errorText(e: AgentError): string {
  const c = e.context;
  const where =
    typeof c.table === 'string' && typeof c.address === 'number'
      ? ` (${c.table} ${c.address}${typeof c.count === 'number' ? `, ${c.count} ${c.table === 'coil' || c.table === 'discrete' ? 'bit(s)' : 'register(s)'}` : ''})`
      : '';
  const exc =
    typeof c.exceptionCode === 'number' && MODBUS_EXCEPTION_NAMES[c.exceptionCode]
      ? ` — ${MODBUS_EXCEPTION_NAMES[c.exceptionCode]}`
      : '';
  return `${e.code}: ${e.message}${exc}${where}`;
}

/** The report for one poll (exported for tests). */
export function formatPoll(
  device: DeviceConfig,
  result: PollResult,
  exchanged: readonly Exchanged[],
): string {
  const ascii = device.ascii !== undefined;
  const meter = device.meter !== undefined;
  // ASCII analyzers and meters talk on the byte line: the exchanges are shown as sent and received.
  const byteLine = ascii || meter;
  const lines: string[] = [];
  const hints: string[] = [];
  const headers = meter
    ? ['channel', 'code', 'identifier', 'value', 'unit', 'flag']
    : ascii
      ? ['channel', 'code', 'field', 'matched text', 'value', 'unit', 'flag']
      : ['channel', 'code', 'register', 'raw', 'value', 'unit', 'flag', 'other orders'];
  const rows = device.channels.map((ch, i) => {
    const reading = result.readings[i];
    const words = result.raw.get(ch.id);
    if (meter) {
      const di = `${ch.di ?? ''}${ch.element === undefined ? '' : `[${ch.element}]`}`;
      const value = formatValue(reading?.value ?? null);
      return [ch.id, ch.code ?? '', di, value, ch.unit ?? '', reading?.flag ?? '?'];
    }
    const row = [
      ch.id,
      ch.code ?? '',
      registerText(ch),
      rawText(ch, words, ascii),
      formatValue(reading?.value ?? null),
      ch.unit ?? '',
      reading?.flag ?? '?',
    ];
    if (!ascii && ch.register && words) {
      const { type: t, order } = ch.register;
      row.push(formatOtherOrders(otherOrders(words, t, order, ch.scale, ch.offset)));
      const better = suggestOrder(words, t, order);
      if (better) {
        const as = otherOrders(words, t, order, ch.scale, ch.offset).find((r) => r.order === better)!;
        hints.push(
          `hint: ${ch.id} decodes to ${formatValue(reading?.value ?? Number.NaN)} in ${order ?? 'ABCD'} but to ` +
            `${formatValue(as.value)} in ${better}: is its order ${better}?`,
        );
      }
    } else if (!ascii) row.push('');
    return row;
  });
  const zeros = allZeroHint(device, result.raw);
  if (zeros) hints.push(zeros);
  lines.push(renderTable(headers, rows));
  if (byteLine) {
    lines.push('', 'exchanges:');
    if (exchanged.length === 0) lines.push('  (none)');
    // Text protocols are shown as text with escapes, DL/T 645 frames as hex bytes.
    const show = meter ? showFrameBytes : showBytes;
    for (const x of exchanged) {
      lines.push(`  sent     ${show(x.request)}`);
      lines.push(`  received ${x.answer ? show(x.answer) : `nothing (${x.error ?? 'no answer'})`}`);
    }
  }
  lines.push('');
  if (hints.length) lines.push(...hints, '');
  lines.push(
    `state: ${result.state === null ? (device.status || device.ascii?.status ? 'unknown (not read)' : '— (no status configured)') : result.state}`,
  );
  if (result.measuredAt !== undefined) {
    lines.push(
      `measured at: ${result.measuredAt === null ? 'unreadable' : new Date(result.measuredAt).toISOString()}`,
    );
  }
  if (result.errors.length === 0) lines.push('errors: none');
  else lines.push('errors:', ...result.errors.map((e) => `  ${errorText(e)}`));
  lines.push(result.ok ? 'poll ok' : 'poll failed');
  return `${lines.join('\n')}\n`;
}

export interface ReadOptions {
  config: string;
  device: string;
  /** Poll again every interval until `stop` aborts (read --watch). */
  watch?: boolean;
  /** The watch's period; default the device's interval. */
  interval?: number;
  /** Listen on the device's line instead of asking (read --listen), for this many seconds. */
  listen?: boolean;
  seconds?: number;
}

export async function readCommand(
  opts: ReadOptions,
  io: ReadIo & WatchIo,
  stop: AbortSignal = new AbortController().signal,
): Promise<number> {
  const loaded = await loadConfig(opts.config);
  if (!loaded.ok) {
    io.err.write(`${formatProblems(loaded.problems)}\n`);
    return 2;
  }
  const { config } = loaded;
  const device = config.devices.find((d) => d.id === opts.device);
  if (!device) {
    const ids = config.devices.map((d) => d.id);
    const message =
      `no device "${opts.device}" in ${opts.config}` +
      `${ids.length ? ` (devices: ${ids.join(', ')})` : ' (it has no devices)'}`;
    io.err.write(`station-agent: ${withIdHint(message, opts.device, ids)}\n`);
    return 2;
  }
  const busConfig = config.buses.find((b) => b.id === device.bus);
  if (!busConfig) {
    // The config check refuses this; kept for hand-edited files loaded by a future, laxer loader.
    io.err.write(`station-agent: device ${device.id} is on bus "${device.bus}", which is not configured\n`);
    return 2;
  }

  if (opts.listen) {
    const zone = new ZonedTime(config.station.timezone);
    const format = (result: PollResult) => formatPoll(device, result, []);
    return readListen(
      { device, bus: busConfig, seconds: opts.seconds ?? 30, zone, format, signal: stop },
      io,
    );
  }

  const { log, lastError } = capturingLogger();
  const deps = { clock: systemClock, log };
  const bus = createBus(busConfig, deps);
  const exchanged: Exchanged[] = [];
  try {
    const poller = createPollerFor(device, tapExchange(bus, exchanged), busConfig, deps);
    if (poller.kind === 'pushed') {
      // A pushed device answers nobody's question: its readings arrive when its driver hears them.
      io.err.write(
        `station-agent: device ${device.id} is not polled (its driver listens): read cannot ask it; ` +
          `read --listen shows what passes for it\n`,
      );
      return 2;
    }
    bus.start();
    /** One poll, reported as `read` shows it; `notOpen` when the bus is not (yet) open. */
    const pollReport = async (): Promise<PollReport & { notOpen?: string }> => {
      const notOpen = await waitForBus(bus, busConfig, lastError);
      if (notOpen !== undefined) return { text: `station-agent: ${notOpen}\n`, ok: false, notOpen };
      exchanged.length = 0;
      const started = performance.now();
      const result = await poller.poll();
      const ms = Math.round(performance.now() - started);
      const head =
        `${device.id}: ${driverFor(DRIVER_PLUGINS, device, busConfig).cli.describeDevice(device)} on bus ${bus.id} (${describeBus(busConfig)}), ` +
        `polled in ${ms}ms${device.enabled ? '' : ' (disabled in the config: read anyway)'}\n\n`;
      return { text: head + formatPoll(device, result, exchanged), ok: result.ok };
    };
    if (opts.watch || opts.interval !== undefined) {
      const zone = new ZonedTime(config.station.timezone);
      await watchDevice({
        io,
        poll: () =>
          pollReport().catch((err: unknown) => ({
            text: `station-agent: ${err instanceof Error ? err.message : String(err)}\n`,
            ok: false,
          })),
        intervalMs: opts.interval ?? device.interval,
        signal: stop,
        now: () => systemClock.now(),
        formatTime: (ms) => zone.format(ms),
        sleep: abortableSleep,
      });
      return 0;
    }
    const report = await pollReport();
    if (report.notOpen !== undefined) {
      io.err.write(report.text);
      return 1;
    }
    io.out.write(report.text);
    return report.ok ? 0 : 1;
  } catch (err) {
    io.err.write(`station-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await bus.stop();
  }
}

export function readCommandDefinition(): Command {
  return new Command('read')
    .description(
      'read one device once (or --watch) and show raw registers beside decoded values (no store, no uplink)',
    )
    .addOption(configOption())
    .requiredOption('-d, --device <id>', 'the device to read (its id in the config)')
    .option('-w, --watch', "read again every interval until Ctrl-C (the device's interval, or --interval)")
    .addOption(
      new Option('--interval <duration>', 'refresh period of --watch, e.g. 2s (implies --watch)').argParser(
        parseIntervalArg,
      ),
    )
    .addOption(
      new Option(
        '--listen',
        "send nothing: show what another master's polling of the device puts on its line",
      ).conflicts(['watch', 'interval']),
    )
    .addOption(
      new Option('--seconds <n>', 'how long --listen listens (default 30)').argParser(parseSecondsArg),
    )
    .addHelpText(
      'after',
      `
Shows, per channel: the register, the raw words in hex, the decoded value with its flag and, for
32/64-bit values, what the other word orders would give (a wrong "order:" shows at a glance).
ASCII analyzers: the text sent and received. Then the instrument state and any errors.
Opens the device's port itself: a serial port in use by the running agent cannot be opened.
--watch redraws the report in place on a terminal (appends it when piped) until Ctrl-C.
--listen (docs/listen.md): sends nothing; shows each set of the device's registers another master
read, decoded as the agent stores it, for --seconds; exit 0 when something was heard, 1 if not.
Exit codes: 0 poll ok (--watch: stopped by Ctrl-C), 1 poll failed or port not opened,
2 bad arguments or configuration (an unknown device id comes with a "did you mean").

Example:
  station-agent read --config /etc/station-agent/station.yaml --device nutrient
  station-agent read --device sonde --watch --interval 2s
  station-agent read --device sonde --listen --seconds 20`,
    )
    .action(async (opts: Omit<ReadOptions, 'config'> & { config?: string }) => {
      const config = resolveConfigPath(opts.config, process.stderr);
      if (config === undefined) {
        process.exitCode = EXIT_USAGE;
        return;
      }
      // Ctrl-C ends a watch cleanly (exit 0); a second one does not wait for the poll in progress.
      const stop = new AbortController();
      const onSignal = () => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // The reader went away (`--watch | head`): the watch ends as with Ctrl-C, not with a stack trace.
      const onOutputClosed = () => stop.abort();
      process.stdout.on('error', onOutputClosed);
      try {
        process.exitCode = await readCommand(
          { ...opts, config },
          { out: process.stdout, err: process.stderr },
          stop.signal,
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        process.stdout.off('error', onOutputClosed);
      }
    });
}
