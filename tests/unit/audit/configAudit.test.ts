import { describe, expect, it } from 'vitest';
import { auditConfig } from '../../../agent/audit/configAudit.js';
import { createLogger, silentLogger } from '../../../agent/core/log.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';

describe('auditConfig (the running agent)', () => {
  it('logs AUDIT_FAILED and does not throw when the entry cannot be written', () => {
    const db = openDatabase({ path: ':memory:', log: silentLogger() });
    db.exec('DROP TABLE audit_log');
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      level: 'info',
      destination: { write: (l: string) => lines.push(JSON.parse(l)) },
    });
    expect(() =>
      auditConfig(db, {
        config: { station: { id: 's' } },
        configHash: 'a'.repeat(64),
        origin: { source: 'start' },
        clock: { now: () => 1 },
        log,
      }),
    ).not.toThrow();
    expect(lines).toContainEqual(
      expect.objectContaining({ code: 'AUDIT_FAILED', source: 'start', level: 50 }),
    );
    db.close();
  });

  it('logs the entry it wrote, and nothing for an unchanged config', () => {
    const db = openDatabase({ path: ':memory:', log: silentLogger() });
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      level: 'info',
      destination: { write: (l: string) => lines.push(JSON.parse(l)) },
    });
    const input = {
      config: { station: { id: 's' } },
      configHash: 'a'.repeat(64),
      origin: { source: 'start' as const },
      clock: { now: () => 1 },
      log,
    };
    auditConfig(db, input);
    auditConfig(db, input);
    expect(lines.filter((l) => l.msg === 'config change audited')).toEqual([
      expect.objectContaining({ audit: 1, source: 'start', changes: 0 }),
    ]);
    db.close();
  });
});
