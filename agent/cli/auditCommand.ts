import type Database from 'better-sqlite3';
import { Command, InvalidArgumentError } from 'commander';
import type { SettingChange } from '../audit/configDiff.js';
import { formatProblems, loadConfig } from '../config/load.js';
import { ZonedTime } from '../core/zonedTime.js';
import {
  type AuditEntry,
  type ChainReport,
  describeBreak,
  hasAuditLog,
  readAuditLog,
  verifyAuditChain,
} from '../store/auditChain.js';
import { openStoreReadOnly } from '../store/storeReadOnly.js';
import { configOption, resolveConfigPath } from './defaultConfigPath.js';
import { EXIT_USAGE } from './exitCodes.js';
import { renderTable } from './textTable.js';

/**
 * `station-agent audit verify|show`: the configuration audit log (docs/audit.md) of a station's
 * store, found through the config (storage.path) or given with --db. Read-only, safe beside the
 * running agent.
 *
 * Exit codes: 0 intact (verify) or shown, 1 store unreadable or without an audit log, 2 bad
 * arguments or configuration problems, 3 the chain is broken (verify).
 */

export const AUDIT_BROKEN_EXIT = 3;

export interface AuditIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

interface StoreOptions {
  config?: string;
  db?: string;
}

/** The store to read and how to show times: the station's zone with --config, UTC with --db. */
async function openAuditStore(
  opts: StoreOptions,
  io: AuditIo,
): Promise<{ db: Database.Database; zone: ZonedTime | null } | number> {
  if ((opts.config === undefined) === (opts.db === undefined)) {
    io.err.write('station-agent: give either --config FILE or --db PATH\n');
    return 2;
  }
  let path = opts.db;
  let zone: ZonedTime | null = null;
  if (opts.config !== undefined) {
    const loaded = await loadConfig(opts.config);
    if (!loaded.ok) {
      io.err.write(`${formatProblems(loaded.problems)}\n`);
      return 2;
    }
    path = loaded.config.storage.path;
    zone = new ZonedTime(loaded.config.station.timezone);
  }
  let db: Database.Database;
  try {
    db = openStoreReadOnly(path!);
  } catch (err) {
    io.err.write(`station-agent: ${(err as Error).message}\n`);
    return 1;
  }
  if (!hasAuditLog(db)) {
    db.close();
    io.err.write(`station-agent: ${path} has no audit log yet (the agent adds it when it next starts)\n`);
    return 1;
  }
  return { db, zone };
}

export async function auditVerifyCommand(opts: StoreOptions, io: AuditIo): Promise<number> {
  const opened = await openAuditStore(opts, io);
  if (typeof opened === 'number') return opened;
  let report: ChainReport;
  try {
    report = verifyAuditChain(opened.db);
  } catch (err) {
    io.err.write(`station-agent: cannot read the audit log: ${(err as Error).message}\n`);
    return 1;
  } finally {
    opened.db.close();
  }
  const head = report.head ? `; last row ${report.head.id}, hash ${report.head.hash}` : '';
  if (report.broken !== null) {
    io.err.write(`audit log BROKEN at ${describeBreak(report.broken)}\n`);
    io.err.write(`(${report.entries} rows${head})\n`);
    return AUDIT_BROKEN_EXIT;
  }
  io.out.write(
    report.entries === 0
      ? 'audit log intact: no entries yet\n'
      : `audit log intact: ${report.entries} entries${head}\n`,
  );
  return 0;
}

export async function auditShowCommand(
  opts: StoreOptions & { json?: boolean; limit?: number },
  io: AuditIo,
): Promise<number> {
  const opened = await openAuditStore(opts, io);
  if (typeof opened === 'number') return opened;
  let entries: AuditEntry[];
  try {
    entries = readAuditLog(opened.db, opts.limit);
  } catch (err) {
    io.err.write(`station-agent: cannot read the audit log: ${(err as Error).message}\n`);
    return 1;
  } finally {
    opened.db.close();
  }
  io.out.write(
    opts.json ? `${JSON.stringify(entries.map(entryJson), null, 2)}\n` : formatAuditLog(entries, opened.zone),
  );
  return 0;
}

