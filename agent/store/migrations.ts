import type Database from 'better-sqlite3';
import { AgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

/**
 * Schema migrations, keyed by `PRAGMA user_version`: step i brings the database from version i to i + 1.
 * Steps are append-only: a released step is never edited, a change is a new step.
 */
export interface Migration {
  readonly description: string;
  readonly up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'readings, channels and uplink cursors',
    up: (db) => {
      db.exec(`
        -- Device/channel/code/unit repeat on every reading: they live here once and a reading points at them,
        -- which keeps a reading row near 30 bytes on disk.
        CREATE TABLE channels (
          id INTEGER PRIMARY KEY,
          device TEXT NOT NULL,
          channel TEXT NOT NULL,
          code TEXT,
          unit TEXT
        );
        -- NULLs are distinct in a plain UNIQUE index; coalescing to a blob (never equal to any text)
        -- makes (d, c, NULL, NULL) unique too without confusing NULL with ''.
        CREATE UNIQUE INDEX channels_key
          ON channels (device, channel, coalesce(code, x'00'), coalesce(unit, x'00'));

        -- AUTOINCREMENT: sqlite_sequence remembers the highest seq ever given, so a seq is never reused
        -- even after the newest rows are deleted; uplink consumers deduplicate on it.
        CREATE TABLE readings (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          ts INTEGER NOT NULL,
          channel_id INTEGER NOT NULL REFERENCES channels (id),
          value REAL,
          flag INTEGER NOT NULL -- HJ 212 data flag, coded in readingStore.ts (FLAG_TO_CODE)
        );
        CREATE INDEX readings_ts ON readings (ts);

        CREATE TABLE uplink_cursors (
          uplink TEXT PRIMARY KEY,
          acked_seq INTEGER NOT NULL,
          updated_at INTEGER
        );
      `);
    },
  },
  {
    description: 'check results and instrument state per reading, aggregates, events',
    up: (db) => {
      db.exec(`
        -- Check results and instrument state of readings, stored as change points: a row says "from this
        -- seq on, this channel's readings carry this qc and state", until the channel's next row. They
        -- change rarely (a spike, a calibration), so a reading costs nothing extra in the common case;
        -- columns on readings would cost a header byte each on every row even when NULL. A row with
        -- NULLs marks readings without QC. qc layout: qcPacking.ts. Read by ReadingStore.
        CREATE TABLE qc_changes (
          channel_id INTEGER NOT NULL REFERENCES channels (id),
          seq INTEGER NOT NULL,
          qc INTEGER,
          state INTEGER,
          PRIMARY KEY (channel_id, seq)
        ) WITHOUT ROWID;

        -- Minute, hour and day records. Identity (channel, period, start): a period is stored once.
        -- aseq orders them for uplink cursors like readings.seq; storing a period again (a recomputed
        -- record) deletes the old row and takes a new aseq, so it is sent again and replaces the old
        -- one downstream. AUTOINCREMENT: an aseq is never reused.
        CREATE TABLE aggregates (
          aseq INTEGER PRIMARY KEY AUTOINCREMENT,
          channel_id INTEGER NOT NULL REFERENCES channels (id),
          period TEXT NOT NULL, -- minute, hour, day
          start_ts INTEGER NOT NULL,
          end_ts INTEGER NOT NULL,
          min REAL,
          avg REAL,
          max REAL,
          cou REAL,
          count INTEGER NOT NULL,
          valid INTEGER NOT NULL,
          expected INTEGER NOT NULL,
          flag TEXT NOT NULL, -- HJ 212 flag, or H (not enough valid data)
          ok INTEGER NOT NULL -- 1 when the period met its validity rule
        );
        CREATE UNIQUE INDEX aggregates_identity ON aggregates (channel_id, period, start_ts);

        -- Things that happened to the station rather than to a value: clock steps, for now.
        -- Few rows: no index (each index is a page more in a small station database).
        CREATE TABLE events (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          ts INTEGER NOT NULL, -- wall time when recorded
          kind TEXT NOT NULL,
          data TEXT NOT NULL -- JSON
        );
      `);
    },
  },
  {
    description: 'uplink settings changed by a platform, uplink backlog ranges',
    up: (db) => {
      db.exec(`
        -- Per-uplink key/value state that must survive a restart: settings an HJ 212 platform changed
        -- (intervals, timeouts, password, SM4 key) and the backlog ranges still to re-send. value is
        -- JSON; base is the configured value the change replaced (JSON), so an edited config wins
        -- over an older platform change. Read by UplinkSettingsStore.
        CREATE TABLE uplink_settings (
          uplink TEXT NOT NULL,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          base TEXT,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (uplink, key)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    description: 'store identity, configuration audit log',
    up: (db) => {
      db.exec(`
        -- Facts about this database file itself. db_id is drawn once when the file is created: seqs
        -- restart at 1 in a new file (a corrupt one set aside, a replaced disk), so receivers need
        -- (station, db_id, seq) to tell a new reading from a duplicate. Read by storeIdentity.ts.
        CREATE TABLE store_meta (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO store_meta (key, value) VALUES ('db_id', lower(hex(randomblob(16))));
        INSERT INTO store_meta (key, value) VALUES ('created_at', CAST(unixepoch('subsec') * 1000 AS INTEGER));

        -- Append-only, hash-chained record of every configuration change (start, reload, remote
        -- command, CLI). hash = sha256 over prev_hash and this row's fields (agent/audit/auditChain.ts),
        -- so editing, deleting or reordering a row breaks the chain from that row on.
        CREATE TABLE audit_log (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          ts INTEGER NOT NULL,        -- wall time, epoch ms
          source TEXT NOT NULL,       -- start, reload, remote, cli
          actor TEXT,                 -- who asked, when known (command id, platform, user)
          before_hash TEXT,           -- sha256 of the config before (NULL for the first entry)
          after_hash TEXT NOT NULL,   -- sha256 of the config in force after
          changes TEXT NOT NULL,      -- JSON list of changed settings, secrets redacted
          config TEXT NOT NULL,       -- JSON of the config after, secrets redacted (next entry diffs against it)
          prev_hash TEXT NOT NULL,    -- hash of the previous row (64 zeros for the first)
          hash TEXT NOT NULL
        );
      `);
    },
  },
  {
    description: 'HJ 212 input: values already taken from data loggers',
    up: (db) => {
      db.exec(`
        -- One row per value a data logger uploaded and the agent took: key is MN|CN|DataTime|code
        -- (agent/acquisition/hj212Input/seenPort.ts). A logger re-sends what it got no 9014 for, also
        -- after the agent restarted; this table makes the re-send a duplicate. seen_at (wall time,
        -- epoch ms) lets old keys be pruned. Read by InputSeenStore.
        CREATE TABLE input_seen (
          key TEXT PRIMARY KEY,
          seen_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX input_seen_at ON input_seen (seen_at);
      `);
    },
  },
  {
    description: "HJ 212 input: the data logger's own minute/hour/day records",
    up: (db) => {
      db.exec(`
        -- A data logger's 2051/2061/2031 records as it computed them, kept beside the agent's own
        -- aggregates (never mixed into them: the logger's period and validity rules are its own).
        -- One row per device, channel, period kind and period start (DataTime, epoch ms); flag is
        -- the logger's -Flag. received_at: wall time of arrival. Written by LoggerAggregateStore.
        CREATE TABLE logger_aggregates (
          device TEXT NOT NULL,
          channel TEXT NOT NULL,
          period TEXT NOT NULL,
          start INTEGER NOT NULL,
          mn TEXT NOT NULL,
          code TEXT,
          unit TEXT,
          data_time TEXT NOT NULL,
          min REAL,
          avg REAL,
          max REAL,
          cou REAL,
          flag TEXT NOT NULL,
          received_at INTEGER NOT NULL,
          PRIMARY KEY (device, channel, period, start)
        ) WITHOUT ROWID;
        CREATE INDEX logger_aggregates_received ON logger_aggregates (received_at);
      `);
    },
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to SCHEMA_VERSION. Each step and its user_version bump commit together, so a crash
 * mid-migration leaves the database at the previous version, and the step runs again on the next start.
 */
export function migrate(db: Database.Database, log: Logger, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new AgentError(
      'STORE_FAILED',
      `database ${path} has schema version ${current}, newer than this agent supports (${SCHEMA_VERSION}): ` +
        'upgrade the agent, or point storage.path at another file',
      { path, version: current, supported: SCHEMA_VERSION },
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    const step = MIGRATIONS[version]!;
    try {
      db.transaction(() => {
        step.up(db);
        // PRAGMA takes no bound parameters; the value is our own integer.
        db.pragma(`user_version = ${version + 1}`);
      }).immediate();
    } catch (err) {
      throw new AgentError(
        'STORE_FAILED',
        `migration ${version} -> ${version + 1} (${step.description}) failed on ${path}: ${String(err)}`,
        { path, version },
        { cause: err },
      );
    }
    log.info({ path, version: version + 1, migration: step.description }, 'store schema migrated');
  }
}
