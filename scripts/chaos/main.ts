import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { assertBuilt } from '../support/agentProcess.js';
import { SCENARIOS } from './catalog.js';
import { machine, writeReport } from './report.js';
import { runScenarios } from './runner.js';
import type { Size } from './scenario.js';

/**
 * `npm run chaos`: every fault scenario at full size against the built agent, then docs/reliability.md
 * (between its markers) and docs/reliability.json. `-- --quick` runs the small sizes and writes to a
 * temp folder; `-- --only broker-stop,sigkill` picks scenarios. Exit 1 when any scenario did not pass.
 */

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    seed: { type: 'string', default: '20261129' },
  },
});

assertBuilt();
const size: Size = values.quick ? 'quick' : 'full';
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  process.exit(2);
}
const picked = SCENARIOS.filter((s) => only === undefined || only.includes(s.id));
const started = Date.now();
const results = await runScenarios(picked, { size, seed: Number(values.seed), log: (m) => console.info(m) });
const totalMs = Date.now() - started;

// Only a full run of every scenario is the table of record; anything else goes to a temp folder.
const ofRecord = size === 'full' && only === undefined;
const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
const outDir = ofRecord ? docs : mkdtempSync(join(tmpdir(), 'chaos-report-'));
const markdownPath = join(outDir, 'reliability.md');
writeReport({
  results,
  machine: machine(new Date()),
  totalMs,
  markdownPath,
  jsonPath: join(outDir, 'reliability.json'),
});
console.info(`report: ${markdownPath}`);
process.exit(results.every((r) => r.status === 'pass') ? 0 : 1);
