import type Database from 'better-sqlite3';
import { type Clock, systemClock } from '../core/clock.js';
import { storeWriteError } from './storeErrors.js';

/**
 * Per-uplink delivery cursors: the highest seq an uplink has had acknowledged upstream. An uplink resends
 * everything after its cursor after a restart or reconnect, so the cursor only ever moves forward.
 */
export class Outbox {
  private readonly clock: Pick<Clock, 'now'>;
  private readonly selectCursor: Database.Statement;
  private readonly createCursor: Database.Statement;
  private readonly advanceCursor: Database.Statement;

  constructor(deps: { db: Database.Database; clock?: Pick<Clock, 'now'> }) {
    const { db } = deps;
    this.clock = deps.clock ?? systemClock;
    this.selectCursor = db.prepare('SELECT acked_seq FROM uplink_cursors WHERE uplink = ?').pluck();
    this.createCursor = db.prepare(
      'INSERT OR IGNORE INTO uplink_cursors (uplink, acked_seq, updated_at) VALUES (?, 0, ?)',
    );
    // The WHERE makes the forward-only rule hold in SQL too, whatever the caller passes.
    this.advanceCursor = db.prepare(
      `INSERT INTO uplink_cursors (uplink, acked_seq, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (uplink) DO UPDATE SET acked_seq = excluded.acked_seq, updated_at = excluded.updated_at
       WHERE excluded.acked_seq > uplink_cursors.acked_seq`,
    );
  }

  /** The uplink's cursor; 0 (and a row created) the first time an uplink id is seen. */
  cursor(uplinkId: string): number {
    return this.wrap(uplinkId, () => {
      const seq = this.selectCursor.get(uplinkId) as number | undefined;
      if (seq !== undefined) return seq;
      this.createCursor.run(uplinkId, this.clock.now());
      return 0;
    });
  }

  /** The uplink's cursor, or undefined when this uplink id has never had one (nothing is created). */
  peek(uplinkId: string): number | undefined {
    return this.wrap(uplinkId, () => this.selectCursor.get(uplinkId) as number | undefined);
  }

  /** Persists `seq` as acknowledged if it is beyond the current cursor; returns the cursor afterwards. */
  confirm(uplinkId: string, seq: number): number {
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new RangeError(`cursor seq must be a non-negative integer, got ${seq}`);
    }
    return this.wrap(uplinkId, () => {
      this.advanceCursor.run(uplinkId, seq, this.clock.now());
      return this.selectCursor.get(uplinkId) as number;
    });
  }

  private wrap<T>(uplinkId: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw storeWriteError(err, `uplink cursor for ${uplinkId}: ${String(err)}`, { uplink: uplinkId });
    }
  }
}
