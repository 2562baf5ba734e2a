import { existsSync } from 'node:fs';
import { Option } from 'commander';

/**
 * Where a command finds the station's configuration when `--config` is not given: the file named by
 * $STATION_AGENT_CONFIG, else the one scripts/install.sh writes. On a station every command is then
 * just `sudo station-agent backlog`. An explicit --config always wins.
 *
 * A set variable is not skipped when its file is missing: a typo in it must not quietly select
 * /etc/station-agent/station.yaml (another station's settings, on a test bench).
 */
export const CONFIG_ENV = 'STATION_AGENT_CONFIG';
export const DEFAULT_CONFIG_PATH = '/etc/station-agent/station.yaml';

const DEFAULT_NOTE = `default: $${CONFIG_ENV}, else ${DEFAULT_CONFIG_PATH}`;

/** The `-c, --config <file>` option, its help naming the default. */
export function configOption(what = 'station configuration (YAML)'): Option {
  return new Option('-c, --config <file>', `${what}; ${DEFAULT_NOTE}`);
}

export type ConfigPathChoice = { ok: true; path: string } | { ok: false; message: string };

export interface ConfigPathDeps {
  env: NodeJS.ProcessEnv;
  exists(path: string): boolean;
}

const systemDeps: ConfigPathDeps = { env: process.env, exists: existsSync };

/**
 * The file to load: `given` when there is one (a missing file is then the loader's to report, with
 * its reason), else the default. Without a usable default, a message saying what was tried and how
 * to give a file; the caller prints it and exits 2.
 */
export function chooseConfigPath(given: string | undefined, deps = systemDeps): ConfigPathChoice {
  if (given !== undefined) return { ok: true, path: given };
  const fromEnv = deps.env[CONFIG_ENV];
  const tried: string[] = [];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (deps.exists(fromEnv)) return { ok: true, path: fromEnv };
    tried.push(`  $${CONFIG_ENV} = ${fromEnv}: no such file (so ${DEFAULT_CONFIG_PATH} was not tried)`);
  } else {
    tried.push(`  $${CONFIG_ENV}: not set`);
    if (deps.exists(DEFAULT_CONFIG_PATH)) return { ok: true, path: DEFAULT_CONFIG_PATH };
    tried.push(`  ${DEFAULT_CONFIG_PATH}: no such file (scripts/install.sh writes it)`);
  }
  return {
    ok: false,
    message: [
      'station-agent: no configuration file: --config was not given and the default is not there.',
      'Tried:',
      ...tried,
      `Give one with --config FILE (e.g. --config config/examples/water-station.yaml) or set ${CONFIG_ENV}.`,
    ].join('\n'),
  };
}

/**
 * For a command's action: the configuration file to use, or undefined once the reason there is none
 * has been written to `err` (the command then exits EXIT_USAGE).
 */
export function resolveConfigPath(
  given: string | undefined,
  err: { write(text: string): unknown },
  deps = systemDeps,
): string | undefined {
  const choice = chooseConfigPath(given, deps);
  if (choice.ok) return choice.path;
  err.write(`${choice.message}\n`);
  return undefined;
}
