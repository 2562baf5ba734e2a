import type Database from 'better-sqlite3';
import { Command } from 'commander';
import { formatProblems, loadConfig } from '../config/load.js';
import { openStoreReadOnly } from '../store/storeReadOnly.js';
import { type BacklogReport, backlogReport } from './backlogReport.js';
import { ZonedTime } from './csv.js';
import { configOption, resolveConfigPath } from './defaultConfigPath.js';
import { EXIT_USAGE } from './exitCodes.js';
import { renderTable } from './textTable.js';

/**
 * `station-agent backlog`: per uplink and stream, what the store still holds for it: rows not yet
 * delivered, the oldest of them and its age (backlogReport.ts: MQTT readings, aggregates and
 * events; HJ 212 realtime, minute, hour and day data with their re-send ranges). Read-only,
 * beside the running agent.
 *
 * Exit codes: 0 shown, 1 store unreadable, 2 bad arguments or configuration.
 */

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
    l.resend === undefined ? '' : String(l.resend),
    l.oldestTs === null ? '—' : zone.format(l.oldestTs),
    l.oldestTs === null ? '—' : formatAge(now - l.oldestTs),
    l.updatedAt === null ? '—' : `${formatAge(now - l.updatedAt)} ago`,
  ]);
  const out = [
    report.lines.length === 0
      ? 'no uplink in the configuration'
      : renderTable(
          ['uplink', 'stream', 'cursor', 'unsent', 'to resend', 'oldest unsent', 'age', 'cursor moved'],
          rows,
        ),
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
    .description('per uplink (MQTT and HJ 212): data not yet confirmed upstream, and how old it is')
    .addOption(configOption())
    .option('--json', 'print the numbers as JSON (for monitoring scripts)')
    .addHelpText(
      'after',
      `
One line per uplink and stream: MQTT readings, aggregates and events; HJ 212 realtime (2011),
minute (2051), hour (2061) and day (2031) data. cursor: the last seq the uplink had confirmed
("none yet": it never delivered anything); unsent: rows stored and not yet confirmed; to resend:
of those, the HJ 212 backlog (补传) queued after an outage; oldest unsent: the earliest timestamp
among them, in station time; age: how long ago that was. The store is opened read-only: safe
beside the running agent. --json prints the same lines for monitoring.
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
