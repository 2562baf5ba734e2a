import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordConfigChange } from '../../../agent/audit/configAudit.js';
import { silentLogger } from '../../../agent/core/log.js';
import {
  type AuditFields,
  appendAuditEntry,
  describeBreak,
  entryHash,
  GENESIS_HASH,
  readAuditLog,
  verifyAuditChain,
} from '../../../agent/store/auditChain.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';

const fields = (n: number): AuditFields => ({
  ts: 1_700_000_000_000 + n,
  source: n === 1 ? 'start' : 'reload',
  actor: n === 1 ? null : `user${n}`,
  beforeHash: n === 1 ? null : `${n - 1}`.repeat(64).slice(0, 64),
  afterHash: `${n}`.repeat(64).slice(0, 64),
  changes: JSON.stringify(n === 1 ? [] : [{ path: 'devices[0].interval', before: n - 1, after: n }]),
  config: JSON.stringify({ n }),
});

describe('audit chain', () => {
  let db: Database.Database;
  beforeEach(() => {
    db = openDatabase({ path: ':memory:', log: silentLogger() });
    for (let n = 1; n <= 4; n++) appendAuditEntry(db, fields(n));
  });
  afterEach(() => db.close());

  it('links each entry to the one before and hashes the canonical array of its fields', () => {
    const rows = readAuditLog(db);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    // The documented serialisation (docs/audit.md), computed independently of entryHash's code.
    const f = fields(2);
    const canonical = JSON.stringify([
      rows[0]!.hash,
      2,
      f.ts,
      f.source,
      f.actor,
      f.beforeHash,
      f.afterHash,
      f.changes,
      f.config,
    ]);
    expect(rows[1]!.hash).toBe(createHash('sha256').update(canonical).digest('hex'));
    expect(entryHash(rows[0]!.hash, 2, rows[1]!)).toBe(rows[1]!.hash);
  });

  it('finds an intact chain intact and names its head', () => {
    const report = verifyAuditChain(db);
    expect(report).toEqual({ entries: 4, head: { id: 4, hash: readAuditLog(db, 1)[0]!.hash }, broken: null });
  });

  it('detects an edited field and names the row', () => {
    db.prepare("UPDATE audit_log SET changes = '[]' WHERE id = 2").run();
    const { broken } = verifyAuditChain(db);
    expect(broken).toEqual({ kind: 'edited', id: 2 });
    expect(describeBreak(broken!)).toMatch(/^row 2: .*edited/);
  });

  it('detects an edited row even when the editor recomputed its own hash (the next row no longer links)', () => {
    const row = readAuditLog(db).find((r) => r.id === 2)!;
    const forged = { ...row, actor: 'someone else' };
    db.prepare('UPDATE audit_log SET actor = ?, hash = ? WHERE id = 2').run(
      forged.actor,
      entryHash(row.prevHash, 2, forged),
    );
    expect(verifyAuditChain(db).broken).toEqual({ kind: 'unlinked', id: 3 });
  });

  it('detects a deleted row as a gap in the ids', () => {
    db.prepare('DELETE FROM audit_log WHERE id = 2').run();
    expect(verifyAuditChain(db).broken).toEqual({ kind: 'missing', id: 2, next: 3 });
  });

  it('detects a deleted row even when the rest was renumbered', () => {
    db.prepare('DELETE FROM audit_log WHERE id = 2').run();
    db.prepare('UPDATE audit_log SET id = id - 1 WHERE id > 2').run();
    db.prepare("UPDATE sqlite_sequence SET seq = 3 WHERE name = 'audit_log'").run();
    expect(verifyAuditChain(db).broken).toEqual({ kind: 'unlinked', id: 2 });
  });

  it('detects reordered rows', () => {
    // Swap the contents of rows 2 and 3, ids kept.
    const [r2, r3] = readAuditLog(db).filter((r) => r.id === 2 || r.id === 3);
    const put = db.prepare(
      'UPDATE audit_log SET ts = ?, source = ?, actor = ?, before_hash = ?, after_hash = ?, changes = ?, config = ?, prev_hash = ?, hash = ? WHERE id = ?',
    );
    for (const [row, id] of [
      [r3!, 2],
      [r2!, 3],
    ] as const) {
      put.run(
        row.ts,
        row.source,
        row.actor,
        row.beforeHash,
        row.afterHash,
        row.changes,
        row.config,
        row.prevHash,
        row.hash,
        id,
      );
    }
    expect(verifyAuditChain(db).broken).toEqual({ kind: 'unlinked', id: 2 });
  });

  it('detects a deleted tail through the ids SQLite handed out, and the next entry keeps the gap', () => {
    db.prepare('DELETE FROM audit_log WHERE id >= 3').run();
    expect(verifyAuditChain(db).broken).toEqual({ kind: 'truncated', id: 3, issued: 4 });
    appendAuditEntry(db, fields(5));
    expect(readAuditLog(db).map((r) => r.id)).toEqual([1, 2, 5]);
    expect(verifyAuditChain(db).broken).toEqual({ kind: 'missing', id: 3, next: 5 });
  });

  it('shows the newest entries oldest first with a limit', () => {
    expect(readAuditLog(db, 2).map((r) => r.id)).toEqual([3, 4]);
  });
});

describe('recordConfigChange', () => {
  let db: Database.Database;
  beforeEach(() => {
    db = openDatabase({ path: ':memory:', log: silentLogger() });
  });
  afterEach(() => db.close());

  const config = (interval: number, password = 'secret-1') => ({
    station: { id: 's1' },
    devices: [{ id: 'a', interval }],
    uplinks: [{ id: 'up', password }],
  });

  it('records the first config, then only real changes, with the previous hash and redacted diff', () => {
    const first = recordConfigChange(db, {
      config: config(1000),
      configHash: 'h1',
      origin: { source: 'start' },
      now: 1,
    });
    expect(first).toMatchObject({ id: 1, source: 'start', beforeHash: null, afterHash: 'h1', changes: '[]' });
    expect(first!.config).not.toContain('secret-1');

    // A restart with the same config adds nothing.
    expect(
      recordConfigChange(db, { config: config(1000), configHash: 'h1', origin: { source: 'start' }, now: 2 }),
    ).toBeNull();

    const second = recordConfigChange(db, {
      config: config(2000, 'secret-2'),
      configHash: 'h2',
      origin: { source: 'remote', actor: 'st/s1/cmd/config/set id=7' },
      now: 3,
    });
    expect(second).toMatchObject({
      id: 2,
      source: 'remote',
      actor: 'st/s1/cmd/config/set id=7',
      beforeHash: 'h1',
    });
    expect(JSON.parse(second!.changes)).toEqual([
      { path: 'devices[0].interval', before: 1000, after: 2000 },
      { path: 'uplinks[0].password', before: '[redacted]', after: '[redacted]' },
    ]);
    expect(second!.changes + second!.config).not.toMatch(/secret-/);
    expect(verifyAuditChain(db).broken).toBeNull();
  });

  it('records the same file hash giving another effective config (an env variable, a profile)', () => {
    recordConfigChange(db, { config: config(1000), configHash: 'h1', origin: { source: 'start' }, now: 1 });
    const entry = recordConfigChange(db, {
      config: config(1000, 'from-env-2'),
      configHash: 'h1',
      origin: { source: 'start' },
      now: 2,
    });
    expect(JSON.parse(entry!.changes)).toEqual([
      { path: 'uplinks[0].password', before: '[redacted]', after: '[redacted]' },
    ]);
  });
});
