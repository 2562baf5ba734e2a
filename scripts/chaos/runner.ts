import type { Scenario, ScenarioContext, ScenarioResult, Size } from './scenario.js';
import { notRunnable } from './scenario.js';

/** Runs scenarios one after the other (they share the 2 cores; timings stay honest), never throwing. */
export async function runScenarios(
  scenarios: readonly Scenario[],
  opts: { size: Size; seed: number; log: (message: string) => void },
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    results.push(await runScenario(scenario, opts));
  }
  return results;
}

export async function runScenario(
  scenario: Scenario,
  opts: { size: Size; seed: number; log: (message: string) => void },
): Promise<ScenarioResult> {
  const ctx: ScenarioContext = {
    size: opts.size,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    random: mulberry32(opts.seed),
    progress: (m) => opts.log(`  ${scenario.id}: ${m}`),
  };
  const started = Date.now();
  opts.log(`${scenario.id} (${opts.size}) …`);
  let result: ScenarioResult;
  try {
    result = await scenario.run(ctx);
  } catch (err) {
    // A harness failure (a part would not start) is a failed scenario with its reason, not a crash.
    result = { ...notRunnable(scenario, ctx, `harness error: ${String(err)}`), status: 'fail' };
  }
  const took = ((Date.now() - started) / 1000).toFixed(0);
  opts.log(
    `${scenario.id}: ${result.status} in ${took} s: produced ${result.produced}, delivered ${result.delivered}, lost ${result.lost}, duplicated ${result.duplicated}` +
      (result.problems.length > 0 ? `\n    ${result.problems.join('\n    ')}` : ''),
  );
  return result;
}

/** A small seeded PRNG: the same seed gives the same kill moments and restart pauses. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
