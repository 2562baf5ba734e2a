import type Database from 'better-sqlite3';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { type AuditEntry, type AuditSource, appendAuditEntry, lastAuditEntry } from '../store/auditChain.js';
import { readStoreIdentity } from '../store/storeIdentity.js';
import { diffConfigs, type RedactedConfig, redactConfig } from './configDiff.js';

/** Why a config is being applied: which path brought it in, and who asked when known. */
export interface ConfigOrigin {
  source: AuditSource;
  /** Command id and topic, the user who ran the CLI, the rollback's reason… */
  actor?: string;
}

export interface ConfigAuditInput {
  config: unknown;
  /** sha256 of the config file: the hash status, birth and every batch (`cfg`) carry. */
  configHash: string;
  origin: ConfigOrigin;
  now: number;
}

/**
 * Records the config now being applied, if it differs from the last audited one (or the log is
 * empty): a restart, a SIGHUP with an unchanged file, or config/set with the same text add nothing.
 * "Differs" means another file hash, or the same file giving another effective config (an
 * environment variable, an analyzer profile changed); secrets compare by fingerprint. Returns the
 * new entry, or null when nothing changed.
 */
export function recordConfigChange(db: Database.Database, input: ConfigAuditInput): AuditEntry | null {
  const redacted = redactConfig(input.config, readStoreIdentity(db).dbId);
  const text = JSON.stringify(redacted);
  const last = lastAuditEntry(db);
  if (last !== null && last.afterHash === input.configHash && last.config === text) return null;
  const changes = last === null ? [] : diffConfigs(parsePrevious(last.config), redacted);
  return appendAuditEntry(db, {
    ts: input.now,
    source: input.origin.source,
    actor: input.origin.actor ?? null,
    beforeHash: last?.afterHash ?? null,
    afterHash: input.configHash,
    changes: JSON.stringify(changes),
    config: text,
  });
}

/** A previous entry's config that no longer parses (an edited row) diffs as if empty: all shows as added. */
function parsePrevious(text: string): RedactedConfig {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as RedactedConfig) : {};
  } catch {
    return {};
  }
}

/**
 * recordConfigChange for the running agent: a failing write (disk full, an audit_log someone broke)
 * is logged with AUDIT_FAILED and the agent goes on acquiring. Losing readings to protect the audit
 * trail would be the worse outcome; the gap shows as a config hash in batches that no entry names.
 */
export function auditConfig(
  db: Database.Database,
  input: {
    config: unknown;
    configHash: string;
    origin: ConfigOrigin;
    clock: Pick<Clock, 'now'>;
    log: Logger;
  },
): void {
  const { log, origin } = input;
  try {
    const entry = recordConfigChange(db, {
      config: input.config,
      configHash: input.configHash,
      origin,
      now: input.clock.now(),
    });
    if (entry === null) return;
    const changes = (JSON.parse(entry.changes) as unknown[]).length;
    log.info(
      { audit: entry.id, source: entry.source, actor: entry.actor, configHash: entry.afterHash, changes },
      'config change audited',
    );
  } catch (err) {
    log.error(
      { code: 'AUDIT_FAILED', err, source: origin.source },
      'could not write the config audit log; acquisition goes on',
    );
  }
}
