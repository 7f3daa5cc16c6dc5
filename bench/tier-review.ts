/**
 * npm run bench:tier-review: the period-end tier review over many members (issue 12: 1,000,000
 * members in ≤ 60 s, memory flat). Starts its own embedded Postgres (data under
 * .data/bench-tier-review-<pid>), migrates a fresh member database with the member service's own
 * migrations, writes set-based a ladder (qualifying points, calendar year, no grace) and N members
 * whose tier's year has just ended — a third each SILVER, GOLD, PLATINUM — with two month rows each
 * of last year's points at two partners (so some requalify and the rest go down one tier), freezes
 * ledger time a second after the year end, and times the real TierReviewService.run in this process
 * while sampling memory. Checks that every member was reviewed once and every downgrade has its
 * history row and fact, and writes a section of BENCHMARKS.md. Not a test: nothing asserts on time.
 *
 * Settings (environment): BENCH_TIER_REVIEW_MEMBERS (1000000), BENCH_OUTPUT (BENCHMARKS.md),
 * BENCH_KEEP=1 (keep the data directory).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { openDatabase } from '../shared/src/db/data-source';
import { createLogger } from '../shared/src/logger';
import { startEmbeddedPostgres, type PostgresServer } from '../shared/src/runtime/postgres';
import { TierReviewService } from '../subgraphs/member/src/modules/tiers/tier-review.service';
import { entities, migrations } from '../subgraphs/member/src/server';
import { sampleMemory } from './memory';
import { ownSignals, positiveIntFromEnv } from './process';
import { renderTierReviewSection, spliceTierReviewSection } from './tiers-report';

const config = {
  members: positiveIntFromEnv('BENCH_TIER_REVIEW_MEMBERS', 1_000_000),
  output: resolve(process.env.BENCH_OUTPUT ?? 'BENCHMARKS.md'),
  keep: process.env.BENCH_KEEP === '1',
};
const root = resolve('.data', `bench-tier-review-${process.pid}`);
const log = (message: string) =>
  process.stdout.write(
    `[bench:tier-review ${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );
let postgres: PostgresServer | undefined;

const YEAR_END = '2027-01-01T00:00:00Z';

/** The data, set-based: members, their tiers due for review, last year's month rows, the ladder, the clock. */
const SETUP = [
  // A version-4 UUID from a number (the catalogue's facts take only RFC 4122 ids).
  `CREATE FUNCTION bench_uuid(i integer) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
     SELECT (substr(h, 1, 12) || '4' || substr(h, 14, 3) || '8' || substr(h, 18))::uuid FROM md5('m' || i) h $$`,
  `INSERT INTO tier_ladder (version, effective_from, metric, period, time_zone, currency, grace_days, tiers, created_at, created_by)
   VALUES (1, '2026-01-01T00:00:00Z', 'QUALIFYING_POINTS', 'CALENDAR_YEAR', 'UTC', 'EUR', 0,
           '[{"code":"SILVER","name":"Silver","threshold":"500"},{"code":"GOLD","name":"Gold","threshold":"1500"},{"code":"PLATINUM","name":"Platinum","threshold":"2500"}]',
           '2026-01-01T00:00:00Z', 'bench')`,
  `INSERT INTO member (id, card_number, name, email, enrolled_at, tier)
   SELECT bench_uuid(i), lpad(i::text, 16, '0'), 'Bench ' || i, 'bench.' || i || '@example.com',
          '2026-01-01T00:00:00Z', (ARRAY['SILVER', 'GOLD', 'PLATINUM'])[1 + i % 3]
     FROM generate_series(1, $1::integer) i`,
  `INSERT INTO tier_status (member_id, tier, period_end, updated_at)
   SELECT id, tier, '${YEAR_END}', '2026-01-01T00:00:00Z' FROM member`,
  `INSERT INTO tier_activity (member_id, month, partner_id, points, spend, purchases)
   SELECT bench_uuid(i), m.month, m.partner, (i::bigint * 7919 + m.salt) % 1500, 0, 1
     FROM generate_series(1, $1::integer) i
    CROSS JOIN (VALUES ('2026-03-01'::date, '00000000-0000-4000-8000-00000000000a'::uuid, 0),
                       ('2026-09-01'::date, '00000000-0000-4000-8000-00000000000b'::uuid, 611)) m(month, partner, salt)`,
  `INSERT INTO ledger_clock (singleton, frozen_at) VALUES (true, '2027-01-01T00:00:01Z')`,
  'ANALYZE',
];

