import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The built analyzer simulator (`npm run simulate -- …` = node dist-tools/scripts/simulator/main.js) as
 * a child process, started the way the README tells a maintainer to start it. Resolves once it
 * printed its ready line ("simulator listening on …" / "simulator serving …").
 */

export const SIMULATOR_CLI = fileURLToPath(
  new URL('../../dist-tools/scripts/simulator/main.js', import.meta.url),
);

/** The built DL/T 645 meter simulator (`npm run simulate:meters -- …`). */
export const METER_SIMULATOR_CLI = fileURLToPath(
  new URL('../../dist-tools/scripts/simulator/dlt645Main.js', import.meta.url),
);

export interface SimulatorProcess {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function startSimulatorProcess(args: string[], timeoutMs = 30_000): Promise<SimulatorProcess> {
  return startProcess(SIMULATOR_CLI, /^simulator (listening|serving) /m, args, timeoutMs);
}

/** The meter simulator on a serial path, e.g. ['--serial', pty, '--meters', '000000000001,000000000002']. */
export function startMeterSimulatorProcess(args: string[], timeoutMs = 30_000): Promise<SimulatorProcess> {
  return startProcess(METER_SIMULATOR_CLI, /^dlt645 simulator serving /m, args, timeoutMs);
}

async function startProcess(
  cli: string,
  ready: RegExp,
  args: string[],
  timeoutMs: number,
): Promise<SimulatorProcess> {
  if (!existsSync(cli)) {
    throw new Error(`${cli} is missing: run "npm run build" (npm test does it in pretest)`);
  }
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(out)) {
    if (child.exitCode !== null) throw new Error(`simulator ${args.join(' ')} exited early:\n${out}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`simulator ${args.join(' ')} not ready within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out, stop };
}
