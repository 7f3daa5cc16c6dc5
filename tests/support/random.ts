/**
 * A seeded pseudo-random source (mulberry32) for randomized tests. Concurrency keeps a run from being
 * replayed exactly, but the seed fixes every choice the test itself makes, so log it.
 */
export interface Random {
  seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** True with the given probability. */
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** Seeds from FEED_TEST_SEED when set (to replay a failure), otherwise from the clock. */
export function seededRandom(label: string): Random {
  const fromEnv = process.env.FEED_TEST_SEED;
  const seed = fromEnv === undefined ? Date.now() % 2 ** 32 : Number(fromEnv) >>> 0;
  console.log(`${label}: random seed ${seed} (replay with FEED_TEST_SEED=${seed})`);
  let state = seed;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    seed,
    next,
    int,
    chance: (probability) => next() < probability,
    pick: <T>(items: readonly T[]): T => {
      const item = items[int(0, items.length - 1)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
