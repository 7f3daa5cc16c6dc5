/**
 * npm run bench:settlement: closing a settlement cycle over N member facts, for each N in
 * BENCH_SETTLEMENT_SIZES (default 1,000,000 and 10,000,000). Starts its own embedded Postgres
 * (data under .data/bench-settlement-<pid>, a free port), migrates a fresh settlement database per
 * size with the settlement service's own migrations, writes the facts set-based (see
 * settlement-facts.ts), closes a small cycle before (so refunds can reverse an earlier cycle),
 * then times the real CycleLifecycleService.close over the N facts while sampling memory, checks the
 * result, and writes a section of BENCHMARKS.md (the wallet's sections are left as they are).
 * Not a test: nothing here asserts on time.
 *
 * Settings (environment): BENCH_SETTLEMENT_SIZES ("1000000,10000000"), BENCH_SETTLEMENT_PARTNERS
 * (100), BENCH_SETTLEMENT_PREVIOUS (20000: facts in the cycle before), BENCH_SETTLEMENT_CHUNK
 * (1000000: facts written per statement), BENCH_SETTLEMENT_VERIFY=1 (also recompute each closed
 * cycle and compare, CycleVerificationService.verify: as long again as the close), BENCH_OUTPUT
 * (BENCHMARKS.md), BENCH_KEEP=1 (keep the data directory and the databases, to EXPLAIN against),
 * BENCH_QUIET_WAIT_S (60: how long to wait for a quiet machine before each close).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../shared/src/db/data-source';
import { startEmbeddedPostgres, type PostgresServer } from '../shared/src/runtime/postgres';
import { MEMBER_FEED_CONSUMER, migrations } from '../subgraphs/settlement/src/server';
import { CycleLifecycleService } from '../subgraphs/settlement/src/modules/cycles/lifecycle/cycle-lifecycle.service';
import { CycleQueriesService } from '../subgraphs/settlement/src/modules/cycles/queries/cycle-queries.service';
import { CycleVerificationService } from '../subgraphs/settlement/src/modules/cycles/verification/cycle-verification.service';
import { cpuBetween, cpuSnapshot, sampleMachineBusy } from './cpu';
import { sampleMemory } from './memory';
import { checkCycle, rowsOf } from './settlement-checks';
import {
  createGenerator,
  dropGenerator,
  positionOf,
  setFeedCursor,
  writeContracts,
  writeFacts,
  type FactSpace,
} from './settlement-facts';
import {
  renderSettlementSection,
  spliceSettlementSection,
  type SettlementRun,
  type SizeResult,
  type StatementTime,
} from './settlement-report';
import { withClient } from './postgres-stats';
import { ownSignals, positiveIntFromEnv } from './process';

const env = process.env;
const int = positiveIntFromEnv;
const sizes = (env.BENCH_SETTLEMENT_SIZES ?? '1000000,10000000')
  .split(',')
  .map((s) => Number(s.trim().replace(/_/g, '')));
if (sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s < 1000))
  throw new Error(
    'BENCH_SETTLEMENT_SIZES must list fact counts of at least 1000, e.g. 1000000,10000000',
  );

const config = {
  sizes,
  partners: int('BENCH_SETTLEMENT_PARTNERS', 100),
  previous: int('BENCH_SETTLEMENT_PREVIOUS', 20_000),
  chunk: int('BENCH_SETTLEMENT_CHUNK', 1_000_000),
  verify: env.BENCH_SETTLEMENT_VERIFY === '1',
  output: resolve(env.BENCH_OUTPUT ?? 'BENCHMARKS.md'),
  keep: env.BENCH_KEEP === '1',
  quietWaitS: env.BENCH_QUIET_WAIT_S === '0' ? 0 : int('BENCH_QUIET_WAIT_S', 60),
};
/** The targets of issue 5: a close over 1 M facts in 10 s, over 10 M in 100 s: 10 µs per fact. */
const TARGET_S_PER_FACT = 10 / 1_000_000;

