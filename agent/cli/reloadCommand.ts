import { Command } from 'commander';
import { formatProblems, loadConfig } from '../config/load.js';
import { configOption, resolveConfigPath } from './defaultConfigPath.js';
import { EXIT_USAGE } from './exitCodes.js';
import { defaultPidFile, isStationAgent, processAlive, readPid } from './pidFile.js';
import { cliUser, removeReloadMarker, writeReloadMarker } from './reloadMarker.js';

/**
 * `station-agent reload`: sends SIGHUP to the running agent, found through its pid file. The agent
 * re-reads its own config file; this command only validates first so the technician sees the
 * problems here instead of in the agent's log (the agent checks again and keeps its config if bad).
 *
 * Exit codes: 0 signal sent, 1 no running agent, 2 bad arguments or configuration.
 */
export interface ReloadIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

export async function reloadCommand(
  opts: { config?: string; pidFile?: string },
  io: ReloadIo,
): Promise<number> {
  let pidFile = opts.pidFile;
  if (opts.config !== undefined) {
    const loaded = await loadConfig(opts.config);
    if (!loaded.ok) {
      io.err.write(`${formatProblems(loaded.problems)}\nnot reloaded: the running agent keeps its config\n`);
      return 2;
    }
    pidFile ??= defaultPidFile(loaded.config.storage.path);
  }
  if (pidFile === undefined) {
    io.err.write('station-agent: give --config FILE or --pid-file FILE\n');
    return 2;
  }
  const pid = readPid(pidFile);
  if (pid === null || !processAlive(pid)) {
    io.err.write(`station-agent: the agent is not running (no live process in ${pidFile})\n`);
    return 1;
  }
  if (!isStationAgent(pid)) {
    io.err.write(`station-agent: process ${pid} of ${pidFile} is not a station-agent (stale pid file)\n`);
    return 1;
  }
  // Tells the agent this SIGHUP came from the CLI, and from whom, for its config audit log.
  const marked = writeReloadMarker(pidFile, { pid, user: cliUser(), ts: Date.now() });
  try {
    process.kill(pid, 'SIGHUP');
  } catch (err) {
    if (marked) removeReloadMarker(pidFile);
    io.err.write(`station-agent: cannot signal process ${pid}: ${(err as Error).message}\n`);
    return 1;
  }
  io.out.write(`reload requested (SIGHUP to ${pid}); the agent logs whether it applied the config\n`);
  return 0;
}

export function reloadCommandDefinition(): Command {
  return new Command('reload')
    .description('make the running agent re-read its config file (SIGHUP), without a restart')
    .addOption(configOption('station configuration (YAML): validated, and locates the pid file'))
    .option('--pid-file <file>', 'the pid file `run` wrote (default: agent.pid beside storage.path)')
    .addHelpText(
      'after',
      `
With --pid-file alone the configuration is neither read nor validated.
Exit codes: 0 signal sent, 1 no running agent, 2 bad arguments or configuration.
Example:
  station-agent reload --config /etc/station-agent/station.yaml`,
    )
    .action(async (opts: { config?: string; pidFile?: string }) => {
      // The default configuration only when nothing says where the agent is.
      const config =
        opts.config === undefined && opts.pidFile !== undefined
          ? undefined
          : resolveConfigPath(opts.config, process.stderr);
      if (config === undefined && opts.pidFile === undefined) {
        process.exitCode = EXIT_USAGE;
        return;
      }
      process.exitCode = await reloadCommand(
        { ...opts, config },
        { out: process.stdout, err: process.stderr },
      );
    });
}
