import { Command, InvalidArgumentError, Option } from 'commander';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import {
  formatUnitList,
  parseBaudArg,
  parseHostPort,
  parseParityArg,
  parseRegisterSpec,
  parseSecondsArg,
  parseStopBitsArg,
  parseTimeoutArg,
  parseUnitList,
  type RegisterSpec,
} from './cliArgs.js';
import { EXIT_USAGE } from './exitCodes.js';
import { scanListen } from './listenCommands.js';
import { scanMeters } from './meterScan.js';
import { Progress, type ProgressStream } from './progressBar.js';
import {
  MODBUS_EXCEPTION_NAMES,
  openProber,
  type ProbeOutcome,
  type ProbeTarget,
  type UnitProber,
} from './unitProbe.js';

/**
 * `station-agent scan`: which unit ids answer on a line. One unit at a time, one register, a short
 * timeout, no retries. A unit answers with a valid frame or with a Modbus exception (an exception
 * proves a device with that id is there). Through a Modbus TCP gateway, exceptions 10 and 11 are
 * the gateway saying nobody answered behind it, so they do not count.
 *
 * Exit codes: 0 some unit answered, 1 none did (or the port could not be opened), 2 bad arguments,
 * 130 interrupted.
 */

export interface ScanOptions {
  port?: string;
  tcp?: { host: string; port: number };
  baud: number;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  units: number[];
  timeout: number;
  register: RegisterSpec;
}

export interface ScanIo {
  out: ProgressStream;
  err: ProgressStream;
  /** Set by the caller's SIGINT handler: the scan stops after the unit in progress. */
  interrupted?: () => boolean;
}

export interface ScanFinding {
  unit: number;
  outcome: ProbeOutcome;
}

/** Exceptions a gateway sends for an id with no device behind it. */
const GATEWAY_NO_DEVICE = new Set([10, 11]);

/** One finding as the technician reads it; undefined for units that did not answer. */
export function describeFinding(
  f: ScanFinding,
  register: RegisterSpec,
  viaGateway: boolean,
): string | undefined {
  const o = f.outcome;
  const where = `${register.table} ${register.address}`;
  switch (o.kind) {
    case 'answered': {
      const v = o.values[0] ?? 0;
      const shown = register.table === 'coil' || register.table === 'discrete' ? String(v) : hex(v);
      return `unit ${f.unit}: answered (${where} = ${shown})`;
    }
    case 'exception': {
      const name = MODBUS_EXCEPTION_NAMES[o.code] ?? 'unknown exception';
      if (viaGateway && GATEWAY_NO_DEVICE.has(o.code)) return undefined;
      return `unit ${f.unit}: exception ${o.code} (${name}) — a device is there`;
    }
    case 'garbled':
      return `unit ${f.unit}: garbled answer (${o.reason}) — something is there: check baud rate, parity, termination`;
    default:
      return undefined;
  }
}

export function answered(f: ScanFinding, viaGateway: boolean): boolean {
  if (f.outcome.kind === 'answered') return true;
  return f.outcome.kind === 'exception' && !(viaGateway && GATEWAY_NO_DEVICE.has(f.outcome.code));
}

const hex = (w: number) => `0x${w.toString(16).toUpperCase().padStart(4, '0')}`;

