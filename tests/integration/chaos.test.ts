/**
 * The quick sizes of the fault-injection suite (`npm run chaos`), through the same harness code:
 * real mosquitto, the simulators, socat ptys, libfaketime and the built agent process. Each scenario
 * must lose nothing (the disk-budget one exactly what its data-loss events report), repeat readings
 * only as the same (station, db, seq), and deliver its backlog once the fault is over.
 */
import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../scripts/chaos/catalog.js';
import { runScenario } from '../../scripts/chaos/runner.js';
import { assertBuilt } from '../../scripts/support/agentProcess.js';

describe('fault injection, quick sizes', () => {
  for (const scenario of SCENARIOS) {
    it(scenario.title, async () => {
      assertBuilt();
      const r = await runScenario(scenario, { size: 'quick', seed: 20261129, log: () => {} });
      console.info(
        `${r.id}: produced ${r.produced}, delivered ${r.delivered}, lost ${r.lost}, duplicated ${r.duplicated}, recovered in ${r.recoverMs} ms`,
      );
      expect(r.problems).toEqual([]);
      expect(r.status).toBe('pass');
      expect(r.produced).toBeGreaterThan(0);
      expect(r.lost).toBe(r.policyLoss ?? 0);
      expect(r.delivered).toBe(r.produced - (r.policyLoss ?? 0));
      expect(r.unknown).toBe(0);
      expect(r.recoverMs).not.toBeNull();
      if (scenario.id === 'blackhole') expect(r.detectMs).not.toBeNull();
      // The budget scenario exists to force loss: none would mean the cap was never reached.
      if (scenario.id === 'disk-budget') expect(r.lost).toBeGreaterThan(0);
    }, 240_000);
  }
});
