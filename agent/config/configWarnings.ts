import type { Logger } from '../core/log.js';
import { type ConfigProblem, problemLines } from './configErrors.js';

/**
 * Warnings of a config that loaded (a Modicon-style address, ...): logged once when the agent
 * starts or applies the file, with the same file:line:column lines `validate` prints, in the
 * message itself so a terminal and journald both show them whole.
 */
export function logConfigWarnings(log: Logger, warnings: readonly ConfigProblem[]): void {
  if (warnings.length === 0) return;
  log.warn(
    { code: 'CONFIG_WARNING', warnings: warnings.length },
    `config warnings (the config is applied):\n${problemLines(warnings).join('\n')}`,
  );
}
