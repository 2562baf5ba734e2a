import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type SeqRange, SeqRanges } from './seqRanges.js';

/**
 * Which (station, db, seq) triples a receiver has (keyed "station#db", or "station" for payloads
 * without a db), persisted to a small JSON file so a restarted receiver
 * still drops what it already had. Written after a short delay (many batches, one write) and on
 * close; write-then-rename so a crash leaves the old or the new file. A crash between accepting a
 * reading and the next write means those readings are accepted again after the restart: the
 * consumer's own store must still upsert on (station, db, seq) — this file narrows duplicates, it cannot
 * make delivery exactly-once.
 */
export class DedupeState {
  private readonly path: string | null;
  private readonly stations = new Map<string, SeqRanges>();
  private timer: NodeJS.Timeout | null = null;

  /** `path` null keeps the state in memory only. */
  constructor(path: string | null) {
    this.path = path;
    if (path !== null && existsSync(path)) {
      const data = JSON.parse(readFileSync(path, 'utf8')) as { stations?: Record<string, SeqRange[]> };
      for (const [station, ranges] of Object.entries(data.stations ?? {})) {
        this.stations.set(station, new SeqRanges(ranges));
      }
    }
  }

  of(station: string): SeqRanges {
    let ranges = this.stations.get(station);
    if (ranges === undefined) {
      ranges = new SeqRanges();
      this.stations.set(station, ranges);
    }
    return ranges;
  }

  /** Schedules a write. */
  touch(): void {
    if (this.path === null || this.timer !== null) return;
    this.timer = setTimeout(() => this.flush(), 200);
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.path === null) return;
    const stations: Record<string, SeqRange[]> = {};
    for (const [station, ranges] of this.stations) stations[station] = ranges.ranges;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ v: 1, stations }));
    renameSync(tmp, this.path);
  }
}
