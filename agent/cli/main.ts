#!/usr/bin/env node
import { Command } from 'commander';
import { findPackageVersion } from '../core/packageVersion.js';
import { auditCommandDefinition } from './auditCommand.js';
import { backlogCommandDefinition } from './backlogCommand.js';
import { configOption, resolveConfigPath } from './defaultConfigPath.js';
import { CommanderExit, EXIT_USAGE, exitCodeForEscaped, usageErrorsExit2 } from './exitCodes.js';
import { exportCommandDefinition } from './exportCommand.js';
import { portsCommandDefinition } from './portsCommand.js';
import { readCommandDefinition } from './readCommand.js';
import { reloadCommandDefinition } from './reloadCommand.js';
import { runCommand } from './runCommand.js';
import { scanCommandDefinition } from './scanCommand.js';
import { statusCommandDefinition } from './statusCommand.js';
import { validateCommand } from './validateCommand.js';

const program = new Command();
program
  .name('station-agent')
  .description('Edge data agent for environmental monitoring stations')
  .version(findPackageVersion(import.meta.url) ?? 'unknown', '-V, --version', 'print the version and exit')
  .addHelpText(
    'after',
    `
Every command taking --config reads $STATION_AGENT_CONFIG, else /etc/station-agent/station.yaml,
when it is not given.
Exit codes: 0 done, 1 failed, 2 usage or configuration error (each command's --help adds its own).

Example:
  station-agent validate --config /etc/station-agent/station.yaml`,
  );

program
  .command('run')
  .description('poll the analyzers, store every reading, forward upstream')
  .addOption(configOption())
  .option('--pid-file <file>', 'where to record the process id (default: agent.pid beside storage.path)')
  .addHelpText(
    'after',
    '\nSIGHUP (or `station-agent reload`) re-reads the config file.\nExample:\n  station-agent run --config /etc/station-agent/station.yaml',
  )
  .action(async (opts: { config?: string; pidFile?: string }) => {
    const config = resolveConfigPath(opts.config, process.stderr);
    process.exitCode = config === undefined ? EXIT_USAGE : await runCommand(config, opts.pidFile);
  });

program
  .command('validate')
  .description('check a configuration file and list every problem with file:line:column')
  .addOption(configOption())
  .addHelpText(
    'after',
    '\nExit codes: 0 valid, 2 invalid (or no such file).\nExample:\n  station-agent validate --config config/examples/water-station.yaml',
  )
  .action((opts: { config?: string }) => {
    const config = resolveConfigPath(opts.config, process.stderr);
    process.exitCode = config === undefined ? EXIT_USAGE : validateCommand(config);
  });

// The technician's wiring tools: each in its own file, with its own --help example.
program.addCommand(scanCommandDefinition());
program.addCommand(readCommandDefinition());
program.addCommand(portsCommandDefinition());

// The station PC's reporting tools: read-only on the store, safe beside the running agent.
program.addCommand(exportCommandDefinition());
program.addCommand(backlogCommandDefinition());

// Operating the running agent: its status server and its config reload.
program.addCommand(statusCommandDefinition());
program.addCommand(reloadCommandDefinition());

// Inspection: the hash-chained audit log of configuration changes, read-only on the store.
program.addCommand(auditCommandDefinition());

// Usage errors (unknown option, missing or refused argument) exit 2, with a pointer to --help.
usageErrorsExit2(program);
for (const cmd of commandTree(program)) {
  cmd.showHelpAfterError(`(run "${commandPath(cmd)} --help" for usage and examples)`);
}

function* commandTree(cmd: Command): Generator<Command> {
  yield cmd;
  for (const sub of cmd.commands) yield* commandTree(sub);
}

function commandPath(cmd: Command): string {
  return cmd.parent ? `${commandPath(cmd.parent)} ${cmd.name()}` : cmd.name();
}

program.parseAsync(process.argv).catch((err: unknown) => {
  const code = exitCodeForEscaped(err);
  // Commander printed its message already; anything else is said here in one line, no stack
  // unless debugging (a bug, or an argument refused inside an action).
  if (!(err instanceof CommanderExit)) {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`station-agent: ${msg}\n`);
    if (process.env.STATION_AGENT_DEBUG) console.error(err);
  }
  process.exitCode = code;
});
