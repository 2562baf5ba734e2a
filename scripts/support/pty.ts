import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real pseudo-terminal pair made by socat: two device paths joined like a null-modem cable.
 * The agent opens `agentPath`, the simulator `simPath`. Stopping socat removes both links,
 * which is how the tests unplug a USB-serial adapter; start() plugs it back under the same names.
 */
export interface PtyPair {
  readonly agentPath: string;
  readonly simPath: string;
  start(): Promise<void>;
  /** Unplug: socat ends, both device links disappear. */
  stop(): Promise<void>;
}

export function assertSocat(): void {
  if (spawnSync('sh', ['-c', 'command -v socat'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('socat is not installed; the serial tests need it: sudo apt-get install -y socat');
  }
}

export async function createPtyPair(dir = mkdtempSync(join(tmpdir(), 'sa-pty-'))): Promise<PtyPair> {
  assertSocat();
  // stop() must keep the folder (a re-plug reuses its names): it goes when the test process ends.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const agentPath = join(dir, 'agent-tty');
  const simPath = join(dir, 'sim-tty');
  let child: ChildProcess | undefined;

  const pair: PtyPair = {
    agentPath,
    simPath,
    async start() {
      if (child) return;
      const proc = spawn('socat', [`pty,raw,echo=0,link=${agentPath}`, `pty,raw,echo=0,link=${simPath}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = proc;
      let stderr = '';
      proc.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const deadline = Date.now() + 5000;
      while (!(existsSync(agentPath) && existsSync(simPath))) {
        if (proc.exitCode !== null) throw new Error(`socat exited early: ${stderr.trim()}`);
        if (Date.now() > deadline) throw new Error(`socat made no ptys within 5 s: ${stderr.trim()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      });
      // socat removes its links on exit; wait until they are gone so a re-plug is a fresh device.
      const deadline = Date.now() + 2000;
      while ((existsSync(agentPath) || existsSync(simPath)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
  await pair.start();
  return pair;
}
