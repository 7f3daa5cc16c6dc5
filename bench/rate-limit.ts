/**
 * npm run bench:rate-limit: what the gateway's rate limit costs per request. Starts its own
 * embedded Postgres (data under .data/bench-rate-limit-<pid>, a free port), opens the gateway's
 * counter store on a fresh database exactly as the gateway does (gateway/src/rate-limit), and times
 * RequestLimits.take — the whole per-request cost of the limit, without HTTP — in this process:
 * one caller at a time (the latency it adds), then 32 at once (what the store sustains), spread
 * over many clients and all on one client's row, within the limit and over it. Writes its section
 * of BENCHMARKS.md between its markers (the other benchmarks' sections are left as they are). Not
 * a test: nothing here asserts on time.
 *
 * Settings (environment): BENCH_RATE_LIMIT_S (3: seconds per scenario), BENCH_RATE_LIMIT_CLIENTS
 * (32), BENCH_OUTPUT (BENCHMARKS.md), BENCH_KEEP=1 (keep the data directory).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Viewer } from '../shared/src/auth/jwt';
import { roleScopes } from '../shared/src/auth/jwt';
import { createLogger } from '../shared/src/logger';
import { startEmbeddedPostgres, type PostgresServer } from '../shared/src/runtime/postgres';
import { gatewayDatabaseName } from '../shared/src/topology';
import {
  memoryStore,
  postgresStore,
  type LimiterStore,
} from '../gateway/src/rate-limit/limiter-store';
import { RequestLimits, type RateLimitPolicy } from '../gateway/src/rate-limit/request-limits';
import { sampleMachineBusy } from './cpu';
import { percentiles } from './load';
import { ownSignals, positiveIntFromEnv } from './process';
import {
  renderRateLimitSection,
  spliceRateLimitSection,
  type ScenarioResult,
} from './rate-limit-report';

const config = {
  seconds: positiveIntFromEnv('BENCH_RATE_LIMIT_S', 3),
  clients: positiveIntFromEnv('BENCH_RATE_LIMIT_CLIENTS', 32),
  output: resolve(process.env.BENCH_OUTPUT ?? 'BENCHMARKS.md'),
  keep: process.env.BENCH_KEEP === '1',
};
const root = resolve(`.data/bench-rate-limit-${process.pid}`);
const log = (line: string) => process.stderr.write(`[bench:rate-limit] ${line}\n`);
const PARTNER = '22222222-2222-4222-8222-222222222222';
/** Never reached: the common case, a request within its limit. */
const within: RateLimitPolicy = { requestsPerMinute: 600_000, burst: 0 };
/** Spent at once: every request after the first is refused (a client hammering past its limit). */
const over: RateLimitPolicy = { requestsPerMinute: 1, burst: 0 };

let postgres: PostgresServer | undefined;
const stores: LimiterStore[] = [];

async function cleanup(): Promise<void> {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  await postgres?.stop().catch(() => undefined);
  postgres = undefined;
  if (!config.keep) rmSync(root, { recursive: true, force: true });
}

const clientViewer = (sub: string, rateLimit: RateLimitPolicy): Viewer => ({
  role: 'partner',
  sub,
  partnerId: PARTNER,
  rateLimit,
  scopes: roleScopes.partner,
});

interface Scenario {
  name: string;
  store: 'memory' | 'postgres';
  concurrency: number;
  /** The caller of the i-th request. */
  viewer: (i: number) => Viewer;
}

/** Closed loop: `concurrency` callers, each sending its next request once the last is answered. */
async function run(limits: RequestLimits, scenario: Scenario): Promise<ScenarioResult> {
  const latencies: number[] = [];
  let refused = 0;
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const endAt = startedAt + config.seconds * 1000;
  const caller = async () => {
    while (performance.now() < endAt) {
      const at = performance.now();
      if (await limits.take(scenario.viewer(next++))) refused += 1;
      latencies.push(performance.now() - at);
    }
  };
  await Promise.all(Array.from({ length: scenario.concurrency }, caller));
  const elapsedS = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    name: scenario.name,
    store: scenario.store,
    concurrency: scenario.concurrency,
    perSecond: latencies.length / elapsedS,
    refusedShare: refused / Math.max(1, latencies.length),
    latency: percentiles(latencies),
    cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, latencies.length),
  };
}

function scenarios(): Scenario[] {
  const spread = (policy: RateLimitPolicy) => (i: number) =>
    clientViewer(`pc_bench${String(i % 1000).padStart(12, '0')}`, policy);
  const one = (policy: RateLimitPolicy) => () => clientViewer('pc_benchhotclient0', policy);
  const n = config.clients;
  return [
    {
      name: 'one caller at a time, within its limit',
      store: 'memory',
      concurrency: 1,
      viewer: spread(within),
    },
    {
      name: 'one caller at a time, within its limit',
      store: 'postgres',
      concurrency: 1,
      viewer: spread(within),
    },
    {
      name: `${n} at once, spread over 1000 clients`,
      store: 'postgres',
      concurrency: n,
      viewer: spread(within),
    },
    {
      name: `${n} at once, all one client (one row)`,
      store: 'postgres',
      concurrency: n,
      viewer: one(within),
    },
    {
      name: `${n} at once, one client over its limit`,
      store: 'postgres',
      concurrency: n,
      viewer: one(over),
    },
  ];
}

async function main(): Promise<void> {
  const startedAt = new Date();
  rmSync(root, { recursive: true, force: true });
  postgres = await startEmbeddedPostgres({ dataDir: join(root, 'postgres') });
  ownSignals(log, cleanup);
  const logger = createLogger('bench', 'warn');
  const byStore = {
    memory: memoryStore(),
    postgres: await postgresStore(postgres.url(gatewayDatabaseName), logger),
  };
  stores.push(byStore.memory, byStore.postgres);
  const busyBefore = await sampleMachineBusy(1000);
  log(`machine busy ${(busyBefore * 100).toFixed(0)}% before the run`);
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios()) {
    const limits = new RequestLimits(
      byStore[scenario.store],
      { client: within, member: within, burstWindowSeconds: 600 },
      logger,
    );
    await run(limits, { ...scenario, concurrency: 1 }); // warm-up: connections, prepared statements
    const result = await run(limits, scenario);
    log(
      `${scenario.store}, ${scenario.name}: ${result.perSecond.toFixed(0)}/s, p50 ${result.latency.p50.toFixed(3)} ms, p99 ${result.latency.p99.toFixed(3)} ms`,
    );
    results.push(result);
  }
  const previous = existsSync(config.output) ? readFileSync(config.output, 'utf8') : '';
  const section = renderRateLimitSection(
    {
      startedAt,
      finishedAt: new Date(),
      machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB, Node ${process.version}; busy ${(busyBefore * 100).toFixed(0)}% and load ${(loadavg()[0] ?? 0).toFixed(2)} before the run`,
      seconds: config.seconds,
      results,
    },
    previous,
  );
  writeFileSync(config.output, spliceRateLimitSection(previous, section));
  log(`wrote ${config.output}`);
}

try {
  await main();
} finally {
  await cleanup();
}
