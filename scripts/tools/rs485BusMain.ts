import { Command, InvalidArgumentError } from 'commander';
import { type Rs485Bus, startRs485Bus } from './rs485Bus.js';

/**
 * `node dist-tools/scripts/tools/rs485BusMain.js --ends sim,logger,agent`: an emulated RS-485 line of
 * pseudo-terminals (see rs485Bus.ts). Prints one `end <name> <path>` line per end, then
 * `rs485 bus ready (<n> ends)`; on SIGINT/SIGTERM (and every --stats-every seconds) prints the
 * bytes each end wrote, as `written <name> <bytes>`.
 */

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const program = new Command('rs485-bus')
  .description(
    'Join pseudo-terminals into one emulated RS-485 line: every byte one end writes, all others read',
  )
  .requiredOption('-e, --ends <names>', 'comma-separated end names, e.g. sim,logger,agent')
  .option('-d, --dir <folder>', 'where the pty links go (default: a fresh temporary folder)')
  .option('--garbage-every <ms>', 'put 1..8 random bytes on the line every <ms> milliseconds', positiveInt)
  .option('--stats-every <s>', 'print the bytes each end wrote every <s> seconds', positiveInt)
  .showHelpAfterError();

function printWritten(bus: Rs485Bus): void {
  for (const end of bus.ends) process.stdout.write(`written ${end.name} ${bus.written(end.name)}\n`);
}

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{ ends: string; dir?: string; garbageEvery?: number; statsEvery?: number }>();
  const names = opts.ends
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let bus: Rs485Bus;
  try {
    bus = await startRs485Bus({
      ends: names,
      ...(opts.dir !== undefined ? { dir: opts.dir } : {}),
      ...(opts.garbageEvery !== undefined ? { garbageEveryMs: opts.garbageEvery } : {}),
    });
  } catch (err) {
    process.stderr.write(`rs485-bus: ${(err as Error).message}\n`);
    process.exit(2);
  }
  for (const end of bus.ends) process.stdout.write(`end ${end.name} ${end.path}\n`);
  process.stdout.write(`rs485 bus ready (${bus.ends.length} ends)\n`);
  const stats = opts.statsEvery ? setInterval(() => printWritten(bus), opts.statsEvery * 1000) : undefined;
  const shutdown = () => {
    if (stats) clearInterval(stats);
    printWritten(bus);
    void bus.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

void main();
