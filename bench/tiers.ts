/**
 * npm run bench:tiers: what a tier ladder costs the earn (issue 12: within 5% of the same run
 * without). Starts its own embedded Postgres (data under .data/bench-tiers-<pid>) and two networks
 * on it, each with fresh databases, partners and members: one with no ladder, one with a ladder in
 * force whose thresholds members cross during the run. Then runs closed-loop earns through both
 * gateways at the same time, the same clients each (BENCH_TIERS_MODE=alternate: one after the
 * other), and writes the ratio of their throughputs to BENCHMARKS.md (its own section; the others
 * are left as they are). Not a test: nothing asserts on time.
 *
 * Settings (environment): BENCH_TIERS_ROUNDS (4 pairs of phases), BENCH_TIERS_DURATION_S (15),
 * BENCH_TIERS_WARMUP_S (3), BENCH_TIERS_PAUSE_S (5: between phases, for the feeds to drain), BENCH_TIERS_CLIENTS (32), BENCH_TIERS_PARTNERS (20),
 * BENCH_TIERS_MEMBERS (500), BENCH_OUTPUT (BENCHMARKS.md), BENCH_KEEP=1 (keep the data directory).
 */
import { readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureSigningKey, type SigningKey } from '../shared/src/auth/keys';
import { signToken } from '../shared/src/auth/jwt';
import { startEmbeddedPostgres, type PostgresServer } from '../shared/src/runtime/postgres';
import { generousRateLimits, startNetwork, type Network } from '../shared/src/runtime/network';
import type { SubgraphName } from '../shared/src/topology';
import { GraphQLClient, Random } from './client';
import {
  Balances,
  earnOperation,
  enrolMembers,
  onboardPartners,
  partnerFeedHead,
  waitForPartnerFeed,
} from './coalition';
import { cpuBetween, cpuSnapshot, sampleMachineBusy, type Parts } from './cpu';
import { closedLoop, type LoadResult, type Operation } from './load';
import { withClient } from './postgres-stats';
import { ownSignals, positiveIntFromEnv } from './process';
import { renderTiersSection, spliceTiersSection, type TiersRun } from './tiers-report';

const int = positiveIntFromEnv;
const config = {
  rounds: int('BENCH_TIERS_ROUNDS', 4),
  durationS: int('BENCH_TIERS_DURATION_S', 15),
  warmupS: int('BENCH_TIERS_WARMUP_S', 3),
  pauseS: int('BENCH_TIERS_PAUSE_S', 5),
  mode:
    process.env.BENCH_TIERS_MODE === 'alternate' ? ('alternate' as const) : ('together' as const),
  clients: int('BENCH_TIERS_CLIENTS', 16),
  partners: int('BENCH_TIERS_PARTNERS', 20),
  members: int('BENCH_TIERS_MEMBERS', 500),
  output: resolve(process.env.BENCH_OUTPUT ?? 'BENCHMARKS.md'),
  keep: process.env.BENCH_KEEP === '1',
};

/**
 * A member earns about 100 points a purchase (5–200 EUR at 1 point per EUR) and, at a hundred or
 * more earns a second over 500 members, several purchases a phase: these thresholds make members
 * cross tiers mid-run, so upgrades (three more writes in the batch, and a fact) are measured too.
 */
const LADDER = {
  metric: 'QUALIFYING_POINTS',
  period: 'CALENDAR_YEAR',
  currency: 'EUR',
  graceDays: 30,
  tiers: [
    { code: 'SILVER', name: 'Silver', threshold: '300' },
    { code: 'GOLD', name: 'Gold', threshold: '1000' },
    { code: 'PLATINUM', name: 'Platinum', threshold: '3000' },
  ],
};

