import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { Outbox } from '../../store/outbox.js';
import type { UplinkSettingsStore } from '../../store/uplinkSettings.js';
import type { OutboxSource } from '../outboxSource.js';
import { OutboxStream, type StreamStats } from '../outboxStream.js';
import { BacklogRanges, backlogSource, type SeqRange } from './backlog.js';
import { groupAligned } from './realtimeGate.js';

/**
 * The live and backlog streams of one kind of data (real-time readings or aggregates) on an HJ 212
 * uplink; the why is in backlog.ts. Cursor keys: `<uplink>#<name>` and `<uplink>#<name>-backlog`
 * ("#" cannot occur in an uplink id, so no other uplink's key collides).
 */

/** The two kinds of data an HJ 212 uplink sends, each with its stream pair. */
export type Hj212StreamName = 'realtime' | 'aggregates';

/**
 * What a stream pair persists under: its two cursor keys (uplink_cursors) and the uplink_settings
 * key of its backlog ranges. Also read by `station-agent backlog` (backlogLines.ts).
 */
export function streamPairKeys(uplinkId: string, name: Hj212StreamName) {
  return { live: `${uplinkId}#${name}`, backlog: `${uplinkId}#${name}-backlog`, ranges: `backlog.${name}` };
}

export interface StreamPairOptions<Row> {
  uplinkId: string;
  name: Hj212StreamName;
  /** Rows the live stream may send (the real-time gate, or the aggregates table). */
  source: OutboxSource<Row>;
  /** Reads are cut between groups (one message each) so a message is never split across batches. */
  groupOf: (row: Row) => string | number;
  cursors: Outbox;
  settings: UplinkSettingsStore;
  clock: Clock;
  log: Logger;
  maxRows: number;
  /**
   * Where the pair starts when it has never run (no live cursor yet): the seq after which it sends.
   * Rows up to it are never sent by this uplink (`backfill`); without it, everything stored is.
   */
  firstRun?: () => number;
  /** Sends one batch: fulfils once delivered (answered, or written when no answer is asked). */
  send(rows: Row[], resend: boolean): Promise<void>;
}

export class StreamPair<Row> {
  readonly live: OutboxStream<Row>;
  readonly backlog: OutboxStream<Row>;
  private readonly ranges: BacklogRanges;
  private readonly opts: StreamPairOptions<Row>;

  constructor(opts: StreamPairOptions<Row>) {
    this.opts = opts;
    const { uplinkId, name, settings, cursors, clock, log, maxRows } = opts;
    const keys = streamPairKeys(uplinkId, name);
    const rangesKey = keys.ranges;
    let initial: SeqRange[] = [];
    try {
      initial = settings.get<SeqRange[]>(uplinkId, rangesKey)?.value ?? [];
    } catch (err) {
      // Unreadable ranges: the rows they held are below the live cursor and would not be re-sent.
      log.error({ err, uplink: uplinkId, stream: name }, 'HJ 212 backlog ranges unreadable');
    }
    this.ranges = new BacklogRanges(initial, (r) => settings.set(uplinkId, rangesKey, r));
    if (opts.firstRun !== undefined) this.startFresh(keys.live, opts.firstRun);
    const common = {
      cursors,
      clock,
      log,
      // maxDelay 0: rows reach the stream only once complete (gate, whole commits), so none waits.
      batch: { maxRows, maxDelay: 0 },
    };
    this.live = new OutboxStream<Row>({
      ...common,
      name,
      cursorKey: keys.live,
      source: groupAligned(opts.source, opts.groupOf),
      // Several live batches may await their answers: a slow 9014 must not hold back new data.
      maxInFlight: 4,
      send: (rows) => opts.send(rows, false),
    });
    this.backlog = new OutboxStream<Row>({
      ...common,
      name: `${name}-backlog`,
      cursorKey: keys.backlog,
      source: groupAligned(backlogSource(opts.source, this.ranges), opts.groupOf),
      maxInFlight: 1,
      send: (rows) => opts.send(rows, true),
    });
  }

  /**
   * A pair that has never run starts at `firstRun()`: its live cursor is written before the streams
   * start (they would create it at 0), so what came before is never sent, also after a restart.
   */
  private startFresh(liveKey: string, firstRun: () => number): void {
    const { uplinkId, name, cursors, log } = this.opts;
    try {
      if (cursors.peek(liveKey) !== undefined) return;
      const from = firstRun();
      // confirm() creates the cursor row at `from` (0 when nothing stored is old enough to skip).
      cursors.confirm(liveKey, Math.max(0, from));
      log.info(
        { uplink: uplinkId, stream: name, from },
        'HJ 212 uplink runs for the first time: data stored up to here is not sent (backfill)',
      );
    } catch (err) {
      // The cursor stays as it was: at worst everything stored is sent, as without a backfill.
      log.error({ err, uplink: uplinkId, stream: name }, 'HJ 212 uplink could not set where it starts');
    }
  }

  /**
   * A connection is opening: what the live stream has not delivered becomes backlog and the live
   * cursor moves to the newest row. Call before OutboxPump.open(). Throws when the store fails;
   * the connection is then dropped and tried again, nothing moved.
   */
  beginConnection(): SeqRange | null {
    const { uplinkId, name, cursors, source } = this.opts;
    const { live: liveKey, backlog: backlogKey } = streamPairKeys(uplinkId, name);
    this.ranges.prune(cursors.cursor(backlogKey));
    const live = cursors.cursor(liveKey);
    const head = source.lastSeq();
    if (head <= live) return null;
    // Ranges first: a crash before the cursor moves re-adds an overlapping range, which merges.
    this.ranges.add(live, head);
    cursors.confirm(liveKey, head);
    return { from: live, to: head };
  }

  stats(): { live: StreamStats; backlog: StreamStats } {
    return { live: this.live.stats(), backlog: this.backlog.stats() };
  }
}