const root = resolve('.data', `bench-settlement-${process.pid}`);
const log = (message: string) =>
  process.stdout.write(`[bench:settlement ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const postgresLog: string[] = [];
let postgres: PostgresServer | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    if (postgres)
      await postgres
        .stop()
        .catch((error: unknown) => log(`while stopping Postgres: ${(error as Error).message}`));
    if (config.keep) log(`kept ${root} (BENCH_KEEP=1)`);
    else rmSync(root, { recursive: true, force: true });
  })();
  return cleaning;
}

const postmasterPid = () =>
  Number(readFileSync(join(root, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

/** Waits up to BENCH_QUIET_WAIT_S for the machine to be under a quarter busy; returns how busy it was. */
async function waitForQuiet(): Promise<number> {
  let busy = await sampleMachineBusy(2000);
  const until = Date.now() + config.quietWaitS * 1000;
  while (busy > 0.25 && Date.now() < until) {
    log(
      `  the machine is ${(busy * 100).toFixed(0)}% busy; waiting up to ${config.quietWaitS} s for it to quieten (BENCH_QUIET_WAIT_S)…`,
    );
    busy = await sampleMachineBusy(5000);
  }
  return busy;
}

/** A statement's first words, and the tables it writes (statements that open with the same CTE differ there). */
function labelOf(sql: string): string {
  const text = sql.replace(/\s+/g, ' ').trim();
  const writes = [...new Set([...text.matchAll(/INSERT INTO ([\w.]+)/g)].map((m) => m[1]))];
  return writes.length > 1 || (writes.length === 1 && !text.startsWith('INSERT'))
    ? `${text.slice(0, 70)} … [writes ${writes.join(', ')}]`
    : text.slice(0, 110);
}

/** Records when each statement is sent: the gap to the next one is (about) its time in the database. */
class StatementClock {
  private marks: { sql: string; at: number }[] = [];
  recording = false;
  onQuery = (sql: string) => {
    if (this.recording) this.marks.push({ sql, at: performance.now() });
  };
  start(): void {
    this.marks = [];
    this.recording = true;
  }
  stop(endedAt: number): StatementTime[] {
    this.recording = false;
    const byLabel = new Map<string, StatementTime>();
    for (const [index, mark] of this.marks.entries()) {
      const label = labelOf(mark.sql);
      const ms = (this.marks[index + 1]?.at ?? endedAt) - mark.at;
      const entry = byLabel.get(label) ?? { label, calls: 0, ms: 0 };
      entry.calls += 1;
      entry.ms += ms;
      byLabel.set(label, entry);
    }
    return [...byLabel.values()].sort((a, b) => b.ms - a.ms);
  }
}

async function main(): Promise<SettlementRun> {
  const startedAt = new Date();
  rmSync(root, { recursive: true, force: true });
  const busyBefore = await waitForQuiet();
  const loadBefore = loadavg()[0] ?? 0;
  postgres = await startEmbeddedPostgres({
    dataDir: join(root, 'postgres'),
    onLog: (line) => postgresLog.push(line),
  });
  ownSignals(log, cleanup);
  const server = postgres;
  const adminUrl = server.url('postgres');
  const pgInfo = await withClient(adminUrl, async (client) => ({
    version: (await client.query<{ version: string }>('SELECT version()')).rows[0]!.version,
    settings: (
      await client.query<{ name: string; setting: string; unit: string | null }>(
        `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'hash_mem_multiplier', 'maintenance_work_mem', 'max_wal_size', 'synchronous_commit', 'max_parallel_workers_per_gather', 'jit') ORDER BY name`,
      )
    ).rows.map((r) => `${r.name}=${r.setting}${r.unit ?? ''}`),
  }));
  log(
    `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB; busy ${(busyBefore * 100).toFixed(0)}%, load ${loadBefore.toFixed(2)}; ${pgInfo.version.split(',')[0]}`,
  );
  const results: SizeResult[] = [];
  for (const size of config.sizes) results.push(await benchSize(server, size));
  return {
    startedAt,
    finishedAt: new Date(),
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Number((totalmem() / 1024 ** 3).toFixed(1)),
      kernel: `${process.platform} ${release()}`,
      node: process.version,
      postgres: pgInfo.version,
      postgresSettings: pgInfo.settings,
      busyBefore,
      loadBefore,
    },
    config: {
      partners: config.partners,
      previous: config.previous,
      chunk: config.chunk,
      targetSPerFact: TARGET_S_PER_FACT,
    },
    results,
  };
}

async function benchSize(server: PostgresServer, size: number): Promise<SizeResult> {
  const database = `bench_settlement_${size}`;
  const url = server.url(database);
  const clock = new StatementClock();
  log(`${size.toLocaleString('en')} facts: migrating ${database}…`);
  const dataSource = await openDatabase({
    url,
    entities: [],
    migrations,
    onQuery: clock.onQuery,
    applicationName: 'bench-settlement',
    poolSize: 2,
  });
  const queries = new CycleQueriesService(dataSource);
  const cycles = new CycleLifecycleService(
    dataSource,
    queries,
    { model: 'HUB', baseCurrency: 'EUR' },
    MEMBER_FEED_CONSUMER,
  );
  const verification = new CycleVerificationService(dataSource, queries);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const space: FactSpace = {
      partners: config.partners,
      previousEnd: config.previous,
      lastFact: config.previous + size,
    };
    const setup = await generate(client, cycles, space, size);
    const measured = await measureClose(client, cycles, clock, size, space);
    const verified = config.verify ? await verifyClose(verification, measured.cycleId) : undefined;
    const sizes = await client.query<{ name: string; bytes: string }>(
      `SELECT relname AS name, pg_total_relation_size(oid)::text AS bytes FROM pg_class WHERE relname IN ('member_fact', 'settlement_item', 'journal_entry') ORDER BY relname`,
    );
    return {
      size,
      ...setup,
      ...measured,
      verified,
      tableBytes: Object.fromEntries(sizes.rows.map((r) => [r.name, Number(r.bytes)])),
    };
  } finally {
    await client.end();
    await dataSource.destroy();
    if (!config.keep)
      await withClient(server.url('postgres'), (admin) => admin.query(`DROP DATABASE ${database}`));
  }
}

/** The facts: the cycle before (closed), then the N measured ones, analysed and checkpointed. */
async function generate(
  client: pg.Client,
  cycles: CycleLifecycleService,
  space: FactSpace,
  size: number,
) {
  const started = performance.now();
  await createGenerator(client, space);
  await writeContracts(client, space);
  await writeFacts(client, 0, space.previousEnd, config.chunk);
  await setFeedCursor(client, MEMBER_FEED_CONSUMER, space.previousEnd);
  // Fresh tables have no statistics until autovacuum gets to them; a close then may plan badly (see BENCHMARKS.md).
  await client.query('ANALYZE');
  const beforeStarted = performance.now();
  await cycles.close({}, 'operator:bench');
  const previousCloseMs = performance.now() - beforeStarted;
  log(
    `  the cycle before (${(space.previousEnd + 1).toLocaleString('en')} facts) closed in ${(previousCloseMs / 1000).toFixed(2)} s; writing ${size.toLocaleString('en')} facts…`,
  );
  const writeStarted = performance.now();
  const items = await writeFacts(
    client,
    space.previousEnd + 1,
    space.lastFact,
    config.chunk,
    (done) => {
      log(
        `  … ${(done - space.previousEnd).toLocaleString('en')} facts (${((performance.now() - writeStarted) / 1000).toFixed(0)} s)`,
      );
    },
  );
  await setFeedCursor(client, MEMBER_FEED_CONSUMER, space.lastFact);
  await dropGenerator(client);
  // What autovacuum would long have done to tables filled over weeks, and the load's dirty pages
  // written out, so the close pays for neither.
  await client.query('VACUUM (ANALYZE) member_fact');
  await client.query('VACUUM (ANALYZE) settlement_item');
  await client.query('CHECKPOINT');
  const setupS = (performance.now() - started) / 1000;
  log(`  ${items.toLocaleString('en')} settlement items; setup took ${setupS.toFixed(0)} s`);
  return { itemsWritten: items, setupS, previousFacts: space.previousEnd + 1, previousCloseMs };
}

/** Where the write-ahead log stands, and how many checkpoints have run: what a close costs the WAL. */
async function walState(client: pg.Client): Promise<{ lsnBytes: bigint; checkpoints: number }> {
  const row = (
    await client.query<{ lsn: string; checkpoints: string }>(
      `SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::text AS lsn, (SELECT num_timed + num_requested FROM pg_stat_checkpointer)::text AS checkpoints`,
    )
  ).rows[0]!;
  return { lsnBytes: BigInt(row.lsn.split('.')[0]!), checkpoints: Number(row.checkpoints) };
}

async function measureClose(
  client: pg.Client,
  cycles: CycleLifecycleService,
  clock: StatementClock,
  size: number,
  space: FactSpace,
) {
  const busyBefore = await waitForQuiet();
  const pm = postmasterPid();
  const parts = { postgres: pm, 'bench (node)': process.pid };
  const walBefore = await walState(client);
  const cpuBefore = cpuSnapshot(parts);
  const memory = sampleMemory(pm, 100, join(root, 'postgres', 'base', 'pgsql_tmp'));
  log(`  closing the cycle (machine ${(busyBefore * 100).toFixed(0)}% busy before)…`);
  clock.start();
  const started = performance.now();
  const closed = await cycles.close({}, 'operator:bench');
  const ended = performance.now();
  const statements = clock.stop(ended);
  const peaks = memory.stop();
  const cpu = cpuBetween(cpuBefore, cpuSnapshot(parts), cpus().length);
  const closeS = (ended - started) / 1000;
  log(
    `  closed in ${closeS.toFixed(2)} s (target ${(size * TARGET_S_PER_FACT).toFixed(0)} s); node RSS max ${(peaks.nodeRssMax / 2 ** 20).toFixed(0)} MiB, Postgres backend private max ${(peaks.postgresBackendAnonMax / 2 ** 20).toFixed(0)} MiB, temp files max ${(peaks.tempBytesMax / 2 ** 20).toFixed(0)} MiB`,
  );
  const walAfter = await walState(client);
  const wal = {
    bytes: Number(walAfter.lsnBytes - walBefore.lsnBytes),
    checkpoints: walAfter.checkpoints - walBefore.checkpoints,
  };
  const rows = await rowsOf(client, closed.id);
  const checks = await checkCycle(client, closed.id, positionOf(space.lastFact));
  for (const c of checks) log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  return {
    cycleId: closed.id,
    closeS,
    statements,
    memory: peaks,
    cpu,
    busyBefore,
    wal,
    rows,
    checks,
  };
}

async function verifyClose(verification: CycleVerificationService, cycleId: string) {
  const started = performance.now();
  const result = await verification.verify(cycleId);
  const seconds = (performance.now() - started) / 1000;
  log(
    `  recomputed in ${seconds.toFixed(1)} s: ${result.matches ? 'identical' : `${result.differences.length} differences, e.g. ${result.differences[0]}`}`,
  );
  return { matches: result.matches, differences: result.differences.slice(0, 5), seconds };
}

let exitCode = 0;
try {
  const run = await main();
  await cleanup();
  const previous = existsSync(config.output)
    ? readFileSync(config.output, 'utf8')
    : '# Benchmarks\n';
  writeFileSync(
    config.output,
    spliceSettlementSection(previous, renderSettlementSection(run, previous)),
  );
  log(
    `wrote ${config.output} (${((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(0)} s)`,
  );
  if (run.results.some((r) => r.checks.some((c) => !c.ok) || r.verified?.matches === false)) {
    exitCode = 1;
    process.stderr.write('\nSome checks of the closed cycles failed: see above.\n');
  }
} catch (error) {
  exitCode = 1;
  process.stderr.write(`\nThe benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  if (postgresLog.length)
    process.stderr.write(`\nLast Postgres log lines:\n${postgresLog.slice(-10).join('\n')}\n`);
  await cleanup();
}
process.exit(exitCode);
