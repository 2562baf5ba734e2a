#!/usr/bin/env node
import { Command } from 'commander';
import { auditCommandDefinition } from './auditCommand.js';
import { backlogCommandDefinition } from './backlogCommand.js';
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
  .showHelpAfterError()
  .addHelpText('after', '\nExample:\n  station-agent validate --config /etc/station-agent/station.yaml');

program
  .command('run')
  .description('poll the analyzers, store every reading, forward upstream')
  .requiredOption('-c, --config <file>', 'station configuration (YAML)')
  .option('--pid-file <file>', 'where to record the process id (default: agent.pid beside storage.path)')
  .addHelpText(
    'after',
    '\nSIGHUP (or `station-agent reload`) re-reads the config file.\nExample:\n  station-agent run --config /etc/station-agent/station.yaml',
  )
  .action(async (opts: { config: string; pidFile?: string }) => {
    process.exitCode = await runCommand(opts.config, opts.pidFile);
  });

program
  .command('validate')
  .description('check a configuration file and list every problem with file:line:column')
  .requiredOption('-c, --config <file>', 'station configuration (YAML)')
  .addHelpText(
    'after',
    '\nExit codes: 0 valid, 2 invalid.\nExample:\n  station-agent validate --config config/examples/water-station.yaml',
  )
  .action((opts: { config: string }) => {
    process.exitCode = validateCommand(opts.config);
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

program.parseAsync(process.argv).catch((err: unknown) => {
  // Last resort: a bug, not bad input. One line, no stack unless debugging.
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`station-agent: ${msg}\n`);
  if (process.env.STATION_AGENT_DEBUG) console.error(err);
  process.exitCode = 1;
});
