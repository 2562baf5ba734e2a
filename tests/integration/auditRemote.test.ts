/**
 * Issue 8, item 6: configuration changes made remotely are audited. A real mosquitto, the agent
 * in-process under its supervisor (real clock), the Modbus simulator: config/set is a 'remote'
 * entry naming the command, config/rollback and an automatic rollback are 'rollback' entries, an
 * invalid config/set adds nothing, and the chain stays intact.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../agent/store/auditChain.js';
import { type MosquittoHandle, startMosquitto, until } from '../../scripts/support/mosquitto.js';
import {
  type Observer,
  observe,
  PREFIX,
  STATION,
  startSupervisedStation,
} from '../helpers/supervisedStation.js';

const ALL = ['ping', 'status', 'resend', 'config/get', 'config/set', 'config/rollback', 'log-level'];
const T = (s: string) => `${PREFIX}/${STATION}/${s}`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Row {
  id: number;
  source: string;
  actor: string | null;
  changes: string;
  after_hash: string;
}

function readLog(dbPath: string): { rows: Row[]; broken: unknown } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT id, source, actor, changes, after_hash FROM audit_log ORDER BY id')
      .all() as Row[];
    return { rows, broken: verifyAuditChain(db).broken };
  } finally {
    db.close();
  }
}

describe('audit of remote configuration changes', () => {
  it('records config/set, config/rollback and an automatic rollback with who asked', async () => {
    const broker: MosquittoHandle = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const obs: Observer = await observe(broker.url, [`${PREFIX}/#`]);
    cleanups.push(() => obs.close());
    const st = await startSupervisedStation(broker.url, { allow: ALL });
    cleanups.push(() => st.close());
    await until(() => obs.json(T('birth')).length > 0, 10_000, 'birth');
    const rows = () => readLog(st.dbPath).rows;
    // The entry is written as the new agent starts, before its uplink is back: a command sent in
    // between would be lost (clean session), so each step waits for the birth of the config applied.
    const births = () => obs.json(T('birth')) as { config: { hash: string } }[];
    const connectedUnder = (entry: number) =>
      until(
        () => births().at(-1)?.config.hash === rows()[entry - 1]?.after_hash,
        20_000,
        `the birth of the config of entry ${entry}`,
      );
    expect(rows().map((r) => r.source)).toEqual(['start']);

    const set = await obs.command('config/set', { yaml: st.configText({ interval: '200ms', allow: ALL }) });
    expect(set).toMatchObject({ status: 200 });
    await until(() => rows().length === 2, 20_000, 'the remote entry');
    await connectedUnder(2);
    expect(rows()[1]).toMatchObject({
      source: 'remote',
      actor: `${T('cmd/config/set')} id=${String(set.id)}`,
    });
    expect(JSON.parse(rows()[1]!.changes)).toEqual([
      { path: 'devices[0].interval', before: 500, after: 200 },
    ]);

    // Refused configs are not applied and not audited.
    const bad = await obs.command('config/set', { yaml: 'version: 1\n  station: [' });
    expect(bad).toMatchObject({ status: 400 });

    const back = await obs.command('config/rollback', {});
    expect(back).toMatchObject({ status: 200 });
    await until(() => rows().length === 3, 20_000, 'the rollback entry');
    await connectedUnder(3);
    expect(rows()[2]).toMatchObject({
      source: 'rollback',
      actor: `${T('cmd/config/rollback')} id=${String(back.id)}`,
    });
    expect(JSON.parse(rows()[2]!.changes)).toEqual([
      { path: 'devices[0].interval', before: 200, after: 500 },
    ]);

    // Nothing listens on port 1: every poll fails, the supervisor rolls back by itself.
    await obs.command('config/set', { yaml: st.configText({ port: 1, allow: ALL, rollbackAfter: '3s' }) });
    await until(() => rows().length === 5, 30_000, 'the failing config and its automatic rollback');
    expect(rows()[3]).toMatchObject({ source: 'remote' });
    expect(rows()[4]!.source).toBe('rollback');
    expect(rows()[4]!.actor).toMatch(/^automatic: every device failing/);
    expect(readLog(st.dbPath).broken).toBeNull();
  });
});
