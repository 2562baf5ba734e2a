import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordConfigChange } from '../../../agent/audit/configAudit.js';
import {
  AUDIT_BROKEN_EXIT,
  auditShowCommand,
  auditVerifyCommand,
  changeText,
} from '../../../agent/cli/auditCommand.js';
import { silentLogger } from '../../../agent/core/log.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';

function io() {
  let out = '';
  let err = '';
  return {
    io: { out: { write: (t: string) => (out += t) }, err: { write: (t: string) => (err += t) } },
    out: () => out,
    err: () => err,
  };
}

describe('station-agent audit', () => {
  let dir: string;
  let dbPath: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-cli-'));
    dbPath = join(dir, 'agent.db');
    const db = openDatabase({ path: dbPath, log: silentLogger() });
    const config = (max: number) => ({ devices: [{ id: 'a', channels: [{ range: { max } }] }] });
    recordConfigChange(db, {
      config: config(100),
      configHash: 'a'.repeat(64),
      origin: { source: 'start' },
      now: 1,
    });
    recordConfigChange(db, {
      config: config(80),
      configHash: 'b'.repeat(64),
      origin: { source: 'cli', actor: 'alice' },
      now: 2,
    });
    db.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('verify: exit 0 on an intact chain, with the head to note down', async () => {
    const t = io();
    expect(await auditVerifyCommand({ db: dbPath }, t.io)).toBe(0);
    expect(t.out()).toMatch(/^audit log intact: 2 entries; last row 2, hash [0-9a-f]{64}\n$/);
  });

  it('verify: a distinct exit code naming the first bad row', async () => {
    const db = openDatabase({ path: dbPath, log: silentLogger() });
    db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE id = 2").run();
    db.close();
    const t = io();
    expect(await auditVerifyCommand({ db: dbPath }, t.io)).toBe(AUDIT_BROKEN_EXIT);
    expect(t.err()).toContain('audit log BROKEN at row 2:');
  });

  it('refuses no store or two stores, and a missing file, with a clear message', async () => {
    const none = io();
    expect(await auditVerifyCommand({}, none.io)).toBe(2);
    expect(none.err()).toContain('give either --config FILE or --db PATH');
    const both = io();
    expect(await auditShowCommand({ db: dbPath, config: 'x.yaml' }, both.io)).toBe(2);
    const missing = io();
    expect(await auditVerifyCommand({ db: join(dir, 'nope.db') }, missing.io)).toBe(1);
    expect(missing.err()).toContain('no database at');
  });

  it('show: a table of the entries and their changed settings; --json and --limit', async () => {
    const t = io();
    expect(await auditShowCommand({ db: dbPath }, t.io)).toBe(0);
    expect(t.out()).toMatch(/^2\s+1970-01-01T00:00:00\.002Z\s+cli\s+alice\s+bbbbbbbbbbbb\s/m);
    expect(t.out()).toContain('devices[0].channels[0].range.max: 100 → 80');
    const j = io();
    expect(await auditShowCommand({ db: dbPath, json: true, limit: 1 }, j.io)).toBe(0);
    const entries = JSON.parse(j.out()) as { id: number; changes: unknown }[];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      id: 2,
      source: 'cli',
      changes: [{ path: 'devices[0].channels[0].range.max', before: 100, after: 80 }],
    });
  });

  it('words added and removed settings', () => {
    expect(changeText({ path: 'devices[3]', after: { id: 'x' } })).toBe('devices[3]: added {"id":"x"}');
    expect(changeText({ path: 'http', before: {} })).toBe('http: removed');
  });
});
