/**
 * What each benchmark workload reports (scripts/bench/workloads/*.ts). The runner (scripts/bench/main.ts)
 * writes them to bench/results.json and as a table to docs/performance.md. Every figure is a ratio
 * against a baseline measured side by side in the same run, never an absolute time compared to a constant.
 */
export interface BenchOptions {
  /** Smoke run for npm test: tiny sizes, one repetition, under a minute for all workloads together. */
  quick: boolean;
  /** Repetitions of short workloads; the report gives the median (5 or more in a full run). */
  runs: number;
  /** Scratch directory for databases, configs and logs of this run. */
  workDir: string;
  /** Run length of the long-running workloads (the soak) when given on the command line (--minutes). */
  minutes?: number;
  log: (line: string) => void;
  /** Size of workload 7's fleet (--stations, --channels, --seconds); absent: its defaults. */
  fleet?: { stations?: number; channels?: number; seconds?: number };
}

export interface Figure {
  /** e.g. "transactions/s", "bytes/reading", "MB RSS". */
  name: string;
  /** Median over the runs. */
  value: number;
  /** Every run's value, for the record. */
  samples: number[];
  unit: string;
}

export interface WorkloadResult {
  /** 1..6, the row of issue 9's table; 7, issue 19's soak. */
  id: number;
  name: string;
  /** What the agent (or its component) achieved. */
  measured: Figure[];
  /** The same figures for the side-by-side baseline, where there is one. */
  baseline: Figure[];
  /** Each target: the figure compared, the bound, and whether it was met. */
  targets: {
    what: string;
    /** e.g. "ratio >= 0.9", "<= 48 bytes/reading". */
    bound: string;
    actual: number;
    met: boolean;
  }[];
  /** Why a target is missed, what was profiled, before/after; shown under the table. */
  notes: string[];
}

export interface Workload {
  id: number;
  name: string;
  /** A name for --only besides the id (e.g. `--only soak`). */
  key?: string;
  /** Hours long: a full run includes it only when --only names it (a quick run always does). */
  onlyWhenNamed?: boolean;
  run(opts: BenchOptions): Promise<WorkloadResult>;
}