export async function scanCommand(opts: ScanOptions, io: ScanIo): Promise<number> {
  const target: ProbeTarget = opts.tcp
    ? { kind: 'tcp', host: opts.tcp.host, port: opts.tcp.port }
    : { kind: 'serial', path: opts.port!, baudRate: opts.baud, parity: opts.parity, stopBits: opts.stopBits };
  const viaGateway = target.kind === 'tcp';
  if (target.kind === 'serial' && opts.units.includes(0)) {
    io.err.write('station-agent: unit 0 is the broadcast address on a serial line: nobody answers a read\n');
    return EXIT_USAGE;
  }

  let prober: UnitProber;
  try {
    prober = await openProber(target, { timeoutMs: opts.timeout, clock: systemClock, log: silentLogger() });
  } catch (err) {
    io.err.write(`station-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }

  const reg = `${opts.register.table} ${opts.register.address}`;
  io.err.write(
    `scanning ${prober.description}: units ${formatUnitList(opts.units)}, reading ${reg}, timeout ${opts.timeout}ms\n`,
  );
  const started = performance.now();
  const progress = new Progress(io.err, opts.units.length, { label: 'scan' });
  const found: number[] = [];
  let garbled = 0;
  let done = 0;
  let lost: string | undefined;
  try {
    for (const unit of opts.units) {
      if (io.interrupted?.()) break;
      progress.update(done, `unit ${unit}${found.length ? ` · ${found.length} answered` : ''}`);
      const finding: ScanFinding = {
        unit,
        outcome: await prober.probe(unit, opts.register.table, opts.register.address),
      };
      done++;
      if (finding.outcome.kind === 'lost') {
        lost = finding.outcome.reason;
        break;
      }
      if (answered(finding, viaGateway)) found.push(unit);
      if (finding.outcome.kind === 'garbled') garbled++;
      const line = describeFinding(finding, opts.register, viaGateway);
      if (line) progress.above(() => io.out.write(`${line}\n`));
    }
    progress.update(done, `${found.length} answered`);
  } finally {
    progress.finish();
    await prober.stop();
  }

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (lost !== undefined) {
    io.err.write(`station-agent: ${prober.description} was lost during the scan (${lost})\n`);
  }
  const interrupted = done < opts.units.length && lost === undefined;
  const scanned = interrupted || lost !== undefined ? ` (stopped after ${done} of ${opts.units.length})` : '';
  if (found.length > 0) {
    io.out.write(
      `${found.length} of ${done} unit(s) answered: ${formatUnitList(found)} — ${seconds}s${scanned}\n`,
    );
  } else {
    io.out.write(`no unit answered (${done} unit(s) tried in ${seconds}s)${scanned}\n`);
    const hints =
      target.kind === 'serial'
        ? 'check the wiring (A/B swapped?), baud rate, parity, termination and the unit range'
        : 'check the gateway address and its serial settings, and the unit range';
    io.out.write(`  ${hints}\n`);
  }
  if (garbled > 0) {
    io.out.write(`  ${garbled} garbled answer(s): noise or a wrong baud rate/parity on the line\n`);
  }
  if (interrupted) return 130;
  if (lost !== undefined) return 1;
  return found.length > 0 ? 0 : 1;
}

type ScanArgs = Omit<ScanOptions, 'port'> & ListenFlags & { meters?: boolean; address?: string[] };

function parseMeterAddresses(text: string): string[] {
  const list = text.split(',').map((a) => a.trim());
  const bad = list.find((a) => !/^\d{12}$/.test(a));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not a 12-digit meter address`);
  return list;
}

interface ListenFlags {
  port?: string;
  listen?: boolean;
  seconds?: number;
}

/** scan --listen: the census until --seconds pass or Ctrl-C. */
async function scanListenAction(opts: ScanOptions & ListenFlags & { port: string }): Promise<number> {
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.on('SIGINT', onSigint);
  try {
    const { port, baud, parity, stopBits } = opts;
    return await scanListen(
      { port, baud, parity, stopBits, seconds: opts.seconds ?? 30, signal: stop.signal },
      { out: process.stdout, err: process.stderr },
    );
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The commander definition; main.ts adds it to the program. */
export function scanCommandDefinition(): Command {
  return new Command('scan')
    .description(
      'list the Modbus unit ids (or DL/T 645 meters, --meters) that answer on a serial line (or behind a Modbus TCP gateway)',
    )
    .addOption(new Option('-p, --port <path>', 'serial port, e.g. /dev/ttyUSB0').conflicts('tcp'))
    .addOption(
      new Option('--listen', 'send nothing: list what another master polls on the line (a census)').conflicts(
        'tcp',
      ),
    )
    .addOption(
      new Option('--seconds <n>', 'how long --listen listens (default 30)').argParser(parseSecondsArg),
    )
    .addOption(
      new Option('--tcp <host:port>', 'a Modbus TCP gateway instead of a serial port').argParser(
        parseHostPort,
      ),
    )
    .addOption(new Option('-b, --baud <rate>', 'baud rate').argParser(parseBaudArg).default(9600))
    .addOption(new Option('--parity <parity>', 'none, even or odd').argParser(parseParityArg).default('none'))
    .addOption(new Option('--stop-bits <n>', '1 or 2').argParser(parseStopBitsArg).default(1))
    .addOption(
      new Option('-u, --units <list>', 'unit ids, e.g. 1-247 or 1,3,5-7')
        .argParser((text) => parseUnitList(text))
        .default(parseUnitList('1-247'), '1-247'),
    )
    .addOption(
      new Option('-t, --timeout <duration>', 'how long to wait for each unit')
        .argParser(parseTimeoutArg)
        .default(200, '200ms'),
    )
    .addOption(
      new Option('-r, --register <table:address>', 'what to read from each unit')
        .argParser(parseRegisterSpec)
        .default({ table: 'holding', address: 0 } satisfies RegisterSpec, 'holding:0'),
    )
    .option('--meters', 'DL/T 645 electricity meters instead of Modbus units (default 2400 8E1)')
    .addOption(
      new Option(
        '--address <list>',
        'with --meters: meter addresses to ask, e.g. 000000000001,000000000002',
      ).argParser((text) => parseMeterAddresses(text)),
    )
    .addHelpText(
      'after',
      `
A unit answers with a valid frame or with a Modbus exception (an exception proves a device is
there). One unit at a time, no retries. The port must not be in use: stop the agent first.
Exit codes: 0 some unit answered, 1 none did or the port could not be opened, 2 bad arguments,
130 interrupted.
--listen (a line another master polls, docs/listen.md): sends nothing; listens --seconds (Ctrl-C
ends it) and lists the units polled, function codes, register ranges, request and answer rates,
no-answers, exceptions and line noise. Exit 0 when some unit was polled, 1 when none was.

Example:
  station-agent scan --port /dev/ttyUSB0 --baud 9600 --parity none --units 1-247 --timeout 200ms
  station-agent scan --port /dev/serial/by-id/usb-FTDI_USB_RS485-if00-port0 --baud 19200 --parity even --units 1,3,5-7 --register input:0
  station-agent scan --tcp 192.168.1.50:502 --units 1-32
  station-agent scan --port /dev/ttyUSB1 --baud 9600 --listen --seconds 60

Meters (DL/T 645): without --address, the broadcast read-address finds the one meter attached;
with several meters on the line, give their addresses (printed on each meter's nameplate).
  station-agent scan --port /dev/ttyUSB0 --meters
  station-agent scan --port /dev/ttyUSB0 --meters --address 000000000001,000000000002`,
    )
    .action(async (opts: ScanArgs, cmd: Command) => {
      if (opts.port === undefined && opts.tcp === undefined)
        cmd.error('error: give --port <path> or --tcp <host:port>');
      if (opts.address && !opts.meters) cmd.error('error: --address is for --meters');
      if (opts.meters && opts.listen)
        cmd.error('error: --meters asks each meter; --listen sends nothing: choose one');
      if (opts.listen) {
        process.exitCode = await scanListenAction({ ...opts, port: opts.port! });
        return;
      }
      if (opts.meters) {
        if (opts.port === undefined) cmd.error('error: --meters needs --port <path>');
        // Meter lines leave the factory at 2400 8E1: the Modbus defaults of the options do not apply.
        const given = (name: string) => cmd.getOptionValueSource(name) !== 'default';
        process.exitCode = await scanMeters(
          {
            port: opts.port!,
            baud: given('baud') ? opts.baud : 2400,
            parity: given('parity') ? opts.parity : 'even',
            stopBits: opts.stopBits,
            addresses: opts.address ?? [],
            timeout: given('timeout') ? opts.timeout : 1000,
          },
          { out: process.stdout, err: process.stderr },
        );
        return;
      }
      let interrupted = false;
      const onSigint = () => {
        if (interrupted) process.exit(130); // a second Ctrl-C does not wait for the unit in progress
        interrupted = true;
      };
      process.on('SIGINT', onSigint);
      try {
        process.exitCode = await scanCommand(opts, {
          out: process.stdout,
          err: process.stderr,
          interrupted: () => interrupted,
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