async function main() {
  rmSync(root, { recursive: true, force: true });
  postgres = await startEmbeddedPostgres({ dataDir: join(root, 'postgres') });
  ownSignals(log, cleanup);
  const url = postgres.url('bench_tier_review');
  const dataSource = await openDatabase({
    url,
    entities,
    migrations,
    applicationName: 'bench-tier-review',
    poolSize: 2,
  });
  try {
    log(`writing ${config.members.toLocaleString('en')} members due for review…`);
    const writeStart = performance.now();
    for (const sql of SETUP)
      await dataSource.query(sql, sql.includes('$1') ? [config.members] : []);
    const writeS = (performance.now() - writeStart) / 1000;
    log(`written in ${writeS.toFixed(1)} s; reviewing…`);
    const postmaster = Number(
      readFileSync(join(root, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    const memory = sampleMemory(postmaster, 250, join(root, 'postgres', 'base', 'pgsql_tmp'));
    const started = performance.now();
    const report = await new TierReviewService(dataSource, createLogger('bench', 'warn'))
      .run()
      .finally(() => memory.stop());
    const reviewS = (performance.now() - started) / 1000;
    const peaks = memory.stop();
    const checks = await check(dataSource, report.downgraded);
    log(
      `reviewed ${report.reviewed}, downgraded ${report.downgraded} in ${reviewS.toFixed(1)} s; checks: ${checks.join('; ')}`,
    );
    return {
      startedAt: new Date(),
      members: config.members,
      writeS,
      reviewS,
      report,
      peaks,
      checks,
      machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB, ${process.platform} ${release()}, Node ${process.version}`,
    };
  } finally {
    await dataSource.destroy();
  }
}

/** What must hold after the round: everyone reviewed once, each downgrade with its history and fact. */
async function check(
  dataSource: { query: (sql: string) => Promise<{ n: string }[]> },
  downgraded: number,
): Promise<string[]> {
  const count = async (sql: string) => Number((await dataSource.query(sql))[0]?.n ?? -1);
  const due = await count(
    `SELECT count(*) AS n FROM tier_status WHERE tier IS NOT NULL AND period_end <= ledger_now()`,
  );
  const history = await count(`SELECT count(*) AS n FROM tier_history WHERE reason = 'DOWNGRADE'`);
  const facts = await count(
    `SELECT count(*) AS n FROM outbox WHERE type = 'member.tier-changed' AND payload ->> 'reason' = 'DOWNGRADE'`,
  );
  const mismatched = await count(
    `SELECT count(*) AS n FROM member m JOIN tier_status s ON s.member_id = m.id WHERE m.tier IS DISTINCT FROM s.tier`,
  );
  return [
    `${due} still due (0 expected)`,
    `${history} downgrade history rows and ${facts} facts (${downgraded} expected)`,
    `${mismatched} members whose tier held differs from the earned one (0 expected)`,
  ];
}

async function cleanup(): Promise<void> {
  await postgres?.stop().catch(() => undefined);
  postgres = undefined;
  if (!config.keep) rmSync(root, { recursive: true, force: true });
}

try {
  const run = await main();
  const previous = existsSync(config.output) ? readFileSync(config.output, 'utf8') : '';
  writeFileSync(config.output, spliceTierReviewSection(previous, renderTierReviewSection(run)));
  log(`wrote ${config.output}`);
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
  process.exit();
}
