import { readdirSync, readFileSync } from 'node:fs';
import { sampleProcess } from './procSampler.js';

/**
 * CPU seconds of whole process trees and of the machine, from /proc (Linux), to say where the time of
 * a multi-process workload went (workload 7: receivers, mosquitto, PostgreSQL's backends). PostgreSQL
 * does its work in backends forked by the postmaster, so a tree counts the root, its live descendants,
 * and what the root has reaped from exited children (cutime + cstime).
 */

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** USER_HZ of /proc/stat and of cutime/cstime: 100 on every Linux this runs on (procSampler asks getconf). */
const TICKS = 100;

/** CPU seconds (user + system) of `root` and every descendant alive now, plus what root reaped. */
export function treeCpuSeconds(root: number): number {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const f = statFields(pid);
    if (f) parents.set(pid, Number(f[1]));
  }
  const inTree = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!inTree.has(pid) && inTree.has(ppid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  let seconds = 0;
  for (const pid of inTree) {
    try {
      seconds += sampleProcess(pid).cpuS;
    } catch {
      // exited between the listing and the read
    }
  }
  const rootStat = statFields(root);
  if (rootStat) seconds += (Number(rootStat[13]) + Number(rootStat[14])) / TICKS;
  return seconds;
}

/** Busy and total CPU seconds of the whole machine since boot (/proc/stat, all cores). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { busy: (total - idle) / TICKS, total: total / TICKS };
}
