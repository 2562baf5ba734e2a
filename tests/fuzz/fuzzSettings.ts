import fc from 'fast-check';

/**
 * Run counts and replay for the fuzz properties. `npm test` runs each property a modest number of
 * times; `npm run fuzz` sets FUZZ_SCALE to multiply them. A failure prints fast-check's seed and
 * path; FUZZ_SEED (and FUZZ_PATH) replay it exactly. See docs/fuzzing.md.
 */

function envNumber(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`${name}=${text} is not a number`);
  return n;
}

const scale = Math.max(1, envNumber('FUZZ_SCALE') ?? 1);
// One seed per process, drawn here rather than by fast-check, so the long run can print it up front.
const seed = envNumber('FUZZ_SEED') ?? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
const path = process.env.FUZZ_PATH || undefined;

if (scale > 1 || process.env.FUZZ_SEED) {
  console.log(`fuzz: FUZZ_SEED=${seed} FUZZ_SCALE=${scale} (replay a failure with FUZZ_SEED and FUZZ_PATH)`);
}

/**
 * Parameters for fc.assert: `baseRuns` scaled by FUZZ_SCALE, the shared seed, and for async
 * properties a per-run timeout, so a hang is a failing (and shrunk) run instead of a stuck suite.
 */
export function fuzzParams<T>(baseRuns: number, opts: { runTimeoutMs?: number } = {}): fc.Parameters<T> {
  return {
    numRuns: Math.max(1, Math.round(baseRuns * scale)),
    seed,
    ...(path !== undefined ? { path } : {}),
    ...(opts.runTimeoutMs !== undefined ? { timeout: opts.runTimeoutMs } : {}),
  };
}

/** A vitest timeout for a property test: generous per run, scaled with the run count. */
export function fuzzTestTimeout(baseMs: number): number {
  return Math.round(baseMs * scale) + 30_000;
}

/**
 * Splits `bytes` into chunks at the given cut points (any numbers; taken modulo the length), the
 * way a socket or serial port may deliver them.
 */
export function chunked(bytes: Uint8Array, cuts: readonly number[]): Buffer[] {
  if (bytes.length === 0) return [];
  const at = [...new Set(cuts.map((c) => c % bytes.length).filter((c) => c > 0))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(Buffer.from(bytes.subarray(from, c)));
    from = c;
  }
  return out;
}

/** Chunk cut points: none, a few at random, or one after every byte. */
export const cutsArb: fc.Arbitrary<number[]> = fc.oneof(
  fc.constant<number[]>([]),
  fc.array(fc.nat({ max: 4096 }), { maxLength: 6 }),
  fc.constant(Array.from({ length: 4096 }, (_, i) => i + 1)),
);
