import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { referenceSimulatorMap } from './referenceStation.js';

/**
 * Child processes of the benchmarks. The simulator always runs as its own process (the built one
 * in dist-tools/), so the Modbus server never shares an event loop or a core with what is measured.
 */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = join(REPO_ROOT, 'dist');
/** The tools' build (tsconfig.scripts.json): the simulator and the other scripts are not shipped in dist/. */
export const DIST_TOOLS = join(REPO_ROOT, 'dist-tools');

/** The built file for a path of the source tree, failing loudly when the build is missing. */
export function built(relative: string): string {
  const file = join(relative.startsWith('scripts/') ? DIST_TOOLS : DIST, relative);
  if (!existsSync(file)) {
    const build = relative.startsWith('scripts/') ? 'npm run build:tools' : 'npm run build';
    throw new Error(`${file} is missing: run "${build}" first (npm test builds in pretest)`);
  }
  return file;
}

export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  output(): string;
  /** SIGTERM, SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Spawns `node <args>` and resolves once a line of its stdout matches `ready` (rejects if it exits first). */
export async function spawnNode(
  args: string[],
  ready: RegExp,
  opts: {
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    nodeFlags?: string[];
    ipc?: boolean;
    /** Look for `ready` in stderr too (the receiver logs there). */
    readyOnStderr?: boolean;
  } = {},
): Promise<Child & { match: RegExpExecArray }> {
  const proc = spawn(process.execPath, [...(opts.nodeFlags ?? []), ...args], {
    stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let out = '';
  const child: Child = {
    proc,
    pid: proc.pid ?? -1,
    output: () => out,
    stop: () => stopChild(proc),
  };
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${args.join(' ')}: not ready within ${opts.timeoutMs ?? 15_000} ms:\n${out}`));
    }, opts.timeoutMs ?? 15_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on(
      'data',
      opts.readyOnStderr
        ? onData
        : (d: Buffer) => {
            out += d.toString();
          },
    );
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
  return Object.assign(child, { match });
}

export function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Writes the reference station's simulator map into `dir` and returns its path. */
export function writeReferenceMap(dir: string): string {
  const file = join(dir, 'reference-map.yaml');
  writeFileSync(file, stringify(referenceSimulatorMap()));
  return file;
}

/** The reference station's analyzers on Modbus TCP loopback, as the built simulator process. */
export async function startTcpSimulator(mapFile: string, port: number): Promise<Child> {
  return spawnNode(
    [built('scripts/simulator/main.js'), '--map', mapFile, '--port', String(port)],
    /simulator listening on/,
  );
}
