import { z } from 'zod';
import { boundedDuration, duration, formatDuration } from './duration.js';
import { boundedSize } from './size.js';

export { parseSize } from './size.js';

/**
 * Top-level `storage:` — the SQLite file and its budget (agent/store/storeBudget.ts, docs/storage.md):
 * a hard cap on its size, a free-disk floor, and how long confirmed data is kept.
 */

const DAY_MS = 86_400_000;
/** Measured in docs/performance.md (workload 1): long enough to gather a cycle's polls, short next to a poll. */
const DEFAULT_COMMIT_WINDOW_MS = 100;
const MAX_RETENTION_DAYS = 36_500;

/** Retention durations: at least a day (shorter would delete what a platform may still ask for). */
function retention(defaultMs: number, what: string) {
  // formatDuration speaks in hours at most; retention is thought of in days.
  return duration
    .refine((ms) => ms >= DAY_MS && ms <= MAX_RETENTION_DAYS * DAY_MS, {
      message: `expected a duration between 1d and ${MAX_RETENTION_DAYS}d`,
    })
    .default(defaultMs)
    .meta({
      description: `Confirmed ${what} older than this are deleted (default ${formatDays(defaultMs)}); unconfirmed ones never are`,
    });
}

function formatDays(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : formatDuration(ms);
}

export const storageSchema = z
  .strictObject({
    path: z.string().min(1),
    synchronous: z.enum(['full', 'normal']).default('full').meta({
      description: 'SQLite durability: full survives power cuts (default); normal survives crashes only',
    }),
    // Group commit (agent/store/commitCoalescer.ts): one transaction, one fsync, for the polls that end
    // within this window. Capped at 1s: it is how long a completed poll may wait to become durable.
    commitWindow: boundedDuration(0, 1000).default(DEFAULT_COMMIT_WINDOW_MS).meta({
      description:
        'Polls completing within this window are committed together, one fsync for all (default 100ms); a reading is durable at most this long after its poll; 0 commits every poll at once',
    }),
    // 2GB: a station PC has a 32-128GB SSD shared with the OS and logs; at ~50 bytes per reading
    // this holds some 40 million readings, i.e. years of a typical station's 1 s to 1 min data.
    maxSize: boundedSize(64 * 1024, 16 * 1024 ** 4)
      .default(2 * 1024 ** 3)
      .meta({
        description:
          'Hard cap on the database including its WAL (default 2GB). Near it, confirmed data is deleted oldest first; at it, unconfirmed data too, each loss recorded as a data-loss event',
      }),
    minFreeDisk: boundedSize(0, 16 * 1024 ** 4)
      .default(256 * 1024 ** 2)
      .meta({
        description:
          'Free space to keep on the filesystem holding the database (default 256MB); free pages inside the database count as free',
      }),
    retention: z
      .strictObject({
        readings: retention(90 * DAY_MS, 'readings'),
        aggregates: retention(1095 * DAY_MS, 'minute/hour/day records'),
      })
      .prefault({})
      .meta({ description: 'How long confirmed data is kept (durations such as "90d")' }),
    checkInterval: boundedDuration(1000, 3_600_000).default(60_000).meta({
      description: 'How often retention and the size budget are checked (default 1m)',
    }),
  })
  .meta({ description: 'The local SQLite store and its size budget (docs/storage.md)' });

export type StorageConfig = z.output<typeof storageSchema>;
