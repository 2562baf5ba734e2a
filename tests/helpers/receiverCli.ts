import { type ChildProcess, spawn } from 'node:child_process';
import pg from 'pg';
import { until } from '../../scripts/support/mosquitto.js';

/** The built receiver CLI (`--postgres`) as a child process, and queries on its database. */
export interface ReceiverChild {
  proc: ChildProcess;
  stderr(): string;
  /** SIGTERM and wait (no-op when it has exited). */
  stop(): Promise<void>;
}

/** The built receiver CLI as a child process; resolves once it says it is receiving. */
export async function startReceiverCli(args: string[]): Promise<ReceiverChild> {
  const proc = spawn(process.execPath, ['dist-tools/scripts/receiver/main.js', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
  };
  await until(
    () => err.includes('into PostgreSQL') || proc.exitCode !== null,
    30_000,
    () => `the receiver to start; stderr: ${err}`,
  );
  if (proc.exitCode !== null) throw new Error(`receiver exited ${proc.exitCode}: ${err}`);
  return { proc, stderr: () => err, stop };
}

export async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

export async function waitForCount(url: string, text: string, want: number, what: string): Promise<void> {
  let last = -1;
  const deadline = Date.now() + 60_000;
  for (;;) {
    last = Number((await sql<{ n: string }>(url, text))[0]?.n ?? -1);
    if (last === want) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${last}, want ${want}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
