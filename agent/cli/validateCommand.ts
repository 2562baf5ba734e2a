import { formatProblems, loadConfigSync, plural, problemLines } from '../config/load.js';

/**
 * `station-agent validate`: 0 when the file is valid (its warnings listed), 2 with every problem
 * listed when it is not.
 */
export function validateCommand(configPath: string): number {
  const result = loadConfigSync(configPath);
  if (!result.ok) {
    process.stderr.write(`${formatProblems(result.problems)}\n`);
    return 2;
  }
  const c = result.config;
  const { warnings } = result;
  if (warnings.length > 0) process.stderr.write(`${problemLines(warnings).join('\n')}\n`);
  process.stdout.write(
    `${configPath}: valid — station ${c.station.id}, ${c.buses.length} bus(es), ${c.devices.length} device(s), ` +
      `${c.devices.reduce((n, d) => n + d.channels.length, 0)} channel(s), ${c.uplinks.length} uplink(s)` +
      `${warnings.length > 0 ? `; ${plural(warnings.length, 'warning')}` : ''}\n`,
  );
  return 0;
}