/** Rows shown as stored, with the JSON columns parsed (as text when a row no longer parses). */
function entryJson(e: AuditEntry): Record<string, unknown> {
  return {
    id: e.id,
    ts: new Date(e.ts).toISOString(),
    source: e.source,
    actor: e.actor,
    beforeHash: e.beforeHash,
    afterHash: e.afterHash,
    changes: parseOr(e.changes),
    config: parseOr(e.config),
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const MAX_VALUE_CHARS = 40;

function valueText(v: unknown): string {
  const text = JSON.stringify(v) ?? 'null';
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** `path: before → after`, `path: added …`, `path: removed`. */
export function changeText(c: SettingChange): string {
  if (!('before' in c)) return `${c.path}: added ${valueText(c.after)}`;
  if (!('after' in c)) return `${c.path}: removed`;
  return `${c.path}: ${valueText(c.before)} → ${valueText(c.after)}`;
}

export function formatAuditLog(entries: readonly AuditEntry[], zone: ZonedTime | null): string {
  if (entries.length === 0) return 'the audit log has no entries yet\n';
  const time = (ts: number) => (zone ? zone.format(ts) : new Date(ts).toISOString());
  const rows = entries.map((e) => {
    const changes = parseOr(e.changes);
    const text = !Array.isArray(changes)
      ? `(unreadable: ${e.changes.slice(0, MAX_VALUE_CHARS)})`
      : e.beforeHash === null
        ? '(first entry: the whole config)'
        : changes.length === 0
          ? '(same settings; file text or comments changed)'
          : (changes as SettingChange[]).map(changeText).join('; ');
    return [
      String(e.id),
      time(e.ts),
      e.source,
      e.actor ?? '',
      e.afterHash.slice(0, 12),
      e.hash.slice(0, 12),
      text,
    ];
  });
  const last = entries.at(-1)!;
  return `${[
    renderTable(['#', 'time', 'source', 'actor', 'config', 'hash', 'changed settings'], rows),
    '',
    `last row ${last.id}, hash ${last.hash} (note it to detect later deletion; "audit verify" checks the chain)`,
  ].join('\n')}\n`;
}

/** --db, --config, or else the default configuration (undefined once the reason was printed). */
function withDefaultConfig<T extends StoreOptions>(opts: T): T | undefined {
  if (opts.db !== undefined) return opts;
  const config = resolveConfigPath(opts.config, process.stderr);
  return config === undefined ? undefined : { ...opts, config };
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a positive whole number of entries');
  return n;
}

export function auditCommandDefinition(): Command {
  const audit = new Command('audit').description(
    'the tamper-evident log of configuration changes: verify its hash chain, or show it',
  );
  audit
    .command('verify')
    .description('check the hash chain of the audit log; name the first edited, deleted or moved row')
    .addOption(configOption('station configuration (YAML): gives storage.path'))
    .option('--db <path>', 'the station database itself (e.g. a copy taken for an inspection)')
    .addHelpText(
      'after',
      `
Exit codes: 0 intact, 1 store unreadable or without an audit log, 2 bad arguments or configuration,
3 the chain is broken (the message names the first bad row).
Example:
  station-agent audit verify --config /etc/station-agent/station.yaml`,
    )
    .action(async (given: StoreOptions) => {
      const opts = withDefaultConfig(given);
      process.exitCode =
        opts === undefined
          ? EXIT_USAGE
          : await auditVerifyCommand(opts, { out: process.stdout, err: process.stderr });
    });
  audit
    .command('show')
    .description('list the configuration changes: time, source, actor, hashes, changed settings')
    .addOption(configOption('station configuration (YAML): gives storage.path and the time zone'))
    .option('--db <path>', 'the station database itself (times in UTC)')
    .option('--json', 'print the entries as JSON, with each redacted config')
    .option('--limit <n>', 'only the newest n entries', parseLimit)
    .addHelpText(
      'after',
      `
Secrets never appear: they show as "[redacted]", and a changed secret as "[redacted]" on both sides.
Exit codes: 0 shown, 1 store unreadable or without an audit log, 2 bad arguments or configuration.
Example:
  station-agent audit show --config /etc/station-agent/station.yaml --limit 20`,
    )
    .action(async (given: StoreOptions & { json?: boolean; limit?: number }) => {
      const opts = withDefaultConfig(given);
      process.exitCode =
        opts === undefined
          ? EXIT_USAGE
          : await auditShowCommand(opts, { out: process.stdout, err: process.stderr });
    });
  return audit;
}
