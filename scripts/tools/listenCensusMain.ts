import { Command, InvalidArgumentError } from 'commander';
import { formatCensus } from '../../drivers/modbus/listen/censusReport.js';
import { openListenPort } from '../../drivers/modbus/listen/listenPort.js';
import { RtuListener } from '../../drivers/modbus/listen/rtuListener.js';

/**
 * `node dist-tools/scripts/tools/listenCensusMain.js --serial /dev/ttyUSB0 --baud 9600 --seconds 30`:
 * listens to a Modbus RTU line another master polls, without sending a byte, and prints what passed
 * (units, function codes, register ranges, rates, exceptions, line noise): the same census as the
 * agent's `scan --listen`, without the agent installed.
 */

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const program = new Command('listen-census')
  .description('Listen to a Modbus RTU line without sending, and print what passes on it')
  .requiredOption('-s, --serial <path>', 'serial device (or pty) on the line')
  .option('-b, --baud <rate>', 'baud rate', positiveInt, 9600)
  .option('--parity <parity>', 'none, even or odd', 'none')
  .option('-t, --seconds <s>', 'how long to listen', positiveInt, 30)
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{ serial: string; baud: number; parity: string; seconds: number }>();
  if (opts.parity !== 'none' && opts.parity !== 'even' && opts.parity !== 'odd') {
    process.stderr.write(`listen-census: --parity ${opts.parity}: expected none, even or odd\n`);
    process.exit(2);
  }
  let port: Awaited<ReturnType<typeof openListenPort>>;
  try {
    port = await openListenPort({ path: opts.serial, baudRate: opts.baud, parity: opts.parity });
  } catch (err) {
    process.stderr.write(`listen-census: cannot open ${opts.serial}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const windowMs = opts.seconds * 1000;
  const listener = new RtuListener({
    port,
    clock: {
      now: () => Date.now(),
      setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
      clearTimeout: (h) => clearTimeout(h.id as NodeJS.Timeout),
    },
    baudRate: opts.baud,
    devices: [],
    censusWindowMs: windowMs,
  });
  listener.start();
  process.stdout.write(
    `listening on ${opts.serial} at ${opts.baud} baud for ${opts.seconds} s (sending nothing)\n`,
  );
  const finish = async () => {
    const now = Date.now();
    const report = formatCensus(listener.census.summary(now), listener.framer.stats);
    await listener.stop();
    process.stdout.write(report);
    process.exit(0);
  };
  const timer = setTimeout(() => void finish(), windowMs);
  process.once('SIGINT', () => {
    clearTimeout(timer);
    void finish();
  });
}

void main();
