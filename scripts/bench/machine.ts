import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';

/** The machine a benchmark ran on, recorded beside every figure. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  ramGb: number;
  node: string;
  os: string;
  commit: string;
  /** True when the checkout had uncommitted changes: the figures are not those of `commit` alone. */
  dirty: boolean;
  date: string;
}

export function machineInfo(repoRoot: string, now: Date): MachineInfo {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    ramGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: osName(),
    commit: git(repoRoot, ['rev-parse', 'HEAD']) ?? 'unknown',
    dirty: (git(repoRoot, ['status', '--porcelain']) ?? '') !== '',
    date: now.toISOString(),
  };
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m?.[1]) return `${m[1]} (${type()} ${release()})`;
  } catch {
    // no os-release
  }
  return `${type()} ${release()}`;
}

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
