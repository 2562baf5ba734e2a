import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Samples a process's resident memory and CPU time from /proc (Linux), the figures `top` shows, with
 * no agent or library involvement: /proc/<pid>/status VmRSS, /proc/<pid>/stat utime + stime.
 */

export interface ProcSample {
  /** performance.now() of the sample. */
  at: number;
  rssMb: number;
  /** User + system CPU seconds since the process started. */
  cpuS: number;
}

let ticks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (100 on almost every Linux). */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export function sampleProcess(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return {
    at: performance.now(),
    rssMb: rss ? Number(rss[1]) / 1024 : Number.NaN,
    cpuS: (utime + stime) / clockTicks(),
  };
}

/** Samples every `everyMs` until stopped; a process that has gone simply stops adding samples. */
export function startSampling(pid: number, everyMs: number): { samples: ProcSample[]; stop(): void } {
  const samples: ProcSample[] = [];
  const take = () => {
    try {
      samples.push(sampleProcess(pid));
    } catch {
      // gone: the workload notices through the process's exit
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return { samples, stop: () => clearInterval(timer) };
}

/** CPU use in % of one core between two samples. */
export function cpuPercent(from: ProcSample, to: ProcSample): number {
  return ((to.cpuS - from.cpuS) / ((to.at - from.at) / 1000)) * 100;
}
