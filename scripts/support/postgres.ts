import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './freePort.js';

/**
 * A real PostgreSQL server for integration tests and the bench (workload 7), from the Debian server binaries: initdb into a temp
 * dir and `postgres` as a child process on a free loopback port (never the system service). initdb
 * refuses to run as root, so as root the cluster is made and run as the `postgres` user (setpriv).
 * fsync off: the tests are about what the receiver commits, not about the disk.
 */
export interface PostgresHandle {
  /** postgres://postgres@127.0.0.1:port/postgres */
  url: string;
  port: number;
  /** The postmaster's process id (its backends are its children; the bench samples their CPU). */
  pid: number;
  /** The cluster's data directory: server-side COPY TO/FROM a relative path lands here. */
  dataDir: string;
  /** SIGINT (fast shutdown), wait, remove the temp dir. */
  dispose(): Promise<void>;
}

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const INSTALL_HINT =
  'sudo apt-get install -y postgresql-15 (the tests need initdb and postgres in /usr/lib/postgresql/15/bin)';

export async function startPostgres(): Promise<PostgresHandle> {
  if (!existsSync(join(PG_BIN, 'initdb')) || !existsSync(join(PG_BIN, 'postgres'))) {
    throw new Error(`PostgreSQL server binaries not found in ${PG_BIN}: ${INSTALL_HINT}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'pg-test-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // The cluster's owner must be able to reach the dir; mkdtemp makes it 0700.
  chmodSync(dir, 0o777);
  const wrap = (cmd: string, args: string[]): [string, string[]] =>
    // setpriv execs (no forking parent like runuser's), so our signals reach postgres itself.
    asRoot
      ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]]
      : [cmd, args];
  const [initCmd, initArgs] = wrap(join(PG_BIN, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  try {
    execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
    throw new Error(`initdb failed: ${stderr.trim()}`);
  }
  const port = await freePort();
  const [cmd, args] = wrap(join(PG_BIN, 'postgres'), [
    '-D',
    data,
    '-k',
    dir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'max_connections=100',
  ]);
  const proc: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const dispose = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGINT'); // fast shutdown
      const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) {
      await dispose();
      throw new Error(`postgres exited at start: ${stderr.trim()}`);
    }
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        await dispose();
        throw new Error(`postgres did not accept connections within 30 s: ${stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, port, pid: proc.pid ?? -1, dataDir: data, dispose };
}
