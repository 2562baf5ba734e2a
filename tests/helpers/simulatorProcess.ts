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

export interface SimulatorProcess {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(args: string[], timeoutMs = 30_000): Promise<SimulatorProcess> {
  if (!existsSync(SIMULATOR_CLI)) {
    throw new Error(`${SIMULATOR_CLI} is missing: run "npm run build" (npm test does it in pretest)`);
  }
  const child = spawn(process.execPath, [SIMULATOR_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  while (!/^simulator (listening|serving) /m.test(out)) {
    if (child.exitCode !== null) throw new Error(`simulator ${args.join(' ')} exited early:\n${out}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`simulator ${args.join(' ')} not ready within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out, stop };
}
