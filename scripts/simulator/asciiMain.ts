import { startAsciiSimulator } from './asciiServer.js';

/**
 * `npm run simulate -- --ascii <definition.yaml> --serial <path>`: a text-protocol analyzer on a
 * serial port or pty, as its own process. Prints `simulator serving ascii analyzer <name> on
 * <path> at <baud> baud` once ready and stops cleanly on SIGINT/SIGTERM. Kept apart from main.ts,
 * which serves Modbus; main.ts hands over here when --ascii is given.
 */

export interface AsciiMainOptions {
  ascii: string;
  serial?: string;
  baud: number;
  seed: number;
}

export async function runAsciiSimulator(opts: AsciiMainOptions): Promise<void> {
  if (opts.serial === undefined) {
    process.stderr.write('simulator: --ascii needs --serial <path> (the port or pty to answer on)\n');
    process.exitCode = 1;
    return;
  }
  let sim: Awaited<ReturnType<typeof startAsciiSimulator>>;
  try {
    sim = await startAsciiSimulator({
      path: opts.serial,
      definitionFile: opts.ascii,
      baudRate: opts.baud,
      seed: opts.seed,
    });
  } catch (err) {
    process.stderr.write(`simulator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.stdout.write(
    `simulator serving ascii analyzer ${sim.name || opts.ascii} on ${sim.path} at ${opts.baud} baud\n`,
  );
}
