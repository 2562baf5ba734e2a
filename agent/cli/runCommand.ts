import { AgentSupervisor } from '../app/agentSupervisor.js';
import { SelfWatchdog, WATCHDOG_EXIT_CODE } from '../app/selfWatchdog.js';
import { logConfigWarnings } from '../config/configWarnings.js';
import { formatProblems, loadConfig } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/log.js';
import { defaultPidFile, removePidFile, writePidFile } from './pidFile.js';
import { takeReloadMarker } from './reloadMarker.js';
import { exitForCorruptStore } from './storeCorruptExit.js';

/** Longest a stop may take before the process exits anyway (the promise: within 5 s). */
const STOP_DEADLINE_MS = 4500;

/**
 * `station-agent run`: start the agent and keep it running until SIGTERM/SIGINT. SIGHUP re-reads the
 * config file (`station-agent reload` sends it, finding the process through the pid file).
 */
export async function runCommand(configPath: string, pidFileOption?: string): Promise<number> {
  // Listening from the first moment: without a listener SIGHUP would terminate the process. One that
  // arrives before the agent runs has nothing to reload (the file is read at start anyway).
  let supervisor: AgentSupervisor | null = null;
  // Set with the supervisor: where `station-agent reload` leaves its marker (reloadMarker.ts).
  let markerBeside: string | null = null;
  process.on('SIGHUP', () => {
    if (supervisor === null || markerBeside === null) return;
    supervisor.reloadFromFile(takeReloadMarker(markerBeside, { pid: process.pid, now: Date.now() }));
  });
  const result = await loadConfig(configPath);
  if (!result.ok) {
    process.stderr.write(`${formatProblems(result.problems)}\n`);
    return 2;
  }
  const { config } = result;
  const log = createLogger({ level: config.log.level, pretty: process.stdout.isTTY === true });
  logConfigWarnings(log, result.warnings);
  // The supervisor owns the running agent so remote commands can reload it (config/set).
  const agent = new AgentSupervisor({
    configPath,
    clock: systemClock,
    log,
    // A damaged file met at run time: exit (code 74) so systemd restarts us and the start sets it aside.
    onStoreCorrupt: (err) =>
      exitForCorruptStore(log, pidFileOption ?? defaultPidFile(config.storage.path), err),
  });
  try {
    agent.start(config, result.hash);
  } catch (err) {
    // e.g. the database path is not writable: say so in one line, no stack trace.
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`station-agent: cannot start: ${msg}\n`);
    return 1;
  }
  const pidFile = pidFileOption ?? defaultPidFile(config.storage.path);
  try {
    writePidFile(pidFile);
  } catch (err) {
    // Without it only `reload` cannot find the agent (kill -HUP still works): not worth stopping for.
    log.warn({ err, pidFile }, 'could not write the pid file');
  }
  supervisor = agent;
  markerBeside = pidFile;
  // Readiness, as Type=notify would report it: the store is open and every bus has been started.
  log.info('station agent ready');
  // The equivalent of WatchdogSec: a stalled agent exits and systemd's Restart=on-failure restarts it.
  const watchdog = new SelfWatchdog({
    clock: systemClock,
    enabled: config.watchdog.enabled,
    stallAfterMs: config.watchdog.stallAfter,
    progress: () => agent.acquisitionProgress(),
    onStall: (reason) => {
      log.fatal(
        { code: 'WATCHDOG_STALL', reason, exitCode: WATCHDOG_EXIT_CODE },
        `watchdog: ${reason}; exiting`,
      );
      removePidFile(pidFile);
      // No orderly stop: whatever stalled would likely stall that too. SQLite commits are atomic.
      process.exit(WATCHDOG_EXIT_CODE);
    },
  });
  watchdog.start();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      watchdog.stop();
      log.info({ signal }, 'stopping');
      const deadline = setTimeout(() => {
        log.error('stop took too long; exiting anyway');
        resolve(1);
        process.exit(1);
      }, STOP_DEADLINE_MS);
      deadline.unref();
      removePidFile(pidFile);
      agent.stop().then(
        () => {
          clearTimeout(deadline);
          resolve(0);
        },
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          clearTimeout(deadline);
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
