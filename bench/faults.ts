/**
 * npm run faults: the network under a mixed load through the gateway while services are killed
 * (SIGKILL, a random one each time) and PostgreSQL is stopped immediately (no checkpoint, as a
 * crash), then the proof that nothing acknowledged was lost or doubled: every acknowledged earn
 * and burn is in the ledger exactly once, the ledger audit is clean, and settlement's intake
 * holds every fact of the member feed. Prints a Markdown report (BENCHMARKS.md, "Faults") and
 * exits 1 when a check fails.
 *
 * Settings: FAULT_KILLS (20), FAULT_PG_STOPS (3), FAULT_CONCURRENCY (8), FAULT_SEED (1).
 * Traffic goes to 127.0.0.1 only: its own Postgres and services, on ports of their own.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { signToken } from '../shared/src/auth/jwt';
import { ensureSigningKey } from '../shared/src/auth/keys';
import { generousRateLimits, startNetwork, type Network } from '../shared/src/runtime/network';
import { startEmbeddedPostgres, type PostgresServer } from '../shared/src/runtime/postgres';
import { databaseNames, type SubgraphName } from '../shared/src/topology';
import { auditLedger } from '../subgraphs/member/src/modules/audit/ledger-audit';
import { GraphQLClient, Random } from './client';
import { enrolMembers, onboardPartners, partnerFeedHead, waitForPartnerFeed } from './coalition';
import { positiveIntFromEnv } from './process';
import { runLoad, type LoadOutcome } from './faults-load';

const settings = {
  kills: positiveIntFromEnv('FAULT_KILLS', 20),
  postgresStops: positiveIntFromEnv('FAULT_PG_STOPS', 3),
  concurrency: positiveIntFromEnv('FAULT_CONCURRENCY', 8),
  seed: positiveIntFromEnv('FAULT_SEED', 1),
};

type Target = SubgraphName | 'gateway';
const targets: Target[] = ['gateway', 'member', 'partner-merchant', 'settlement'];

interface Faults {
  killed: Record<string, number>;
  postgresStops: number;
  /** The longest a killed service took to answer again, in ms. */
  slowestRecoveryMs: number;
}

/** Restarts heard from the supervisor, so the injector waits for one before the next fault. */
class Restarts {
  private readonly waiting = new Map<string, () => void>();

  heard(name: string): void {
    this.waiting.get(name)?.();
    this.waiting.delete(name);
  }

