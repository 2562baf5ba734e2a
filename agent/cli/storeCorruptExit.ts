import type { Logger } from '../core/log.js';
import { removePidFile } from './pidFile.js';

/**
 * The process exit code when a statement met a damaged database file at run time (EX_IOERR), distinct
 * from 1 (error), 2 (config) and 70 (watchdog) so an operator reading `systemctl status` knows why.
 * systemd's Restart=on-failure starts the agent again, and that start sets the file aside (the reason
 * was written into the database's `.in-use` marker first: openStationDatabase.ts).
 */
export const STORE_CORRUPT_EXIT_CODE = 74;

/**
 * Ends `run` at once. No orderly stop: every further statement on the damaged file could fail, and
 * what was committed before is in the file (kept, renamed, by the next start).
 */
export function exitForCorruptStore(log: Logger, pidFile: string, err: Error): never {
  log.fatal(
    { code: 'STORE_CORRUPT', exitCode: STORE_CORRUPT_EXIT_CODE, err },
    'the database file is damaged; exiting so that the next start sets it aside',
  );
  removePidFile(pidFile);
  process.exit(STORE_CORRUPT_EXIT_CODE);
}
