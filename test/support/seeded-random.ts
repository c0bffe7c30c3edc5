/**
 * A small seeded pseudo-random generator (mulberry32) for fault tests: the same seed gives the same
 * schedule of kills, stalls and delays, so a failing run can be replayed. Tests print their seed;
 * FAULT_SEED=<n> in the environment overrides the default.
 */
export interface SeededRandom {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** A whole number in [min, max] (both included). */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick() from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
  };
}

/** The seed to use: FAULT_SEED from the environment if set, else `fallback`. */
export function faultSeed(fallback: number): number {
  const fromEnv = process.env.FAULT_SEED;
  if (fromEnv === undefined || fromEnv === '') return fallback;
  const seed = Number(fromEnv);
  if (!Number.isInteger(seed)) throw new Error(`FAULT_SEED must be a whole number, got "${fromEnv}"`);
  return seed;
}
