import { constants, PerformanceObserver } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';

/**
 * Preloaded into the agent by the soak workload only (`node --import <this> dist/agent/cli/main.js run`,
 * with an IPC channel): answers the bench's requests for the process's own memory figures, so the
 * shipped agent needs no debug endpoint. Never part of an installed station.
 *
 *   {type: 'sample', gc: true}   full GC first (needs --expose-gc), then process.memoryUsage(): heap used
 *                                after GC, exactly; the GC every sample is a perturbation, said in the report
 *   {type: 'sample', gc: false}  memoryUsage() now, plus heapUsed read right after the last major GC V8 ran
 *                                by itself (observed, not forced: the agent runs as it would anyway)
 *   {type: 'snapshot', file}     v8.writeHeapSnapshot(file) (it runs a full GC itself), for comparisons
 */

export type ProbeRequest = { type: 'sample'; gc: boolean } | { type: 'snapshot'; file: string };

export interface ProbeSample {
  type: 'sample';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** heapUsed after GC: forced (gc: true) or after V8's last own major GC; null before the first one. */
  heapAfterGc: number | null;
  majorGcs: number;
}

let lastMajor: number | null = null;
let majorGcs = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      majorGcs++;
      // Read when the observer runs (just after the GC): what the heap holds that the GC could not free.
      lastMajor = process.memoryUsage().heapUsed;
    }
  }
});
observer.observe({ entryTypes: ['gc'] });

const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (msg: ProbeRequest) => {
  if (msg.type === 'sample') {
    let forced: number | null = null;
    if (msg.gc) {
      if (!gc) throw new Error('soakProbe: gc: true needs node --expose-gc');
      gc();
      forced = process.memoryUsage().heapUsed;
    }
    const m = process.memoryUsage();
    const reply: ProbeSample = {
      type: 'sample',
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      heapAfterGc: forced ?? lastMajor,
      majorGcs,
    };
    process.send?.(reply);
  } else if (msg.type === 'snapshot') {
    process.send?.({ type: 'snapshot', file: writeHeapSnapshot(msg.file) });
  }
});
// The channel must not keep the agent alive once it is told to stop.
process.channel?.unref();
