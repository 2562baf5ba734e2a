#!/usr/bin/env node
// `npm run fuzz`: the fuzz properties of tests/fuzz with many more runs than `npm test` gives them
// (FUZZ_SCALE, default 50: a few minutes), all files on one seed, printed first so a failure can be
// replayed with FUZZ_SEED (and the FUZZ_PATH fast-check prints). See docs/fuzzing.md.
import { spawnSync } from 'node:child_process';

const scale = process.env.FUZZ_SCALE || '50';
const seed = process.env.FUZZ_SEED || String((Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0);
console.log(`fuzz: FUZZ_SEED=${seed} FUZZ_SCALE=${scale}`);
const result = spawnSync('npx', ['vitest', 'run', 'tests/fuzz', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_SCALE: scale, FUZZ_SEED: seed },
});
if (result.status !== 0) {
  console.log(
    `fuzz: failed; replay with FUZZ_SEED=${seed} FUZZ_SCALE=${scale} and the FUZZ_PATH printed above`,
  );
}
process.exit(result.status ?? 1);
