import { Command, InvalidArgumentError } from 'commander';
import { runAsciiSimulator } from './asciiMain.js';
import { type ControlServer, startControlServer } from './control.js';
import { type SimulatorHandle, startSimulator } from './modbusTcpServer.js';
import { type RtuSimulatorHandle, startRtuSimulator } from './rtuServer.js';
import { SimulatorMapError } from './simulatorConfig.js';

/**
 * `npm run simulate -- --map … --port …`: the analyzer simulator as its own process, for demos
 * and for tests that run the agent as a real process. Prints `simulator listening on
 * <host>:<port> (units 1, 7)` once everything is ready (preceded by `control api on <url>` when
 * --control-port is given), and stops cleanly on SIGINT/SIGTERM.
 *
 * With `--serial <path>` the units answer Modbus RTU on that serial port (or pty) instead, and the
 * ready line is `simulator serving Modbus RTU on <path> at <baud> baud (units 1, 7)`; give --port
 * as well to serve Modbus TCP too (the TCP line then comes last). The control API drives the RTU
 * units when there are any.
 */

function portArg(min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > 65535) {
      throw new InvalidArgumentError(`expected a port ${min}..65535`);
    }
    return n;
  };
}

function parityArg(text: string): 'none' | 'even' | 'odd' {
  if (text !== 'none' && text !== 'even' && text !== 'odd') {
    throw new InvalidArgumentError('expected none, even or odd');
  }
  return text;
}

function intArg(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

const program = new Command('simulate')
  .description('Simulated water-quality analyzers answering Modbus TCP, driven by a register map')
  .option('-m, --map <file>', 'register map YAML (see scripts/simulator/maps/); required unless --ascii')
  .option(
    '--ascii <file>',
    'serve a text-protocol analyzer from this definition on --serial instead of Modbus (scripts/simulator/ascii/)',
  )
  .option('-p, --port <port>', 'Modbus TCP port (a real port: 0 is not allowed)', portArg(1), 5020)
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--control-port <port>', 'serve the HTTP control API on loopback at this port', portArg(0))
  .option('--seed <n>', 'seed for noise and random walks', intArg, 1)
  .option('--serial <path>', 'answer Modbus RTU on this serial port or pty (TCP only if --port is given too)')
  .option('--baud <rate>', 'baud rate for --serial', intArg, 9600)
  .option('--parity <parity>', 'parity for --serial: none, even or odd', parityArg, 'none')
  .addHelpText(
    'after',
    `
Example:
  npm run simulate -- --map scripts/simulator/maps/demo-water.yaml --port 5020 --control-port 5021
  curl -X POST localhost:5021/units/7/silent -d '{"on":true}'     # unit 7 stops answering
  curl -X POST localhost:5021/units/7/exception -d '{"code":2}'   # answers exception 02
  curl localhost:5021/stats
  npm run simulate -- --map scripts/simulator/maps/sonde.yaml --serial /dev/ttyUSB1 --baud 9600 --control-port 5021
  npm run simulate -- --ascii scripts/simulator/ascii/thermo-49i.yaml --serial /dev/ttyUSB2   # C-Link O3 analyzer
  curl -X POST localhost:5021/units/1/corrupt-crc -d '{"probability":0.1}'  # 10 % of answers corrupted

Control API (JSON, loopback): POST /units/:unit/state {"value":1} | silent {"on":true} |
  slow {"ms":1500} | exception {"code":2|null} | points/:name {"value":12.5|null} |
  corrupt-crc {"probability":0.1} (RTU only); GET /stats, GET /units/:unit/values`,
  );

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{
    map?: string;
    ascii?: string;
    port: number;
    host: string;
    controlPort?: number;
    seed: number;
    serial?: string;
    baud: number;
    parity: 'none' | 'even' | 'odd';
  }>();
  if (opts.ascii !== undefined) {
    await runAsciiSimulator({ ascii: opts.ascii, serial: opts.serial, baud: opts.baud, seed: opts.seed });
    return;
  }
  if (opts.map === undefined) {
    fail(new Error('give --map <file> (or --ascii <file> with --serial <path>)'));
    return;
  }
  const withTcp = opts.serial === undefined || program.getOptionValueSource('port') !== 'default';

  let rtu: RtuSimulatorHandle | undefined;
  let tcp: SimulatorHandle | undefined;
  const stopAll = () => Promise.all([rtu?.stop(), tcp?.stop()]);
  try {
    if (opts.serial !== undefined) {
      rtu = await startRtuSimulator({
        mapFile: opts.map,
        path: opts.serial,
        baudRate: opts.baud,
        parity: opts.parity,
        seed: opts.seed,
      });
    }
    if (withTcp) {
      tcp = await startSimulator({ mapFile: opts.map, port: opts.port, host: opts.host, seed: opts.seed });
    }
  } catch (err) {
    await stopAll();
    fail(err);
    return;
  }
  const target = (rtu ?? tcp)!;

  let control: ControlServer | undefined;
  if (opts.controlPort !== undefined) {
    try {
      control = await startControlServer(target, { port: opts.controlPort });
    } catch (err) {
      await stopAll();
      fail(err);
      return;
    }
  }

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    Promise.all([stopAll(), control?.close()]).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`simulator: error while stopping on ${signal}: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  // The listening line comes last and keeps its exact shape: scripts wait for it as "ready".
  if (control !== undefined) process.stdout.write(`control api on http://${control.host}:${control.port}\n`);
  if (rtu !== undefined) {
    const units = rtu.units.join(', ');
    process.stdout.write(
      `simulator serving Modbus RTU on ${rtu.path} at ${opts.baud} baud (units ${units})\n`,
    );
  }
  if (tcp !== undefined) {
    process.stdout.write(`simulator listening on ${tcp.host}:${tcp.port} (units ${tcp.units.join(', ')})\n`);
  }
}

function fail(err: unknown): void {
  const message =
    err instanceof SimulatorMapError
      ? err.message
      : err instanceof Error && 'code' in err && err.code === 'EADDRINUSE'
        ? `port already in use: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
  process.stderr.write(`simulator: ${message}\n`);
  process.exitCode = 1;
}

await main();
