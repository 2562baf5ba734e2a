import type Database from 'better-sqlite3';
import { Command } from 'commander';
import { formatProblems, loadConfig } from '../config/load.js';
import type { UplinkConfig } from '../config/schema.js';
import { ZonedTime } from './csv.js';
import { configOption, resolveConfigPath } from './defaultConfigPath.js';
import { EXIT_USAGE } from './exitCodes.js';
import { openStoreReadOnly } from './storeReadOnly.js';
import { renderTable } from './textTable.js';

/**
 * `station-agent backlog`: per uplink, what the store still holds for it: rows after its cursor,
 * the oldest unsent timestamp and its age. Read-only, beside the running agent. Cursor keys are the
 * MQTT uplink's (mqttUplink.ts): readings under the uplink id, aggregates under `<id>#aggregates`.
 * Other keys of an uplink (the HJ 212 uplink's streams) are listed with their cursor, not read.
 *
 * Exit codes: 0 shown, 1 store unreadable, 2 bad arguments or configuration.
 */

export type BacklogStream = 'readings' | 'aggregates';

export interface BacklogLine {
  uplink: string;
  stream: BacklogStream;
  cursorKey: string;
  /** acked seq (aseq for aggregates); null when the uplink has never delivered (no cursor row). */
  cursor: number | null;
  /** Rows stored after the cursor. */
  depth: number;
  /** Smallest timestamp among them (reading ts, record start), null when depth is 0. */
  oldestTs: number | null;
  /** When the cursor last moved (ms), null without a cursor row. */
  updatedAt: number | null;
}

export interface BacklogReport {
  lines: BacklogLine[];
  /** Cursor keys of configured uplinks this version does not interpret, with their value. */
  otherCursors: { uplink: string; key: string; cursor: number }[];
  /** Cursor keys of uplinks no longer in the configuration (their rows are kept, see docs). */
  unknownCursors: { key: string; cursor: number }[];
  lastSeq: number;
}

interface CursorRow {
  uplink: string;
  acked_seq: number;
  updated_at: number | null;
}

/** The backlog of each configured uplink (exported for tests: pure over an open database). */
export function backlogReport(
  db: Database.Database,
  uplinks: readonly Pick<UplinkConfig, 'id' | 'type'>[],
): BacklogReport {
  const cursors = new Map(
    (db.prepare('SELECT uplink, acked_seq, updated_at FROM uplink_cursors').all() as CursorRow[]).map((r) => [
      r.uplink,
      r,
    ]),
  );
  // One pass over the backlog's rows (a range on the primary key) gives both numbers.
  const readingsAfter = db.prepare('SELECT count(*) AS depth, min(ts) AS oldest FROM readings WHERE seq > ?');
  const hasAggregates = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'aggregates'")
    .get();
  const aggregatesAfter = hasAggregates
    ? db.prepare('SELECT count(*) AS depth, min(start_ts) AS oldest FROM aggregates WHERE aseq > ?')
    : undefined;
  const lastSeq = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'readings'").pluck().get() ??
    0) as number;

  const lines: BacklogLine[] = [];
  const otherCursors: BacklogReport['otherCursors'] = [];
  const seen = new Set<string>();
  const line = (uplink: string, stream: BacklogStream, key: string, stmt: Database.Statement) => {
    const row = cursors.get(key);
    seen.add(key);
    const cursor = row?.acked_seq ?? null;
    const r = stmt.get(cursor ?? 0) as { depth: number; oldest: number | null };
    lines.push({
      uplink,
      stream,
      cursorKey: key,
      cursor,
      depth: r.depth,
      oldestTs: r.oldest,
      updatedAt: row?.updated_at ?? null,
    });
  };
  for (const u of uplinks) {
    if (u.type === 'mqtt') {
      line(u.id, 'readings', u.id, readingsAfter);
      const aggKey = `${u.id}#aggregates`;
      // The aggregates stream exists once the uplink has opened it, or once there is something to send.
      const aggregatesStored =
        aggregatesAfter && (db.prepare('SELECT 1 FROM aggregates LIMIT 1').get() as unknown) !== undefined;
      if (aggregatesAfter && (cursors.has(aggKey) || aggregatesStored)) {
        line(u.id, 'aggregates', aggKey, aggregatesAfter);
      }
    }
    for (const [key, row] of cursors) {
      if (!seen.has(key) && (key === u.id || key.startsWith(`${u.id}#`))) {
        seen.add(key);
        otherCursors.push({ uplink: u.id, key, cursor: row.acked_seq });
      }
    }
  }
  const unknownCursors = [...cursors.values()]
    .filter((r) => !seen.has(r.uplink))
    .map((r) => ({ key: r.uplink, cursor: r.acked_seq }));
  return { lines, otherCursors, unknownCursors, lastSeq };
}

