import { resolve } from 'node:path';
import { positiveIntFromEnv } from './process';

const env = process.env;
const int = positiveIntFromEnv;

/** The benchmark's settings, from the environment (see bench/run.ts). */
export const config = {
  durationS: int('BENCH_DURATION_S', 20),
  warmupS: int('BENCH_WARMUP_S', 2),
  loadWarmupS: int('BENCH_LOAD_WARMUP_S', 15),
  clients: (env.BENCH_CLIENTS ?? '32,64')
    .split(',')
    .map((c) => Number(c.trim()))
    .filter((c) => Number.isInteger(c) && c > 0),
  partners: int('BENCH_PARTNERS', 100),
  members: int('BENCH_MEMBERS', 2000),
  pgbenchScale: 10,
  pgbenchClients: 32,
  pgbenchThreads: 2,
  pgbenchS: int('BENCH_PGBENCH_S', int('BENCH_DURATION_S', 20)),
  profileS: int('BENCH_PROFILE_S', 10),
  ladderS: int('BENCH_LADDER_S', 3),
  output: resolve(env.BENCH_OUTPUT ?? 'BENCHMARKS.md'),
  keep: env.BENCH_KEEP === '1',
  quietWaitS: env.BENCH_QUIET_WAIT_S === '0' ? 0 : int('BENCH_QUIET_WAIT_S', 60),
  phaseQuietWaitS: env.BENCH_PHASE_QUIET_WAIT_S === '0' ? 0 : int('BENCH_PHASE_QUIET_WAIT_S', 40),
};
if (config.clients.length === 0)
  throw new Error('BENCH_CLIENTS must list at least one client count, e.g. 32,64');
