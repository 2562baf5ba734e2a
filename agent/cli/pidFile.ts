import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where `run` records its process id so `reload` (and operators) can find it without ps: beside the
 * store, which is per station and writable by the agent. `--pid-file` overrides it.
 */
export function defaultPidFile(storagePath: string): string {
  return join(dirname(storagePath), 'agent.pid');
}

export function writePidFile(path: string): void {
  writeFileSync(path, `${process.pid}\n`);
}

/** Removes the file only if it is still ours: a second agent may have taken it over. */
export function removePidFile(path: string): void {
  try {
    if (existsSync(path) && readPid(path) === process.pid) rmSync(path);
  } catch {
    // Best effort at exit: a stale file is detected by `reload` (the process is gone).
  }
}

export function readPid(path: string): number | null {
  if (!existsSync(path)) return null;
  const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Whether `pid` is a station-agent: after a crash the pid file stays and the number may have been
 * reused by another program, which a SIGHUP would terminate. Linux tells through /proc; elsewhere
 * (no /proc) the process is assumed to be ours.
 */
export function isStationAgent(pid: number): boolean {
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self')) return true;
  try {
    const args = readFileSync(cmdline, 'utf8').split('\0');
    return args.some((a) => a.includes('station-agent') || /agent[/\\]cli[/\\]main\.[jt]s$/.test(a));
  } catch {
    return false;
  }
}

/** Signal 0 asks the kernel whether the process exists without disturbing it. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user (e.g. the service account).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
