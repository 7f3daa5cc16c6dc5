import { Rng } from '../../shared/src/random';

/** The seeded generator of shared/src/random.ts, as the randomized tests use it. */
export type Random = Rng & { seed: number };

/** Seeds from FEED_TEST_SEED when set (to replay a failure), otherwise from the clock, and logs it. */
export function seededRandom(label: string): Random {
  const fromEnv = process.env.FEED_TEST_SEED;
  const seed = fromEnv === undefined ? Date.now() % 2 ** 32 : Number(fromEnv) >>> 0;
  console.log(`${label}: random seed ${seed} (replay with FEED_TEST_SEED=${seed})`);
  return Object.assign(new Rng(seed), { seed });
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
