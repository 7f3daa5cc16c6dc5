/**
 * npm run bench: the wallet's hot path under load, against pgbench's TPC-B on the same Postgres in
 * the same session. Starts its own embedded Postgres (data under .data/bench-<pid>, a free port) and
 * the whole network as processes, loads it through the gateway over keep-alive HTTP, and writes the
 * numbers, the machine and the date to BENCHMARKS.md. Everything it started is stopped at the end,
 * on failure and on Ctrl-C too. Not a test: nothing here asserts on time.
 *
 * Settings (environment): BENCH_DURATION_S (20) per measured phase, BENCH_WARMUP_S (2) before each,
 * BENCH_LOAD_WARMUP_S (15: earns at full load before the first throughput phase), BENCH_CLIENTS
 * ("32,64"), BENCH_PARTNERS (100), BENCH_MEMBERS (2000), BENCH_PGBENCH_S (= duration), BENCH_PROFILE_S
 * (10), BENCH_LADDER_S (3), BENCH_OUTPUT (BENCHMARKS.md), BENCH_KEEP=1 keeps .data/bench-<pid>
 * (Postgres data, keys, CPU profiles), BENCH_QUIET_WAIT_S (60: how long to wait for other work on
 * the machine to calm down before starting), BENCH_PHASE_QUIET_WAIT_S (40: the same before phases,
 * all phases together), PGBENCH (/usr/bin/pgbench).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { signToken } from '../shared/src/auth/jwt';
import { ensureSigningKey } from '../shared/src/auth/keys';
import { startEmbeddedPostgres, type PostgresServer } from '../shared/src/runtime/postgres';
import { generousRateLimits, startNetwork, type Network } from '../shared/src/runtime/network';
import { databaseNames, gatewayDatabaseName, type SubgraphName } from '../shared/src/topology';
import { GraphQLClient, Random } from './client';
import {
  Balances,
  earnOperation,
  enrolMembers,
  holdCaptureOperation,
  memberReadOperation,
  onboardPartners,
  partnerFeedHead,
  typenameOperation,
  waitForPartnerFeed,
  type BenchPartner,
  type WalletLoad,
} from './coalition';
import { cpuBetween, cpuSnapshot, sampleMachineBusy, type CpuSnapshot, type Parts } from './cpu';
import { closedLoop, openLoop, type LoadResult, type Operation } from './load';
import { pgbenchAvailable, pgbenchInstallHint, runPgbench } from './pgbench';
import { readStatements, resetStatements, withClient } from './postgres-stats';
import { summariseProfile } from './profile';
import { stagesOf } from './profile-stages';
import { renderReport } from './report';
import type { BenchReport, PhaseResult } from './report-model';
import { ownSignals } from './process';
import { config } from './settings';

const root = resolve('.data', `bench-${process.pid}`);
const log = (message: string) =>
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

let postgres: PostgresServer | undefined;
let network: Network | undefined;
const clients: GraphQLClient[] = [];
let cleaning: Promise<void> | undefined;
const stopTimes: Record<string, number> = {};

/** Stops whatever was started, in reverse order; safe to call twice. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    if (network) {
      // The gateway first, as Network.stop does, so nothing new reaches the subgraphs; then the
      // subgraphs together rather than one by one: some take the whole shutdown grace period
      // (limits.shutdownGraceMs) before they are killed, and one wait is enough. Each one timed.
      const { gateway, services } = network;
      const stop = async (service: typeof gateway) => {
        const start = performance.now();
        await service
          .stop()
          .catch((error: unknown) =>
            log(`while stopping ${service.name}: ${(error as Error).message}`),
          );
        stopTimes[service.name] = performance.now() - start;
      };
      await stop(gateway);
      await Promise.all(Object.values(services).map(stop));
      log(
        `stopped the network (${Object.entries(stopTimes)
          .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
          .join(', ')})`,
      );
    }
    if (postgres) {
      log('stopping Postgres…');
      await postgres
        .stop()
        .catch((error: unknown) => log(`while stopping Postgres: ${(error as Error).message}`));
    }
    if (config.keep) log(`kept ${root} (BENCH_KEEP=1)`);
    else rmSync(root, { recursive: true, force: true });
  })();
  return cleaning;
}

const postgresLog: string[] = [];
const serviceLog: string[] = [];
const remember = (buffer: string[]) => (line: string) => {
  buffer.push(line);
  if (buffer.length > 300) buffer.shift();
};

async function startPostgres(port?: number): Promise<PostgresServer> {
  const server = await startEmbeddedPostgres({
    dataDir: join(root, 'postgres'),
    port,
    onLog: remember(postgresLog),
  });
  ownSignals(log, cleanup);
  return server;
}

function postmasterPid(): number {
  const pid = Number(readFileSync(join(root, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error('could not read the postmaster pid');
  return pid;
}

const gb = (bytes: number) => (bytes / 1024 ** 3).toFixed(1);

async function main(): Promise<BenchReport> {
  const startedAt = new Date();
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  log(`data, keys and profiles in ${root}`);
  // Other work on these cores skews every number: wait a while for a quiet machine, then say how quiet it was.
  let busyBefore = await sampleMachineBusy(2000);
  const quietBy = Date.now() + config.quietWaitS * 1000;
  while (busyBefore > 0.25 && Date.now() < quietBy) {
    log(
      `the machine is ${(busyBefore * 100).toFixed(0)}% busy before the run started; waiting up to ${config.quietWaitS} s for it to quieten (BENCH_QUIET_WAIT_S)…`,
    );
    busyBefore = await sampleMachineBusy(5000);
  }
  const loadBefore = loadavg()[0] ?? 0;
  log(
    `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${gb(totalmem())} GiB; CPU busy before start ${(busyBefore * 100).toFixed(0)}%, load ${loadBefore.toFixed(2)}`,
  );

  // 1. Postgres, with pg_stat_statements preloaded (that takes a restart).
  log('starting Postgres…');
  postgres = await startPostgres();
  const port = postgres.port;
  log(`Postgres listens on 127.0.0.1:${port}`);
  const adminUrl = postgres.url('postgres');
  let statementsNote: string | undefined;
  try {
    await withClient(adminUrl, async (client) => {
      await client.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
      // Planning time too: node-pg sends every statement unnamed, so Postgres plans it every time.
      await client.query(`ALTER SYSTEM SET pg_stat_statements.track_planning = on`);
    });
    await postgres.stop();
    postgres = undefined;
    postgres = await startPostgres(port);
    await withClient(adminUrl, (client) =>
      client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'),
    );
  } catch (error) {
    statementsNote = `pg_stat_statements could not be loaded: ${(error as Error).message}`;
    log(statementsNote);
    postgres ??= await startPostgres(port);
  }
  const server = postgres;
  const serverVersion = await withClient(
    adminUrl,
    async (client) =>
      (await client.query<{ version: string }>('SELECT version()')).rows[0]?.version ?? 'unknown',
  );
  const settings = await withClient(adminUrl, async (client) =>
    (
      await client.query<{ name: string; setting: string; unit: string | null }>(
        `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'max_connections', 'synchronous_commit', 'fsync', 'wal_level', 'max_wal_size', 'checkpoint_timeout') ORDER BY name`,
      )
    ).rows.map((r) => `${r.name}=${r.setting}${r.unit ?? ''}`),
  );
  const pgPid = postmasterPid();

  // 2. The baseline: pgbench TPC-B on this Postgres, before the network runs.
  let pgbench: BenchReport['pgbench'];
  let pgbenchMissing: string | undefined;
  if (!pgbenchAvailable()) {
    pgbenchMissing = pgbenchInstallHint;
    log(pgbenchInstallHint);
  } else {
    await withClient(adminUrl, (client) => client.query('CREATE DATABASE bench_pgbench'));
    log(`pgbench: initialising scale ${config.pgbenchScale}…`);
    let before: CpuSnapshot | undefined;
    let after: CpuSnapshot | undefined;
    const parts: Parts = { postgres: pgPid };
    const result = await runPgbench({
      port,
      user: 'postgres',
      password: 'postgres',
      database: 'bench_pgbench',
      scale: config.pgbenchScale,
      clients: config.pgbenchClients,
      threads: config.pgbenchThreads,
      durationS: config.pgbenchS,
      onRun: (edge) => {
        if (edge === 'start')
          log(
            `pgbench: -c ${config.pgbenchClients} -j ${config.pgbenchThreads} -T ${config.pgbenchS}…`,
          );
        if (edge === 'start') before = cpuSnapshot(parts);
        else after = cpuSnapshot(parts);
      },
    });
    const cpu = before && after ? cpuBetween(before, after, cpus().length) : undefined;
    if (cpu) cpu.byPart.pgbench = result.clientCpuMs;
    if (cpu) cpu.other = Math.max(0, cpu.other - result.clientCpuMs);
    pgbench = { ...result, cpu };
    log(`pgbench: ${result.tps.toFixed(0)} tps (latency avg ${result.latencyAvgMs ?? '?'} ms)`);
    await withClient(adminUrl, (client) => client.query('CHECKPOINT'));
  }

  // 3. The network, every service its own process, with the CPU-profile hook preloaded (idle until signalled).
  const keysDir = join(root, 'keys');
  const key = ensureSigningKey(keysDir);
  const profileDir = join(root, 'profiles');
  const hook = resolve('bench', 'cpu-profile-hook.mjs');
  log('starting the network…');
  network = await startNetwork({
    databaseUrl: (name: SubgraphName) => server.url(databaseNames[name]),
    // As in production: the gateway's rate-limit counters in their own database (its limits are
    // raised below, so the benchmark measures their cost, never a refusal).
    gatewayDatabaseUrl: server.url(gatewayDatabaseName),
    keysDir,
    ports: 'ephemeral',
    output: remember(serviceLog),
    env: {
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${hook}`.trim(),
      BENCH_CPU_PROFILE_DIR: profileDir,
      // The benchmark drives the wallet far past one client's production rate limit on purpose.
      ...generousRateLimits,
    },
  });
  const net = network;
  for (const service of [net.gateway, ...Object.values(net.services)]) {
    service.child.once('exit', (code, signal) => {
      if (!cleaning)
        log(
          `${service.name} exited unexpectedly (code ${code}, signal ${signal}); its last lines:\n${serviceLog.slice(-20).join('\n')}`,
        );
    });
  }
  const maxClients = Math.max(...config.clients);
  const gateway = new GraphQLClient(net.gateway.url, '/graphql', maxClients);
  const direct = new GraphQLClient(net.services.member.url, '/graphql', maxClients);
  clients.push(gateway, direct);
  const parts: Parts = {
    gateway: net.gateway.child.pid!,
    member: net.services.member.child.pid!,
    'partner-merchant': net.services['partner-merchant'].child.pid!,
    settlement: net.services.settlement.child.pid!,
    postgres: pgPid,
    'load generator': process.pid,
  };

  // 4. The coalition: partners with a store each, members, and the wallet's replica caught up.
  const setupStart = performance.now();
  const operator = signToken(key, { role: 'operator', sub: 'operator:bench' }, 4 * 3600);
  log(`onboarding ${config.partners} partners…`);
  const partners = await onboardPartners(gateway, key, operator, config.partners);
  log(`enrolling ${config.members} members…`);
  // Straight to the member subgraph (same API, same checks, one hop less): setup is not what is measured.
  const memberIds = await enrolMembers(direct, operator, config.members);
  const head = await partnerFeedHead(net.services['partner-merchant'].url, key);
  const feed = await waitForPartnerFeed(gateway, operator, head, 60_000);
  const setupS = (performance.now() - setupStart) / 1000;
  log(
    `setup done in ${setupS.toFixed(1)} s; the wallet's replica is at ${feed.position} (${feed.factsApplied} partner facts)`,
  );

  const random = new Random(20251125);
  const balances = new Balances();
  const viaGateway: WalletLoad = { client: gateway, random, memberIds, balances };
  const viaMember: WalletLoad = { client: direct, random, memberIds, balances };
  const spread = () => random.pick(partners);
  const hot = partners[0]!;
  const atHot = (): BenchPartner => hot;
  const phases: PhaseResult[] = [];
  let quietBudgetMs = config.phaseQuietWaitS * 1000;
  /**
   * Starts a phase on a quiet machine if that comes soon: others' work on these cores skews it, and
   * so does our own leftover work (the settlement service catching up on the last phase's facts,
   * an autovacuum). The network idles at a few percent (feed polls). One budget for the whole run.
   */
  const waitForQuiet = async () => {
    for (;;) {
      const before = cpuSnapshot(parts);
      await new Promise((r) => setTimeout(r, 1000));
      const usage = cpuBetween(before, cpuSnapshot(parts), cpus().length);
      if (usage.machineBusy <= 0.2 || quietBudgetMs <= 0) return;
      const others = usage.other / (usage.wallMs * usage.cores);
      // Once, then every ten seconds of waiting.
      if ((config.phaseQuietWaitS * 1000 - quietBudgetMs) % 10_000 === 0)
        log(
          `  the machine is ${(usage.machineBusy * 100).toFixed(0)}% busy (${(others * 100).toFixed(0)}% by other processes, the rest ours); waiting (${(quietBudgetMs / 1000).toFixed(0)} s of BENCH_PHASE_QUIET_WAIT_S left)…`,
        );
      quietBudgetMs -= 1000;
    }
  };
  const warmupMs = config.warmupS * 1000;
  const durationMs = config.durationS * 1000;

  const measure = async (
    phase: Omit<PhaseResult, 'result' | 'cpu'>,
    run: (onWindow: (edge: 'open' | 'close') => void) => Promise<LoadResult>,
    around?: { open?: () => Promise<void>; close?: () => Promise<void> },
    options: { waitForQuiet?: boolean } = {},
  ): Promise<PhaseResult> => {
    let before: CpuSnapshot | undefined;
    let after: CpuSnapshot | undefined;
    const pending: Promise<void>[] = [];
    if (options.waitForQuiet !== false) await waitForQuiet();
    log(
      `${phase.label}${phase.clients ? `, ${phase.clients} clients` : ''}${phase.rate ? `, ${phase.rate.toFixed(0)}/s` : ''}…`,
    );
    const result = await run((edge) => {
      if (edge === 'open') {
        before = cpuSnapshot(parts);
        if (around?.open) pending.push(around.open());
      } else {
        after = cpuSnapshot(parts);
        if (around?.close) pending.push(around.close());
      }
    });
    await Promise.all(pending);
    const done: PhaseResult = {
      ...phase,
      result,
      cpu: before && after ? cpuBetween(before, after, cpus().length) : undefined,
    };
    const errors = Object.values(result.errors).reduce((a, b) => a + b, 0);
    log(
      `  ${result.throughput.toFixed(1)} ${phase.unit}/s, p50 ${result.latency.p50.toFixed(1)} ms, p99 ${result.latency.p99.toFixed(1)} ms, errors ${errors}` +
        (errors ? ` ${JSON.stringify(result.errors)}` : '') +
        (done.cpu ? `, CPU busy ${(done.cpu.machineBusy * 100).toFixed(0)}%` : ''),
    );
    phases.push(done);
    return done;
  };
  const closed =
    (clientsCount: number, operation: Operation, seconds = config.durationS, warmup = warmupMs) =>
    (onWindow: (edge: 'open' | 'close') => void) =>
      closedLoop({
        clients: clientsCount,
        warmupMs: warmup,
        durationMs: seconds * 1000,
        operation,
        onWindow,
      });

  // 5a. The latency ladder, one client at a time: what each hop costs with nothing queued.
  const ladderMs = config.ladderS;
  await measure(
    {
      id: 'ladder-gw-typename',
      group: 'ladder',
      label: 'gateway only: { __typename }',
      path: 'gateway',
      unit: 'req',
      clients: 1,
    },
    closed(1, typenameOperation(gateway, operator), ladderMs, 1000),
  );
  await measure(
    {
      id: 'ladder-member-typename',
      group: 'ladder',
      label: 'member subgraph only: { __typename }',
      path: 'member',
      unit: 'req',
      clients: 1,
    },
    closed(1, typenameOperation(direct, operator), ladderMs, 1000),
  );
  await measure(
    {
      id: 'ladder-member-earn',
      group: 'ladder',
      label: 'earn, straight to the member subgraph',
      path: 'member',
      unit: 'earn',
      clients: 1,
    },
    closed(1, earnOperation(viaMember, spread), ladderMs, 1000),
  );
  await measure(
    {
      id: 'ladder-gw-earn',
      group: 'ladder',
      label: 'earn through the gateway',
      path: 'gateway',
      unit: 'earn',
      clients: 1,
    },
    closed(1, earnOperation(viaGateway, spread), ladderMs, 1000),
  );

  // 5b. Throughput: earn spread over every partner, earn at one hot partner, hold + capture pairs.
  // First a warm-up under full load, not measured: JIT, pools, caches and the first autovacuum of the
  // new tables otherwise land in the first phase measured and in no other (the hot partner's came
  // out a third cheaper per earn than the spread phases run before it).
  log(`warm-up: ${config.loadWarmupS} s of earns at ${config.clients[0]} clients, not measured…`);
  await closedLoop({
    clients: config.clients[0]!,
    warmupMs: config.loadWarmupS * 1000,
    durationMs: 1,
    operation: earnOperation(viaGateway, spread),
    onWindow: () => undefined,
  });
  let statements: BenchReport['statements'];
  for (const [index, c] of config.clients.entries()) {
    // pg_stat_statements over the first spread-earn window: what one earn costs the database.
    const around =
      index === 0 && !statementsNote
        ? {
            open: () => resetStatements(adminUrl),
            close: async () => {
              statements = { ...(await readStatements(adminUrl)), phaseId: `earn-spread-${c}` };
            },
          }
        : undefined;
    await measure(
      {
        id: `earn-spread-${c}`,
        group: 'earn-spread',
        label: `earn, spread over ${partners.length} partners`,
        path: 'gateway',
        unit: 'earn',
        clients: c,
      },
      closed(c, earnOperation(viaGateway, spread)),
      around,
    );
  }
  for (const c of config.clients) {
    await measure(
      {
        id: `earn-hot-${c}`,
        group: 'earn-hot',
        label: 'earn, every purchase at one partner',
        path: 'gateway',
        unit: 'earn',
        clients: c,
      },
      closed(c, earnOperation(viaGateway, atHot)),
    );
  }
  for (const c of config.clients) {
    await measure(
      {
        id: `hold-capture-${c}`,
        group: 'hold-capture',
        label: `hold + capture pairs, spread over ${partners.length} partners`,
        path: 'gateway',
        unit: 'pair',
        requestsPerOp: 2,
        clients: c,
      },
      closed(c, holdCaptureOperation(viaGateway, spread)),
    );
  }
  // The gateway's share of the cost under load: the same earn, straight to the member subgraph.
  const directClients = config.clients[0]!;
  // For scale: the most any request through the federation can reach here, with no earn's work at all.
  const floorS = Math.max(5, Math.round(config.durationS / 2));
  await measure(
    {
      id: `floor-typename-${directClients}`,
      group: 'floor',
      label: 'for scale: { __typename } at the gateway (no subgraph, no database)',
      path: 'gateway',
      unit: 'req',
      clients: directClients,
    },
    closed(directClients, typenameOperation(gateway, operator), floorS),
  );
  await measure(
    {
      id: `floor-member-read-${directClients}`,
      group: 'floor',
      label: 'for scale: one member by id (gateway, member subgraph, one indexed SELECT)',
      path: 'gateway',
      unit: 'req',
      clients: directClients,
    },
    closed(directClients, memberReadOperation(viaGateway, operator), floorS),
  );
  await measure(
    {
      id: `earn-direct-${directClients}`,
      group: 'earn-direct',
      label: 'earn, spread, straight to the member subgraph (no gateway)',
      path: 'member',
      unit: 'earn',
      clients: directClients,
    },
    closed(
      directClients,
      earnOperation(viaMember, spread),
      Math.max(5, Math.round(config.durationS / 2)),
    ),
  );

  // 5c. Latency at half of the spread-earn peak, open loop (requests start on schedule, answered or not).
  const peak = Math.max(
    ...phases.filter((p) => p.group === 'earn-spread').map((p) => p.result.throughput),
  );
  const rate = Math.max(1, peak / 2);
  const openPool = new GraphQLClient(net.gateway.url, '/graphql', 512);
  clients.push(openPool);
  await measure(
    {
      id: 'earn-open-half',
      group: 'earn-open',
      label: 'earn, spread, open loop at half the spread peak',
      path: 'gateway',
      unit: 'earn',
      rate,
    },
    (onWindow) =>
      openLoop({
        ratePerSecond: rate,
        warmupMs,
        durationMs,
        operation: earnOperation({ ...viaGateway, client: openPool }, spread),
        onWindow,
      }),
  );

  // 6. Where the time goes: CPU profiles of the services during a short spread-earn run.
  const profiled = [net.gateway, net.services.member, net.services.settlement];
  await waitForQuiet();
  for (const service of profiled) service.child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 300));
  await measure(
    {
      id: 'profile',
      group: 'profile',
      label: 'earn, spread, under the CPU profiler',
      path: 'gateway',
      unit: 'earn',
      clients: directClients,
    },
    closed(directClients, earnOperation(viaGateway, spread), config.profileS, 1000),
    undefined,
    { waitForQuiet: false },
  );
  for (const service of profiled) service.child.kill('SIGUSR2');
  const profiles: BenchReport['profiles'] = [];
  const deadline = Date.now() + 20_000;
  while (
    Date.now() < deadline &&
    (!existsSync(profileDir) ||
      readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).length < profiled.length)
  ) {
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const file of existsSync(profileDir)
    ? readdirSync(profileDir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .sort()
    : []) {
    const service = file.replace(/-\d+\.cpuprofile$/, '');
    profiles.push({
      service,
      file: join(profileDir, file),
      summary: summariseProfile(join(profileDir, file), stagesOf(service)),
    });
  }

  const finishedAt = new Date();
  return {
    startedAt,
    finishedAt,
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Number(gb(totalmem())),
      kernel: `${process.platform} ${release()}`,
      node: process.version,
      postgres: serverVersion,
      postgresSettings: settings,
      busyBefore,
      loadBefore,
    },
    config: {
      durationS: config.durationS,
      warmupS: config.warmupS,
      loadWarmupS: config.loadWarmupS,
      clients: config.clients,
      partners: config.partners,
      members: config.members,
      pgbenchScale: config.pgbenchScale,
      pgbenchClients: config.pgbenchClients,
      pgbenchThreads: config.pgbenchThreads,
      pgbenchS: config.pgbenchS,
      profileS: config.profileS,
      ladderS: config.ladderS,
    },
    pgbench,
    pgbenchMissing,
    setup: {
      partners: partners.length,
      members: memberIds.length,
      seconds: setupS,
      feedPosition: feed.position,
      factsApplied: feed.factsApplied,
    },
    phases,
    statements,
    statementsNote,
    profiles,
    kept: config.keep ? root : undefined,
  };
}

let exitCode = 0;
try {
  const report = await main();
  await cleanup();
  report.shutdownMs = stopTimes;
  const previous = existsSync(config.output) ? readFileSync(config.output, 'utf8') : '';
  writeFileSync(config.output, renderReport(report, previous));
  log(
    `wrote ${config.output} (${((report.finishedAt.getTime() - report.startedAt.getTime()) / 1000).toFixed(0)} s)`,
  );
} catch (error) {
  exitCode = 1;
  process.stderr.write(`\nThe benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  if (serviceLog.length)
    process.stderr.write(`\nLast service log lines:\n${serviceLog.slice(-15).join('\n')}\n`);
  if (postgresLog.length)
    process.stderr.write(`\nLast Postgres log lines:\n${postgresLog.slice(-10).join('\n')}\n`);
  await cleanup();
}
process.exit(exitCode);