  next(name: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not come back in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.set(name, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function injectFaults(
  network: Network,
  postgres: { stop(): Promise<void>; start(): Promise<void> },
  restarts: Restarts,
  random: Random,
): Promise<Faults> {
  const faults: Faults = { killed: {}, postgresStops: 0, slowestRecoveryMs: 0 };
  const total = settings.kills + settings.postgresStops;
  // Postgres stops spread evenly among the kills.
  const stopAt = new Set(
    Array.from({ length: settings.postgresStops }, (_, i) =>
      Math.floor(((i + 1) * total) / (settings.postgresStops + 1)),
    ),
  );
  for (let i = 0; i < total; i++) {
    await sleep(random.int(1_000, 3_000));
    if (stopAt.has(i)) {
      await postgres.stop();
      await sleep(random.int(500, 2_000));
      await postgres.start();
      faults.postgresStops += 1;
      continue;
    }
    const name = random.pick(targets);
    const service = name === 'gateway' ? network.gateway : network.services[name];
    const back = restarts.next(name, 120_000);
    const killedAt = Date.now();
    process.kill(service.child.pid!, 'SIGKILL');
    await back;
    faults.slowestRecoveryMs = Math.max(faults.slowestRecoveryMs, Date.now() - killedAt);
    faults.killed[name] = (faults.killed[name] ?? 0) + 1;
  }
  return faults;
}

interface Checks {
  acknowledgedInLedgerOnce: boolean;
  auditClean: boolean;
  intakeMatchesFeed: boolean;
  details: string[];
}

async function openDatabase(url: string): Promise<DataSource> {
  return new DataSource({ type: 'postgres', url, poolSize: 2, parseInt8: false }).initialize();
}

/** Waits until settlement has applied every fact of the member feed (or gives up after a minute). */
async function intakeCaughtUp(member: DataSource, settlement: DataSource): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const outbox = (await member.query('SELECT count(*)::int AS facts FROM outbox')) as {
      facts: number;
    }[];
    const facts = outbox[0]!.facts;
    const cursor = (await settlement.query(
      `SELECT facts_applied::int AS applied FROM feed_cursor WHERE consumer = 'member-feed'`,
    )) as { applied: number }[];
    const applied = cursor[0]?.applied ?? 0;
    if (applied === facts) return `settlement applied all ${facts} facts of the member feed`;
    if (Date.now() > deadline)
      return `settlement applied ${applied} of the member feed's ${facts} facts`;
    await sleep(500);
  }
}

async function check(postgres: PostgresServer, outcome: LoadOutcome): Promise<Checks> {
  const member = await openDatabase(postgres.url(databaseNames.member));
  const settlement = await openDatabase(postgres.url(databaseNames.settlement));
  try {
    const details: string[] = [];
    const ids = outcome.acknowledged.map((op) => op.transactionId);
    const rows = (await member.query(
      `SELECT count(*) FILTER (WHERE id = ANY($1::uuid[]))::int AS found,
              count(*) FILTER (WHERE kind IN ('EARN', 'BURN'))::int AS written
         FROM ledger_transaction`,
      [ids],
    )) as { found: number; written: number }[];
    const { found, written } = rows[0]!;
    // Every operation sent was acknowledged or given up: the ledger holds each acknowledged one,
    // and nothing more than those and the ones given up (whose last answer was lost): a retry that
    // applied twice would show as an earn or burn too many.
    const once =
      found === ids.length &&
      new Set(ids).size === ids.length &&
      written >= ids.length &&
      written <= ids.length + outcome.abandoned &&
      outcome.unexpected.length === 0;
    details.push(
      `${found} of ${ids.length} acknowledged operations found in the ledger, which holds ${written} earns and burns (${outcome.abandoned} operations given up)`,
      ...outcome.unexpected.map((refusal) => `refused, no rule explains it: ${refusal}`),
    );
    const audit = await auditLedger(member);
    const violations = audit.violations.length;
    details.push(`ledger audit: ${violations} violations over ${audit.checks.length} checks`);
    const intake = await intakeCaughtUp(member, settlement);
    const itemised = (await settlement.query(
      'SELECT count(DISTINCT transaction_id)::int AS items FROM settlement_item WHERE transaction_id = ANY($1::uuid[])',
      [outcome.acknowledged.filter((op) => op.points > 0n).map((op) => op.transactionId)],
    )) as { items: number }[];
    const withPoints = outcome.acknowledged.filter((op) => op.points > 0n).length;
    details.push(
      intake,
      `${itemised[0]!.items} of ${withPoints} acknowledged operations with points are settlement items`,
    );
    return {
      acknowledgedInLedgerOnce: once,
      auditClean: audit.ok && violations === 0,
      intakeMatchesFeed:
        intake.startsWith('settlement applied all') && itemised[0]!.items === withPoints,
      details,
    };
  } finally {
    await member.destroy();
    await settlement.destroy();
  }
}

function report(faults: Faults, outcome: LoadOutcome, checks: Checks, seconds: number): string {
  const mark = (ok: boolean) => (ok ? 'yes' : '**NO**');
  const killed = Object.entries(faults.killed)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return [
    `| | |`,
    `| --- | --- |`,
    `| faults | ${Object.values(faults.killed).reduce((a, b) => a + b, 0)} SIGKILLs (${killed}), ${faults.postgresStops} immediate Postgres stops |`,
    `| slowest recovery of a killed service | ${(faults.slowestRecoveryMs / 1000).toFixed(1)} s |`,
    `| load | ${settings.concurrency} clients, ${outcome.acknowledged.length} operations acknowledged (${outcome.byKind}), ${outcome.refused} refused as the rules say, ${outcome.abandoned} given up |`,
    `| retries after a fault | ${outcome.retries} (same idempotency key) |`,
    `| every acknowledged operation in the ledger exactly once | ${mark(checks.acknowledgedInLedgerOnce)} |`,
    `| ledger audit clean | ${mark(checks.auditClean)} |`,
    `| settlement's intake matches the member feed | ${mark(checks.intakeMatchesFeed)} |`,
    `| run | ${seconds.toFixed(0)} s, seed ${settings.seed} |`,
    '',
    ...checks.details.map((line) => `- ${line}`),
  ].join('\n');
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const root = resolve('.data', `faults-${process.pid}`);
  mkdirSync(root, { recursive: true });
  const dataDir = join(root, 'postgres');
  let postgres = await startEmbeddedPostgres({ dataDir });
  const port = postgres.port;
  const keysDir = join(root, 'keys');
  const key = ensureSigningKey(keysDir);
  const restarts = new Restarts();
  const network = await startNetwork({
    databaseUrl: (name) => postgres.url(databaseNames[name]),
    keysDir,
    ports: 'ephemeral',
    output: 'ignore',
    env: {
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      SETTLEMENT_CYCLE_PERIOD: 'MANUAL',
      // The load sends far more per partner than a production client may.
      ...generousRateLimits,
    },
    restartOnExit: { onRestarted: (service) => restarts.heard(service.name) },
  });
  try {
    const random = new Random(settings.seed);
    const client = new GraphQLClient(network.gateway.url, '/graphql', settings.concurrency + 4);
    const operator = signToken(key, { role: 'operator', sub: 'operator:faults' }, 4 * 3600);
    const partners = await onboardPartners(client, key, operator, 3);
    const memberIds = await enrolMembers(client, operator, 40);
    const head = await partnerFeedHead(network.services['partner-merchant'].url, key);
    await waitForPartnerFeed(client, operator, head, 60_000);
    const load = runLoad({
      client,
      random,
      partners,
      memberIds,
      concurrency: settings.concurrency,
    });
    const faults = await injectFaults(
      network,
      {
        stop: () => postgres.stopImmediately(),
        start: async () => {
          postgres = await startEmbeddedPostgres({ dataDir, port });
        },
      },
      restarts,
      random,
    );
    const outcome = await load.stop();
    await client.close();
    const checks = await check(postgres, outcome);
    process.stdout.write(`${report(faults, outcome, checks, (Date.now() - startedAt) / 1000)}\n`);
    process.exitCode =
      checks.acknowledgedInLedgerOnce && checks.auditClean && checks.intakeMatchesFeed ? 0 : 1;
  } finally {
    await network.stop();
    await postgres.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
