import { readFileSync, rmSync } from 'node:fs';
import { writeFileDurably } from './durableFile.js';

/**
 * `<database>.in-use`: written when the agent opens its database and removed once it has closed it
 * cleanly. Found at start, it says the last run ended without closing the file (power cut, kill -9,
 * watchdog exit), which is when a file gets damaged: only then is the costly PRAGMA quick_check
 * worth its time (openStationDatabase.ts). When a statement failed with SQLITE_CORRUPT at run time,
 * the agent writes that reason into it before exiting, and the next start sets the file aside on
 * SQLite's word rather than on a new check that might pass and loop.
 */
export interface MarkerContent {
  pid: number;
  /** When the database was opened, epoch ms. */
  since: number;
  /** Set when a statement failed with SQLITE_CORRUPT or SQLITE_NOTADB while the agent ran. */
  corrupt?: { reason: string; at: number };
}

export class UncleanStopMarker {
  readonly path: string;

  constructor(databasePath: string) {
    this.path = `${databasePath}.in-use`;
  }

  /** The marker left by the previous run, or null when it stopped cleanly (or never ran). */
  read(): MarkerContent | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return null;
    }
    try {
      const parsed = JSON.parse(text) as Partial<MarkerContent>;
      return { pid: Number(parsed.pid ?? 0), since: Number(parsed.since ?? 0), ...pickCorrupt(parsed) };
    } catch {
      // Half-written by a power cut: still proof of an unclean stop.
      return { pid: 0, since: 0 };
    }
  }

  /** Durably: a marker lost in the page cache by a power cut would hide the very case it is for. */
  write(content: MarkerContent): void {
    writeFileDurably(this.path, JSON.stringify(content));
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}

function pickCorrupt(parsed: Partial<MarkerContent>): Pick<MarkerContent, 'corrupt'> {
  const c = parsed.corrupt;
  if (c === undefined || typeof c.reason !== 'string') return {};
  return { corrupt: { reason: c.reason, at: Number(c.at ?? 0) } };
}
