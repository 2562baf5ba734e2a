import { statSync } from 'node:fs';
import { join } from 'node:path';
import { built, type Child, DIST_TOOLS, spawnNode } from './benchProcesses.js';
import { sampleProcess } from './procSampler.js';
import type { ProbeRequest, ProbeSample } from './soakProbe.js';

/**
 * One agent of the soak workload: the built CLI (`station-agent run`) as a child process, with the
 * bench-only probe preloaded (soakProbe.ts) for its heap figures, and the samples taken every period.
 */

const MB = 2 ** 20;

export interface SoakSample {
  /** Hours since the agent started. */
  h: number;
  rssMb: number;
  /** Heap used after a GC (forced or V8's own last major GC, see SoakAgentOptions.forceGc). */
  heapAfterGcMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  walMb: number;
  shmMb: number;
}

export interface SoakAgentOptions {
  label: string;
  nodeFlags: string[];
  /** Force a full GC before each heap reading (exact, but perturbs RSS) or read after V8's own major GCs. */
  forceGc: boolean;
  configFile: string;
  dbPath: string;
  pidFile: string;
}

export interface SoakAgent {
  readonly options: SoakAgentOptions;
  readonly child: Child;
  readonly samples: SoakSample[];
  /** Samples once now (RSS from /proc, the rest from the probe, WAL/shm by stat). */
  sample(): Promise<void>;
  snapshot(file: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startSoakAgent(o: SoakAgentOptions): Promise<SoakAgent> {
  const probe = `file://${join(DIST_TOOLS, 'scripts/bench/soakProbe.js')}`;
  built('scripts/bench/soakProbe.js');
  const child = await spawnNode(
    [
      ...o.nodeFlags,
      ...(o.forceGc ? ['--expose-gc'] : []),
      '--import',
      probe,
      built('agent/cli/main.js'),
      'run',
      '--config',
      o.configFile,
      '--pid-file',
      o.pidFile,
    ],
    /station agent ready/,
    { timeoutMs: 30_000, ipc: true },
  );
  const startedAt = performance.now();
  const samples: SoakSample[] = [];
  let pending: { type: string; resolve: (m: unknown) => void; reject: (e: Error) => void } | null = null;
  child.proc.on('message', (m: { type: string }) => {
    if (pending?.type === m.type) {
      const p = pending;
      pending = null;
      p.resolve(m);
    }
  });
  child.proc.once('exit', (code, signal) => {
    pending?.reject(new Error(`agent ${o.label} exited (${code ?? signal}):\n${tail(child.output())}`));
    pending = null;
  });
  const ask = <T>(req: ProbeRequest, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (pending) return reject(new Error('soak probe: one request at a time'));
      const timer = setTimeout(() => {
        pending = null;
        reject(new Error(`agent ${o.label}: no answer to ${req.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending = {
        type: req.type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      child.proc.send(req);
    });

  return {
    options: o,
    child,
    samples,
    async sample() {
      const rssMb = sampleProcess(child.pid).rssMb;
      const p = await ask<ProbeSample>({ type: 'sample', gc: o.forceGc }, 10_000);
      samples.push({
        h: (performance.now() - startedAt) / 3_600_000,
        rssMb,
        heapAfterGcMb: (p.heapAfterGc ?? Number.NaN) / MB,
        externalMb: p.external / MB,
        arrayBuffersMb: p.arrayBuffers / MB,
        walMb: fileMb(`${o.dbPath}-wal`),
        shmMb: fileMb(`${o.dbPath}-shm`),
      });
    },
    snapshot: async (file) => (await ask<{ file: string }>({ type: 'snapshot', file }, 120_000)).file,
    stop: () => child.stop(),
  };
}

function fileMb(path: string): number {
  try {
    return statSync(path).size / MB;
  } catch {
    return 0; // no WAL at this moment (checkpointed and truncated, or not yet created)
  }
}

function tail(text: string): string {
  return text.split('\n').slice(-20).join('\n');
}