/** `3d 4h`, `12m 5s`, `800ms`: the two largest units, enough to judge an outage. */
export function formatAge(ms: number): string {
  if (ms < 0) return `${formatAge(-ms)} in the future`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = ms;
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || parts.length > 0) parts.push(`${n}${name}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return parts.filter((p) => !/^0/.test(p)).join(' ') || '0s';
}

export function formatBacklog(report: BacklogReport, zone: ZonedTime, now: number): string {
  const rows = report.lines.map((l) => [
    l.uplink,
    l.stream,
    l.cursor === null ? 'none yet' : String(l.cursor),
    String(l.depth),
    l.oldestTs === null ? '—' : zone.format(l.oldestTs),
    l.oldestTs === null ? '—' : formatAge(now - l.oldestTs),
    l.updatedAt === null ? '—' : `${formatAge(now - l.updatedAt)} ago`,
  ]);
  const out = [
    report.lines.length === 0
      ? 'no MQTT uplink in the configuration'
      : renderTable(['uplink', 'stream', 'cursor', 'backlog', 'oldest unsent', 'age', 'cursor moved'], rows),
  ];
  out.push('', `newest reading seq: ${report.lastSeq}`);
  for (const c of report.otherCursors)
    out.push(`cursor ${c.key} = ${c.cursor} (not interpreted by this command)`);
  for (const c of report.unknownCursors)
    out.push(`cursor ${c.key} = ${c.cursor} (no such uplink in the configuration)`);
  return `${out.join('\n')}\n`;
}

export interface BacklogIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
  now?: () => number;
}

export async function backlogCommand(
  opts: { config: string; json?: boolean },
  io: BacklogIo,
): Promise<number> {
  const loaded = await loadConfig(opts.config);
  if (!loaded.ok) {
    io.err.write(`${formatProblems(loaded.problems)}\n`);
    return 2;
  }
  const { config } = loaded;
  let db: Database.Database;
  try {
    db = openStoreReadOnly(config.storage.path);
  } catch (err) {
    io.err.write(`station-agent: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const report = backlogReport(db, config.uplinks);
    const now = (io.now ?? Date.now)();
    io.out.write(
      opts.json
        ? `${JSON.stringify({ now, ...report }, null, 2)}\n`
        : formatBacklog(report, new ZonedTime(config.station.timezone), now),
    );
    return 0;
  } catch (err) {
    io.err.write(`station-agent: cannot read the backlog: ${(err as Error).message}\n`);
    return 1;
  } finally {
    db.close();
  }
}

export function backlogCommandDefinition(): Command {
  return new Command('backlog')
    .description('per uplink: readings and aggregates not yet confirmed upstream, and how old they are')
    .addOption(configOption())
    .option('--json', 'print the numbers as JSON (for monitoring scripts)')
    .addHelpText(
      'after',
      `
backlog: rows stored after the uplink's cursor (the last seq it had confirmed); oldest unsent: the
earliest timestamp among them, in station time; age: how long ago that was. "none yet": the
uplink has never delivered anything. The store is opened read-only: safe beside the running agent.
Exit codes: 0 shown, 1 store unreadable, 2 bad arguments or configuration.

Example:
  station-agent backlog --config /etc/station-agent/station.yaml`,
    )
    .action(async (opts: { config?: string; json?: boolean }) => {
      const config = resolveConfigPath(opts.config, process.stderr);
      process.exitCode =
        config === undefined
          ? EXIT_USAGE
          : await backlogCommand({ ...opts, config }, { out: process.stdout, err: process.stderr });
    });
}
