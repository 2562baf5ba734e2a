import type { GeneratorSpec } from './simulatorConfig.js';

/**
 * Value generators: engineering values as a pure function of (seed, point, tick, state).
 *
 * Time is quantized into ticks (the unit's update interval) because a real analyzer refreshes its
 * registers at its own cadence: two polls inside one tick see the same value, which also makes
 * "the agent read X" checkable against the simulator. Randomness comes from hashing
 * (seed, point, tick) rather than from a stream consumed per read, so the value at a given time
 * does not depend on how often, or in which order, anyone polled.
 */

export interface ValueSource {
  /** Engineering value at `tick` (tick × tickMs after the simulator started) for the unit's `state`. */
  at(tick: number, state: number): number;
}

export interface SourceOptions {
  seed: number;
  /** Stable identity of the point (e.g. "7/cod"): different points get independent noise. */
  key: string;
  tickMs: number;
  /** Wall-clock time (epoch ms) of tick 0; only clock generators (bcdClock) use it. Default 0. */
  originMs?: number;
}

/** FNV-1a: turns a point key into a 32-bit salt. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finalizer: a well-mixed 32-bit value from a 32-bit input. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A deterministic uniform number in [0, 1) for (seed, salt, tick). */
export function uniformAt(seed: number, salt: number, tick: number): number {
  const lo = tick >>> 0;
  const hi = Math.floor(tick / 0x1_0000_0000) >>> 0;
  const h = fmix32(fmix32(fmix32((seed ^ salt) >>> 0) ^ lo) ^ hi);
  return h / 0x1_0000_0000;
}

const NOISE_SALT = 0x6e6f6973; // "nois": noise and walk steps of one point stay independent
const WALK_SALT = 0x77616c6b; // "walk"

export function createValueSource(spec: GeneratorSpec, opts: SourceOptions): ValueSource {
  const salt = hashString(opts.key);
  const withNoise = (amount: number, base: (tick: number) => number): ValueSource => ({
    at: (tick) => {
      const v = base(tick);
      if (amount === 0) return v;
      return v + (2 * uniformAt(opts.seed, salt ^ NOISE_SALT, tick) - 1) * amount;
    },
  });

  switch (spec.kind) {
    case 'sine':
      return withNoise(spec.noise, (tick) => {
        const tMs = tick * opts.tickMs;
        return spec.mean + spec.amplitude * Math.sin((2 * Math.PI * tMs) / spec.period);
      });
    case 'constant':
      return withNoise(spec.noise, () => spec.value);
    case 'counter':
      // A totalizer: grows with time, never with polling, so reconnects do not disturb it.
      return { at: (tick) => spec.start + (spec.ratePerSecond * tick * opts.tickMs) / 1000 };
    case 'randomWalk': {
      const walk = randomWalk(spec, opts.seed, salt ^ WALK_SALT);
      const noisy = withNoise(spec.noise, walk);
      // Noise may not push a bounded quantity (turbidity, pH) out of its physical range.
      return { at: (tick, state) => clamp(noisy.at(tick, state), spec.min, spec.max) };
    }
    case 'state':
      return { at: (_tick, state) => state };
    case 'stateIs':
      return { at: (_tick, state) => (state === spec.value ? 1 : 0) };
    case 'bcdClock':
      return bcdClock(spec, opts);
  }
}

type BcdClockSpec = Extract<GeneratorSpec, { kind: 'bcdClock' }>;

/** One word of the BCD time YYMM DDhh mmss, of the start of the current `every` period in local time. */
function bcdClock(spec: BcdClockSpec, opts: SourceOptions): ValueSource {
  const sign = spec.utcOffset.startsWith('-') ? -1 : 1;
  const offsetMs =
    sign * (Number(spec.utcOffset.slice(1, 3)) * 60 + Number(spec.utcOffset.slice(4, 6))) * 60_000;
  const bcd = (n: number) => (Math.floor(n / 10) << 4) | (n % 10);
  const word = (hi: number, lo: number) => (bcd(hi) << 8) | bcd(lo);
  return {
    at: (tick) => {
      const local = (opts.originMs ?? 0) + tick * opts.tickMs + offsetMs;
      // getUTC* of the shifted time read the analyzer's local clock.
      const t = new Date(Math.floor(local / spec.every) * spec.every);
      switch (spec.field) {
        case 'YYMM':
          return word(t.getUTCFullYear() % 100, t.getUTCMonth() + 1);
        case 'DDhh':
          return word(t.getUTCDate(), t.getUTCHours());
        case 'mmss':
          return word(t.getUTCMinutes(), t.getUTCSeconds());
      }
    },
  };
}

type WalkSpec = Extract<GeneratorSpec, { kind: 'randomWalk' }>;

/**
 * A bounded random walk, reflected at min/max. Step k depends only on (seed, point, k); the last
 * position is cached so steady polling costs one step per tick. Going back in time (a test clock)
 * replays from the start, which gives the same answer.
 */
function randomWalk(spec: WalkSpec, seed: number, salt: number): (tick: number) => number {
  let cachedTick = 0;
  let cachedValue = spec.start;
  return (tick) => {
    const target = Math.max(0, Math.floor(tick));
    if (target < cachedTick) {
      cachedTick = 0;
      cachedValue = spec.start;
    }
    while (cachedTick < target) {
      cachedTick++;
      const step = (2 * uniformAt(seed, salt, cachedTick) - 1) * spec.step;
      cachedValue = reflect(cachedValue + step, spec.min, spec.max);
    }
    return cachedValue;
  };
}

function reflect(v: number, min: number, max: number): number {
  if (v > max) v = 2 * max - v;
  if (v < min) v = 2 * min - v;
  return clamp(v, min, max);
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}
