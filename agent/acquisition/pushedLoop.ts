import type { AgentError } from '../core/errors.js';
import type { PollResult } from '../core/pollOutcome.js';
import type { PushedSource } from './driverPlugin.js';

/**
 * The pushed counterpart of the poll scheduler: instead of asking on a grid, the device's driver
 * delivers results when they arrive (a passive listener, a server fed by a data logger), and
 * deviceAcquisition records each one as it would a poll's. Between stop() and the next start()
 * nothing a late callback delivers is recorded: a driver's socket may still be closing.
 */

export interface PushedHandlers {
  /** Resolves once the result's readings are committed (rejects when they could not be). */
  record(result: PollResult): Promise<void>;
  linkLost(error: AgentError): void;
  linkResumed(): void;
}

export interface PushedLoop {
  /** Starts the source; idempotent while running. */
  start(): void;
  /** Stops the source; resolves once it has stopped. */
  stop(): Promise<void>;
}

export function pushedLoop(source: PushedSource, handlers: PushedHandlers): PushedLoop {
  let generation = 0;
  let active = false;
  return {
    start() {
      if (active) return;
      active = true;
      const gen = ++generation;
      const live = () => active && gen === generation;
      source.start({
        result: (r) => {
          if (live()) return handlers.record(r);
          return Promise.reject(new Error('the device is stopped: the result was not recorded'));
        },
        linkLost: (e) => {
          if (live()) handlers.linkLost(e);
        },
        linkResumed: () => {
          if (live()) handlers.linkResumed();
        },
      });
    },
    async stop() {
      if (!active) return;
      active = false;
      await source.stop();
    },
  };
}
