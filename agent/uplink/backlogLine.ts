import type { UplinkConfig } from '../config/schema.js';
import type { CursorRow } from '../store/backlogQueries.js';

/**
 * One line of `station-agent backlog` and the cursor lookup the lines are built with. Each uplink
 * plugin makes the lines of its type (`UplinkPlugin.backlogLines`); agent/cli/backlogReport.ts
 * collects them.
 */

export interface BacklogLine {
  uplink: string;
  type: UplinkConfig['type'];
  /** The stream's name as the uplink calls it: MQTT readings, aggregates, events; HJ 212 realtime, minute… */
  stream: string;
  /** The stream's cursor key (HJ 212: the live stream's). */
  cursorKey: string;
  /** Acked seq (aseq for aggregates, id for events); null when the uplink has never delivered (no cursor row). */
  cursor: number | null;
  /** Rows not yet delivered (HJ 212: after the live cursor plus those waiting in the re-send ranges). */
  depth: number;
  /** Smallest timestamp among them (reading ts, record start, event ts), null when depth is 0. */
  oldestTs: number | null;
  /** When a cursor of the stream last moved (ms), null without a cursor row. */
  updatedAt: number | null;
  /** HJ 212 only: of `depth`, the rows waiting to be re-sent after an outage (RF=1 under 2025). */
  resend?: number;
}

/** Looks up cursors by key and remembers which ones a line has used. */
export class CursorTable {
  private readonly byKey: Map<string, CursorRow>;
  readonly used = new Set<string>();

  constructor(rows: readonly CursorRow[]) {
    this.byKey = new Map(rows.map((r) => [r.key, r]));
  }

  get(key: string): CursorRow | undefined {
    this.used.add(key);
    return this.byKey.get(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  all(): CursorRow[] {
    return [...this.byKey.values()];
  }
}
