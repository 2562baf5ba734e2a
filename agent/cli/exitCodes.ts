import { type Command, CommanderError } from 'commander';

/**
 * The exit codes of every `station-agent` command, one meaning each, so scripts and systemd can
 * tell a mistake in the command line from a failure of the station (README "Exit codes"):
 *
 *   0   done
 *   1   it failed: the store, a port, the network or the running agent did not do what was asked
 *   2   usage or configuration: an unknown option, a missing or malformed argument, an unknown
 *       device/channel id, a configuration file that is missing or invalid
 *
 * and the special ones, kept beside their owners: 3 `audit verify` found the chain broken
 * (AUDIT_BROKEN_EXIT), 70 the self-watchdog stopped `run` (WATCHDOG_EXIT_CODE), 74 `run` met a
 * damaged database (STORE_CORRUPT_EXIT_CODE), 130 `scan` interrupted by Ctrl-C.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Commander said its piece (an error message, help or the version) and asks to exit with this code. */
export class CommanderExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/**
 * Commander exits with 1 for its own usage errors (unknown option, missing argument, a value its
 * parser refused, no command given). Every command of the tree (addCommand does not pass settings
 * down) is told to throw instead, and the code is mapped: 0 (help, --version) stays 0, anything
 * else is a usage error, 2. The thrown CommanderExit reaches main's catch; nothing more is printed.
 */
export function usageErrorsExit2(cmd: Command): void {
  cmd.exitOverride((err: CommanderError) => {
    throw new CommanderExit(err.exitCode === EXIT_OK ? EXIT_OK : EXIT_USAGE);
  });
  for (const sub of cmd.commands) usageErrorsExit2(sub);
}

/** The exit code for an error that escaped a command's action (main's last resort). */
export function exitCodeForEscaped(err: unknown): number {
  if (err instanceof CommanderExit) return err.exitCode;
  // An InvalidArgumentError thrown by an action itself: a usage error, not yet printed.
  if (err instanceof CommanderError) return EXIT_USAGE;
  return EXIT_FAILURE;
}
