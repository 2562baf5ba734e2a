import { Command } from 'commander';
import { parseListen } from '../config/httpSchema.js';
import { formatProblems, loadConfig } from '../config/load.js';
import { valueText } from '../core/valueText.js';
import { nameLabel } from '../http/page/statusText.js';
import type { OperationsStatus } from '../http/statusReport.js';
import { configOption, resolveConfigPath } from './defaultConfigPath.js';
import { EXIT_USAGE } from './exitCodes.js';
import { renderTable } from './textTable.js';

/**
 * `station-agent status`: the running agent's /api/status, in the terminal. It asks the agent's own
 * status server (the listen address and token of the config) rather than reading the store, so it
 * shows live facts: link states, last values, connections.
 *
 * Exit codes: 0 shown, 1 the agent is not running or did not answer, 2 bad arguments or configuration.
 */
export interface StatusIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

/** A wildcard bind address is reachable on loopback; connecting to 0.0.0.0 itself is not portable. */
function connectHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

export async function statusCommand(opts: { config: string; json?: boolean }, io: StatusIo): Promise<number> {
  const loaded = await loadConfig(opts.config);
  if (!loaded.ok) {
    io.err.write(`${formatProblems(loaded.problems)}\n`);
    return 2;
  }
  const { http } = loaded.config;
  const addr = parseListen(http.listen);
  if (!http.enabled || addr === null) {
    io.err.write('station-agent: http.enabled is false: the agent has no status server to ask\n');
    return 2;
  }
  const host = connectHost(addr.host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/api/status`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: http.token ? { authorization: `Bearer ${http.token}` } : {},
      signal: AbortSignal.timeout(5000),
    });
  } catch {
    io.err.write(`station-agent: the agent is not running (nothing answers at ${http.listen})\n`);
    return 1;
  }
  if (!res.ok) {
    io.err.write(`station-agent: the agent answered ${res.status} ${res.statusText} at ${url}\n`);
    return 1;
  }
  const status = (await res.json()) as OperationsStatus;
  io.out.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
  return 0;
}

const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
const mb = (b: number | null) => (b === null ? '-' : `${(b / 1_048_576).toFixed(1)} MB`);

/** An empty list says so, rather than leaving a bare header. */
function table(headers: string[], rows: string[][]): string {
  return rows.length === 0 ? '  (none)' : renderTable(headers, rows);
}

/** With the channel's decimals (an agent before they were reported sends none: shown as measured). */
function shownValue(v: { value: number | null; decimals?: number | null }): string {
  return v.value === null ? '-' : valueText(v.value, v.decimals);
}

export function formatStatus(s: OperationsStatus): string {
  const out: string[] = [];
  out.push(
    `station ${s.station.id}${s.station.name ? ` (${s.station.name})` : ''}  config ${s.station.configHash.slice(0, 12)}`,
  );
  const head = s.station.auditHead;
  if (head) out.push(`audit log: last row ${head.id}, hash ${head.hash}`);
  out.push(`store ${s.store.path}: ${mb(s.store.bytes)}, free disk ${mb(s.store.freeBytes)}`);
  out.push('', 'devices');
  out.push(
    table(
      ['device', 'bus', 'link', 'last ok', 'polls', 'failures', 'values'],
      s.devices.map((d) => [
        nameLabel(d.id, d.name, 'en'),
        d.bus,
        d.lastErrors.length > 0 ? `${d.link} (${d.lastErrors.join(', ')})` : d.link,
        time(d.lastOkAt),
        String(d.polls),
        String(d.failures),
        d.values
          .map(
            (v) =>
              `${nameLabel(v.channel, v.name, 'en')}=${shownValue(v)}${v.unit ? ` ${v.unit}` : ''} ${v.flag}`,
          )
          .join('  '),
      ]),
    ),
  );
  out.push('', 'uplinks');
  out.push(
    table(
      ['uplink', 'connected', 'backlog', 'oldest unsent', 'last confirmation'],
      s.uplinks.map((u) => [
        u.id,
        u.connected ? 'yes' : 'no',
        String(u.backlog),
        u.oldestUnsentAgeS === null ? '-' : `${Math.round(u.oldestUnsentAgeS)} s ago`,
        time(u.lastConfirmAt),
      ]),
    ),
  );
  // Below the table: the reason is a sentence, too long for a column.
  for (const u of s.uplinks) {
    const e = u.lastError;
    if (e) out.push(`  ${u.id}: last error since ${time(e.at)}: ${e.message}${e.code ? ` [${e.code}]` : ''}`);
  }
  const facilities = s.facilities ?? [];
  if (facilities.length > 0) {
    out.push('', 'facilities');
    out.push(
      table(
        ['facility', 'role', 'state', 'since', 'power', 'alarm'],
        facilities.map((f) => [
          nameLabel(f.id, f.name, 'en'),
          f.role,
          f.state,
          time(f.since),
          f.power === null ? '-' : valueText(f.power),
          // An open alarm names the treatment that is not running along, and since when.
          f.alarms.map((a) => `ALARM ${a.treatment} ${a.fault} since ${time(a.since)}`).join('; ') || '-',
        ]),
      ),
    );
  }
  if (s.events.length > 0) {
    out.push('', 'recent events');
    for (const e of s.events) out.push(`${time(e.ts)}  ${e.kind}`);
  }
  return `${out.join('\n')}\n`;
}

export function statusCommandDefinition(): Command {
  return new Command('status')
    .description("the running agent's devices, values and uplinks (asks its status server)")
    .addOption(configOption('station configuration (YAML): gives http.listen and http.token'))
    .option('--json', 'print /api/status as JSON')
    .addHelpText(
      'after',
      `
Exit codes: 0 shown, 1 the agent is not running or did not answer, 2 bad arguments or configuration.
Example:
  station-agent status --config /etc/station-agent/station.yaml`,
    )
    .action(async (opts: { config?: string; json?: boolean }) => {
      const config = resolveConfigPath(opts.config, process.stderr);
      process.exitCode =
        config === undefined
          ? EXIT_USAGE
          : await statusCommand({ ...opts, config }, { out: process.stdout, err: process.stderr });
    });
}