const root = resolve('.data', `bench-tiers-${process.pid}`);
const log = (message: string) =>
  process.stdout.write(`[bench:tiers ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const serviceLog: string[] = [];
let postgres: PostgresServer | undefined;
const networks: Network[] = [];
const clients: GraphQLClient[] = [];

interface Side {
  ladder: boolean;
  network: Network;
  databaseUrl: string;
  run: () => Promise<{ result: LoadResult; busy: number; others: number }>;
}

async function startSide(server: PostgresServer, key: SigningKey, ladder: boolean): Promise<Side> {
  const label = ladder ? 'on' : 'off';
  const databaseName = (name: SubgraphName) => `tiers_${label}_${name.replace('-', '_')}`;
  const network = await startNetwork({
    databaseUrl: (name) => server.url(databaseName(name)),
    keysDir: join(root, 'keys'),
    ports: 'ephemeral',
    output: (line) => {
      serviceLog.push(line);
      if (serviceLog.length > 300) serviceLog.shift();
    },
    // The benchmark drives each partner far past one client's production rate limit on purpose.
    env: { LOG_LEVEL: 'warn', NODE_ENV: 'production', ...generousRateLimits },
  });
  networks.push(network);
  const client = new GraphQLClient(network.gateway.url, '/graphql', config.clients);
  clients.push(client);
  const operator = signToken(key, { role: 'operator', sub: 'operator:bench' }, 4 * 3600);
  const partners = await onboardPartners(client, key, operator, config.partners);
  const head = await partnerFeedHead(network.services['partner-merchant'].url, key);
  await waitForPartnerFeed(client, operator, head, 60_000);
  const memberIds = await enrolMembers(client, operator, config.members);
  if (ladder) {
    const defined = await client.call(
      'mutation D($input: TierLadderInput!) { defineTierLadder(input: $input) { version } }',
      { input: LADDER },
      operator,
    );
    if (defined.code) throw new Error(`defineTierLadder: ${defined.code} ${defined.message}`);
  }
  const load = { client, random: new Random(ladder ? 2 : 1), memberIds, balances: new Balances() };
  const operation = earnOperation(load, () => load.random.pick(partners));
  log(
    `${label}: ${config.partners} partners, ${config.members} members${ladder ? ', a ladder' : ''}`,
  );
  return {
    ladder,
    network,
    databaseUrl: server.url(databaseName('member')),
    run: () => measured(operation),
  };
}

/** Every process of the benchmark, so the CPU others used in a phase can be told apart. */
function benchParts(): Parts {
  const parts: Parts = { 'load generator': process.pid };
  const postmaster = Number(
    readFileSync(join(root, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  if (Number.isInteger(postmaster) && postmaster > 0) parts.postgres = postmaster;
  networks.forEach((network, i) => {
    for (const service of [network.gateway, ...Object.values(network.services)])
      if (service.child.pid) parts[`${i}:${service.name}`] = service.child.pid;
  });
  return parts;
}

async function measured(operation: Operation) {
  const parts = benchParts();
  const before = cpuSnapshot(parts);
  const result = await closedLoop({
    clients: config.clients,
    warmupMs: config.warmupS * 1000,
    durationMs: config.durationS * 1000,
    operation,
  });
  const cpu = cpuBetween(before, cpuSnapshot(parts), cpus().length);
  return { result, busy: cpu.machineBusy, others: cpu.other / (cpu.wallMs * cpu.cores) };
}

/** What the ladder side's members reached: the upgrades are part of what was measured. */
async function tierCounts(memberUrl: string): Promise<Record<string, number>> {
  return withClient(memberUrl, async (client) => {
    const rows = (
      await client.query<{ tier: string | null; members: string }>(
        `SELECT tier, count(*)::text AS members FROM member GROUP BY tier ORDER BY tier NULLS FIRST`,
      )
    ).rows;
    return Object.fromEntries(rows.map((r) => [r.tier ?? 'none', Number(r.members)]));
  });
}

async function machineOf(server: PostgresServer, busyBefore: number): Promise<TiersRun['machine']> {
  const { version, settings } = await withClient(server.url('postgres'), async (client) => ({
    version: (await client.query<{ version: string }>('SELECT version()')).rows[0]!.version,
    settings: (
      await client.query<{ name: string; setting: string; unit: string | null }>(
        `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'max_connections') ORDER BY name`,
      )
    ).rows.map((r) => `${r.name}=${r.setting}${r.unit ?? ''}`),
  }));
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Number((totalmem() / 1024 ** 3).toFixed(1)),
    kernel: `${process.platform} ${release()}`,
    node: process.version,
    postgres: version,
    postgresSettings: settings,
    busyBefore,
    loadBefore: loadavg()[0] ?? 0,
  };
}

/**
 * together: both sides under load at once, the same clients each, sharing the machine second by
 * second, so other work on it (this machine is shared) falls on both alike. alternate: one side at
 * a time, odd rounds without the ladder first, even rounds with it first.
 */
function roundOrder(round: number, off: Side, on: Side): Side[][] {
  if (config.mode === 'together') return [[off, on]];
  return round % 2 === 1 ? [[off], [on]] : [[on], [off]];
}

async function main(): Promise<TiersRun> {
  const startedAt = new Date();
  rmSync(root, { recursive: true, force: true });
  const busyBefore = await sampleMachineBusy(2000);
  postgres = await startEmbeddedPostgres({ dataDir: join(root, 'postgres') });
  ownSignals(log, cleanup);
  const key = ensureSigningKey(join(root, 'keys'));
  const off = await startSide(postgres, key, false);
  const on = await startSide(postgres, key, true);
  const phases: TiersRun['phases'] = [];
  for (let round = 1; round <= config.rounds; round++) {
    await new Promise((resolve) => setTimeout(resolve, config.pauseS * 1000));
    for (const group of roundOrder(round, off, on)) {
      const measuredSides = await Promise.all(group.map((side) => side.run()));
      group.forEach((side, i) => {
        const { result, busy, others } = measuredSides[i]!;
        phases.push({ round, ladder: side.ladder, result, busy, others });
        log(
          `round ${round}, ${side.ladder ? 'ladder' : 'no ladder'}: ${result.throughput.toFixed(1)} earn/s, p99 ${result.latency.p99.toFixed(1)} ms, ${Object.keys(result.errors).length} error codes`,
        );
      });
    }
  }
  return {
    startedAt,
    finishedAt: new Date(),
    machine: await machineOf(postgres, busyBefore),
    config,
    phases,
    tiers: await tierCounts(on.databaseUrl),
  };
}

async function cleanup(): Promise<void> {
  await Promise.allSettled(clients.map((c) => c.close()));
  for (const network of networks.splice(0)) await network.stop().catch(() => undefined);
  await postgres?.stop().catch(() => undefined);
  postgres = undefined;
  if (!config.keep) rmSync(root, { recursive: true, force: true });
}

try {
  const run = await main();
  const previous = existsSync(config.output) ? readFileSync(config.output, 'utf8') : '';
  writeFileSync(config.output, spliceTiersSection(previous, renderTiersSection(run)));
  log(`wrote ${config.output}`);
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  log(serviceLog.slice(-20).join('\n'));
  process.exitCode = 1;
} finally {
  await cleanup();
}
