import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ADDRESS_PATTERN } from '../../drivers/dlt645/bcd.js';
import { type SerialMeterLine, startSerialMeterLine } from './dlt645/serialMeterLine.js';
import type { SimMeterOptions } from './dlt645/simMeter.js';

/**
 * DL/T 645-2007 meters on one serial line, as their own process:
 *
 *   node dist-tools/scripts/simulator/dlt645Main.js --serial /dev/pts/N --meters 000000000001,000000000002:1p
 *
 * Each address is a meter (three-phase; `:1p` makes it single-phase). Prints one "serving" line
 * once the port is open, then takes commands on stdin, one per line, and answers each with
 * "ok …" or "error …":
 *   facility <address> off|on   drop the meter's current and power to zero (off) or restore them
 *   unplug <address>            take the meter off the line (its address goes unanswered)
 *   plug <address>              put it back
 *   values <address>            what the meter reads now, as JSON
 *   stats                       requests, answers, unanswered addresses, bad checksums
 */

const USAGE = `usage: dlt645Main --serial <path> --meters <address[:1p],...> [--baud 2400] [--parity even|odd|none] [--seed 1] [--max-data 200]`;

function fail(message: string): never {
  process.stderr.write(`dlt645 simulator: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function meterOptions(list: string, seed: number, maxData: number): SimMeterOptions[] {
  return list.split(',').map((entry) => {
    const [address = '', kind] = entry.trim().split(':');
    if (!ADDRESS_PATTERN.test(address) || !/^\d+$/.test(address)) {
      fail(`meter address "${address}" is not 12 digits`);
    }
    if (kind !== undefined && kind !== '1p' && kind !== '3p') fail(`meter kind "${kind}" is not 1p or 3p`);
    return { address, phases: kind === '1p' ? 1 : 3, seed, maxDataPerFrame: maxData };
  });
}

function command(line: SerialMeterLine, text: string, plugged: Map<string, SimMeterOptions>): string {
  const [verb, address = '', arg] = text.trim().split(/\s+/);
  switch (verb) {
    case 'facility':
      if (arg !== 'on' && arg !== 'off') return 'error facility needs on or off';
      return line.setFacilityRunning(address, arg === 'on')
        ? `ok facility ${address} ${arg}`
        : `error no meter ${address}`;
    case 'unplug':
      return line.unplug(address) ? `ok unplugged ${address}` : `error no meter ${address}`;
    case 'plug': {
      const opts = plugged.get(address);
      if (!opts) return `error meter ${address} was not given with --meters`;
      line.plug(opts);
      return `ok plugged ${address}`;
    }
    case 'values': {
      const meter = line.meter(address);
      return meter ? `ok ${JSON.stringify(meter.values(Date.now()))}` : `error no meter ${address}`;
    }
    case 'stats':
      return `ok ${JSON.stringify(line.stats())}`;
    default:
      return `error unknown command "${verb ?? ''}" (facility, unplug, plug, values, stats)`;
  }
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const { serial, meters } = args.values;
  if (!serial) fail('--serial <path> is required (the port or pty to answer on)');
  if (!meters) fail('--meters <address,...> is required');
  const baud = Number(args.values.baud);
  if (![1200, 2400, 4800, 9600].includes(baud)) fail(`--baud ${args.values.baud}: 1200, 2400, 4800 or 9600`);
  const parity = args.values.parity;
  if (parity !== 'even' && parity !== 'odd' && parity !== 'none')
    fail(`--parity ${parity}: even, odd or none`);
  const seed = Number(args.values.seed);
  const maxData = Number(args.values['max-data']);
  if (!Number.isInteger(maxData) || maxData < 8 || maxData > 200) fail('--max-data: 8 to 200 bytes');
  const options = meterOptions(meters, Number.isFinite(seed) ? seed : 1, maxData);
  let line: SerialMeterLine;
  try {
    line = await startSerialMeterLine({ path: serial, meters: options, baudRate: baud, parity });
  } catch (err) {
    process.stderr.write(
      `dlt645 simulator: cannot open ${serial}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(1);
  }
  const plugged = new Map(options.map((o) => [o.address, o]));
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    line.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  const parityLetter = parity === 'even' ? 'E' : parity === 'odd' ? 'O' : 'N';
  process.stdout.write(
    `dlt645 simulator serving ${options.length} meters (${line.addresses().join(', ')}) on ${serial} at ${baud} 8${parityLetter}1\n`,
  );
  createInterface({ input: process.stdin }).on('line', (text) => {
    if (text.trim() !== '') process.stdout.write(`${command(line, text, plugged)}\n`);
  });
}

function parse() {
  return parseArgs({
    options: {
      serial: { type: 'string' },
      meters: { type: 'string' },
      baud: { type: 'string', default: '2400' },
      parity: { type: 'string', default: 'even' },
      seed: { type: 'string', default: '1' },
      'max-data': { type: 'string', default: '200' },
    },
    strict: true,
  });
}

await main();
