import { Command, InvalidArgumentError } from 'commander';
import { type ControlServer, startControlServer } from './control.js';
import { type SimulatorHandle, startSimulator } from './modbusTcpServer.js';
import { SimulatorMapError } from './simulatorConfig.js';

/**
 * `npm run simulate -- --map … --port …`: the analyzer simulator as its own process, for demos
 * and for tests that run the agent as a real process. Prints `simulator listening on
 * <host>:<port> (units 1, 7)` once everything is ready (preceded by `control api on <url>` when
 * --control-port is given), and stops cleanly on SIGINT/SIGTERM.
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

function intArg(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

const program = new Command('simulate')
  .description('Simulated water-quality analyzers answering Modbus TCP, driven by a register map')
  .requiredOption('-m, --map <file>', 'register map YAML (see scripts/simulator/maps/)')
  .option('-p, --port <port>', 'Modbus TCP port (a real port: 0 is not allowed)', portArg(1), 5020)
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--control-port <port>', 'serve the HTTP control API on loopback at this port', portArg(0))
  .option('--seed <n>', 'seed for noise and random walks', intArg, 1)
  .addHelpText(
    'after',
    `
Example:
  npm run simulate -- --map scripts/simulator/maps/demo-water.yaml --port 5020 --control-port 5021
  curl -X POST localhost:5021/units/7/silent -d '{"on":true}'     # unit 7 stops answering
  curl -X POST localhost:5021/units/7/exception -d '{"code":2}'   # answers exception 02
  curl localhost:5021/stats

Control API (JSON, loopback): POST /units/:unit/state {"value":1} | silent {"on":true} |
  slow {"ms":1500} | exception {"code":2|null} | points/:name {"value":12.5|null};
  GET /stats, GET /units/:unit/values`,
  );

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{
    map: string;
    port: number;
    host: string;
    controlPort?: number;
    seed: number;
  }>();

  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({ mapFile: opts.map, port: opts.port, host: opts.host, seed: opts.seed });
  } catch (err) {
    fail(err);
    return;
  }

  let control: ControlServer | undefined;
  if (opts.controlPort !== undefined) {
    try {
      control = await startControlServer(sim, { port: opts.controlPort });
    } catch (err) {
      await sim.stop();
      fail(err);
      return;
    }
  }

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    Promise.all([sim.stop(), control?.close()]).then(
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
  process.stdout.write(`simulator listening on ${sim.host}:${sim.port} (units ${sim.units.join(', ')})\n`);
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
