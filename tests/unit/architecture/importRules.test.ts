import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Issue 15: the import rules (.dependency-cruiser.cjs) hold on the real tree, and they catch a
 * wrong import: a small fixture tree with one of each kind must give exactly those violations.
 * The fixture lives under .vitest-tmp/ in the repository so `better-sqlite3` resolves as it does
 * for the agent.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  rule: string;
  from: string;
  to: string;
}

function cruise(cwd: string, dirs: string[]): Violation[] {
  const r = spawnSync(process.execPath, [DEPCRUISE, '--config', CONFIG, '--output-type', 'json', ...dirs], {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  const result = JSON.parse(r.stdout) as {
    summary: { violations: { from: string; to: string; rule: { name: string } }[] };
  };
  return result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

const fixtureRoot = join(ROOT, '.vitest-tmp');
mkdirSync(fixtureRoot, { recursive: true });
const fixture = mkdtempSync(join(fixtureRoot, 'import-rules-'));
afterAll(() => rmSync(fixture, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(fixture, path)), { recursive: true });
  writeFileSync(join(fixture, path), text);
}

describe('import rules (dependency-cruiser)', () => {
  it('the real tree has no violation', () => {
    expect(cruise(ROOT, ['agent', 'drivers', 'scripts'])).toEqual([]);
  });

  it('a tree with one wrong import of each kind gives exactly those violations', () => {
    write(
      'tsconfig.json',
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
    );
    write('package.json', '{ "type": "module" }\n');
    // The contract importing the store.
    write('agent/core/clock.ts', "import { db } from '../store/db.js';\nexport const now = db;\n");
    // The store importing an uplink (better-sqlite3 is the store's own).
    write(
      'agent/store/db.ts',
      "import Database from 'better-sqlite3';\nimport { u } from '../uplink/mqttUplink.js';\nexport const db = [Database, u];\n",
    );
    // SQL outside the store; a type import of the handle is fine.
    write(
      'agent/cli/report.ts',
      "import Database from 'better-sqlite3';\nimport type D from 'better-sqlite3';\nexport const r: unknown = Database as unknown as D.Database;\n",
    );
    // One uplink plugin importing another.
    write('agent/uplink/mqttUplink.ts', "import { h } from './hj212/link.js';\nexport const u = h;\n");
    write('agent/uplink/hj212/link.ts', 'export const h = 1;\n');
    // A driver importing the agent's config and another driver; the serial transport is allowed, the contract too.
    write('agent/config/schema.ts', 'export const c = 1;\nexport type C = number;\n');
    write(
      'drivers/modbus/bus.ts',
      "import { c } from '../../agent/config/schema.js';\nimport { a } from '../ascii/poller.js';\nimport { s } from '../serial/line.js';\nexport const b = [c, a, s];\n",
    );
    write(
      'drivers/ascii/poller.ts',
      "import { now } from '../../agent/core/clock.js';\nexport const a = now;\n",
    );
    // The transport importing a protocol above it (and so a cycle).
    write('drivers/serial/line.ts', "import { b } from '../modbus/bus.js';\nexport const s = () => b;\n");
    // The product importing a tool, a tool importing a test.
    write('agent/app/main.ts', "import { tool } from '../../scripts/tool.js';\nexport const m = tool;\n");
    write('scripts/tool.ts', "import { helper } from '../tests/helper.js';\nexport const tool = helper;\n");
    write('tests/helper.ts', 'export const helper = 1;\n');

    const found = cruise(fixture, ['agent', 'drivers', 'scripts', 'tests'])
      // A package resolves through the node_modules link; a cycle is reported from one of its ends.
      .map((v) => ({ ...v, to: v.to.replace(/^.*node_modules\//, 'node_modules/') }))
      .map((v) =>
        v.rule === 'no-circular'
          ? `no-circular: ${[v.from, v.to].sort().join(' <-> ')}`
          : `${v.rule}: ${v.from} -> ${v.to}`,
      )
      .sort();
    expect(found).toEqual(
      [
        'core-imports-nothing-of-ours: agent/core/clock.ts -> agent/store/db.ts',
        'store-below-uplinks: agent/store/db.ts -> agent/uplink/mqttUplink.ts',
        'sql-behind-the-store: agent/cli/report.ts -> node_modules/better-sqlite3/lib/index.js',
        'mqtt-not-hj212: agent/uplink/mqttUplink.ts -> agent/uplink/hj212/link.ts',
        'drivers-only-contract: drivers/modbus/bus.ts -> agent/config/schema.ts',
        'drivers-not-each-other: drivers/modbus/bus.ts -> drivers/ascii/poller.ts',
        'serial-is-a-transport: drivers/serial/line.ts -> drivers/modbus/bus.ts',
        'no-circular: drivers/modbus/bus.ts <-> drivers/serial/line.ts',
        'product-not-tools-or-tests: agent/app/main.ts -> scripts/tool.ts',
        'tools-not-tests: scripts/tool.ts -> tests/helper.ts',
      ].sort(),
    );
  });
});
