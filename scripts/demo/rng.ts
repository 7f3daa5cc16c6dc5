import { randomInt } from 'node:crypto';

export { Rng } from '../../shared/src/random';

const SEED_MAX = 2 ** 32 - 1;

/** DEMO_SEED as given (a whole number 0..2^32-1), or a fresh one to print so the run can be replayed. */
export function seedFrom(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return randomInt(1, 2 ** 31);
  const trimmed = raw.trim();
  const seed = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(seed) || seed > SEED_MAX) {
    throw new RangeError(
      `DEMO_SEED=${JSON.stringify(raw)}: must be a whole number from 0 to ${SEED_MAX}`,
    );
  }
  return seed;
}
