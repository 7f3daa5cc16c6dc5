import { fileURLToPath } from 'node:url';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource } from '../shared/src/db/data-source';
import { comparePositions, FEED_START } from '../shared/src/feed/position';
import { spawnService, type ServiceProcess } from '../shared/src/runtime/service-process';
import { freshDatabaseUrl, keysDir } from './support/databases';
import {
  beginOutboxTransaction,
  openProducerDatabase,
  serveFeed,
  type FeedServer,
} from './support/feed-producer';
import { seededRandom, sleep, type Random } from './support/random';

/**
 * docs/architecture.md, Event feeds: a consumer stores its cursor in its own database in the same
 * transaction as the effect, so every fact takes effect exactly once, after any crash, in any order
 * of restarts.
 * The consumer runs in its own process over real HTTP and is SIGKILLed at random moments, sometimes
 * while its replacement already runs (two instances race for the cursor), sometimes before it is up.
 */

const CONSUMER_ENTRY = fileURLToPath(
  new URL('./support/feed-consumer-process.ts', import.meta.url),
);
const CONSUMER_NAME = 'points-to-settlement';
const KILLS = 10;
/**
 * How each kill lands. The replacement always boots while the victim keeps consuming; it is either
 * killed before the replacement is up, or after both have raced for the cursor for a while. Aimed
 * kills wait until the victim holds the cursor lock, i.e. is in the middle of applying a page.
 */
const KILL_PLAN = ['at a random moment', 'mid-page', 'racing the replacement, mid-page'] as const;
const KILL_AFTER_MS = { min: 50, max: 1_000 };
const RACE_MS = { min: 100, max: 700 };
const PRODUCER_WRITERS = 3;
const PRODUCER_TRANSACTIONS_PER_WRITER_MAX = 2_000;
const KEYS = 6;
const CATCH_UP_WITHIN_MS = 30_000;
const MID_PAGE_WAIT_MS = 2_000;
/** Each consumer boot costs ~2.5 CPU-seconds (tsx, TypeORM, express): about 25 s on an idle two-core machine, far more on a busy one. */
const TEST_TIMEOUT_MS = 120_000;

/** committed fact id -> its key, recorded once the producing transaction has committed. */
type Ledger = Map<string, string>;

describe('a feed consumer killed and restarted over and over', () => {
  let producer: DataSource;
  let feed: FeedServer;
  let consumerDatabaseUrl: string;
  let consumerDb: DataSource | undefined;
  /** Every consumer ever started, booting or up, so that a failing test leaves none behind. */
  const started: Promise<ServiceProcess>[] = [];
  const consumerLog: string[] = [];

  beforeAll(async () => {
    producer = await openProducerDatabase('feed_restart_producer', PRODUCER_WRITERS + 2);
    feed = await serveFeed(producer);
    consumerDatabaseUrl = freshDatabaseUrl('feed_restart_consumer');
  });

  afterAll(async () => {
    const consumers = await Promise.allSettled(started);
    await Promise.all(
      consumers.map((result) =>
        result.status === 'fulfilled' ? result.value.stop('SIGKILL') : undefined,
      ),
    );
    await consumerDb?.destroy();
    await feed?.close();
    await producer?.destroy();
  });

  function startConsumer(): Promise<ServiceProcess> {
    const consumer = spawnService({
      name: 'feed-consumer',
      entry: CONSUMER_ENTRY,
      env: {
        DATABASE_URL: consumerDatabaseUrl,
        FEED_URL: feed.url,
        JWT_KEYS_DIR: keysDir(),
        FEED_CONSUMER_NAME: CONSUMER_NAME,
        FEED_BATCH_SIZE: '50',
        FEED_POLL_INTERVAL_MS: '50',
        APPLY_DELAY_MS: '1',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      output: (line) => consumerLog.push(line),
      readyTimeoutMs: 20_000,
    });
    consumer.catch(() => undefined); // awaited by the test; this only keeps a boot failure from going unhandled meanwhile
    started.push(consumer);
    return consumer;
  }

  it(
    'applies every committed fact exactly once, in feed order, through ten SIGKILLs',
    async () => {
      const random = seededRandom('feed consumer restarts');
      const startedAtMs = Date.now();
      const ledger: Ledger = new Map();
      let producing = true;
      const production = Promise.all(
        Array.from({ length: PRODUCER_WRITERS }, (_, writer) =>
          produce(producer, random, writer, ledger, () => producing),
        ),
      );

      let current = await startConsumer();
      consumerDb = await createDataSource({
        url: consumerDatabaseUrl,
        entities: [],
        migrations: [],
        poolSize: 2,
      }).initialize();
      for (let kill = 0; kill < KILLS; kill++) {
        // The replacement boots while the victim keeps consuming and starts as soon as it is up.
        const replacement = startConsumer();
        const how = KILL_PLAN[kill % KILL_PLAN.length];
        if (how === 'racing the replacement, mid-page') {
          await replacement;
          await sleep(random.int(RACE_MS.min, RACE_MS.max));
        } else {
          await sleep(random.int(KILL_AFTER_MS.min, KILL_AFTER_MS.max));
        }
        if (how !== 'at a random moment') await waitUntilApplying(consumerDb, current);
        await current.stop('SIGKILL');
        current = await replacement;
      }
      producing = false;
      await production;
      const producedAtMs = Date.now();

      await waitForCursor(consumerDb, await lastFeedPosition(producer));
      await current.stop('SIGTERM');
      console.log(
        `restarts: ${ledger.size} facts committed over ${producedAtMs - startedAtMs} ms and ${KILLS} kills; caught up ${Date.now() - producedAtMs} ms later`,
      );
      for (const line of consumerLog) console.warn(`consumer: ${line}`);

      await expectEachFactAppliedOnceInFeedOrder(producer, consumerDb, ledger);
      expect(feed.statuses.length).toBeGreaterThan(KILLS);
      expect(feed.statuses.filter((status) => status !== 200)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});

/** One producer writer: transactions of 1–3 facts, some taking their id early, some committing late, some rolled back. */
async function produce(
  dataSource: DataSource,
  random: Random,
  writer: number,
  ledger: Ledger,
  keepGoing: () => boolean,
): Promise<void> {
  for (let t = 0; keepGoing() && t < PRODUCER_TRANSACTIONS_PER_WRITER_MAX; t++) {
    const tx = await beginOutboxTransaction(dataSource);
    const facts = Array.from({ length: random.int(1, 3) }, (_, f) => ({
      id: `w${writer}-t${t}-f${f}`,
      key: `member-${random.int(0, KEYS - 1)}`,
    }));
    try {
      if (random.chance(0.25)) await tx.xid();
      for (const fact of facts) await tx.append([fact.id], fact.key);
      await sleep(random.chance(0.1) ? random.int(150, 400) : random.int(0, 30));
    } catch (error) {
      await tx.rollback();
      throw error;
    }
    if (random.chance(0.1)) {
      await tx.rollback();
      continue;
    }
    await tx.commit();
    for (const fact of facts) ledger.set(fact.id, fact.key);
    await sleep(random.int(0, 80));
  }
}

/** Waits (briefly) until the consumer holds its cursor lock, i.e. is applying a page; its backend then has an xid. */
async function waitUntilApplying(consumerDb: DataSource, consumer: ServiceProcess): Promise<void> {
  const deadline = Date.now() + MID_PAGE_WAIT_MS;
  while (Date.now() < deadline) {
    const rows: unknown[] = await consumerDb.query(
      'SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND backend_xid IS NOT NULL',
      [`feed-consumer-${consumer.child.pid}`],
    );
    if (rows.length > 0) return;
    await sleep(5);
  }
}

async function lastFeedPosition(producer: DataSource): Promise<string> {
  const rows: { position: string }[] = await producer.query(
    `SELECT tx_id::text || '.' || seq AS position FROM outbox ORDER BY outbox.tx_id DESC, outbox.seq DESC LIMIT 1`,
  );
  const position = rows[0]?.position;
  if (position === undefined) throw new Error('the producer committed no fact at all');
  return position;
}

async function waitForCursor(consumerDb: DataSource, position: string): Promise<void> {
  const deadline = Date.now() + CATCH_UP_WITHIN_MS;
  for (;;) {
    const rows: { position: string }[] = await consumerDb.query(
      'SELECT position FROM feed_cursor WHERE consumer = $1',
      [CONSUMER_NAME],
    );
    if (rows[0]?.position === position) return;
    if (Date.now() > deadline)
      throw new Error(
        `consumer cursor at ${rows[0]?.position} did not reach ${position} within ${CATCH_UP_WITHIN_MS} ms`,
      );
    await sleep(50);
  }
}

interface FeedRow {
  position: string;
  key: string;
  id: string;
}

async function expectEachFactAppliedOnceInFeedOrder(
  producer: DataSource,
  consumerDb: DataSource,
  ledger: Ledger,
): Promise<void> {
  const feedOrder: FeedRow[] = await producer.query(
    `SELECT tx_id::text || '.' || seq AS position, key, payload->>'id' AS id FROM outbox ORDER BY outbox.tx_id, outbox.seq`,
  );
  const applied: (FeedRow & { pid: number })[] = await consumerDb.query(
    'SELECT fact_position AS position, key, fact_id AS id, consumer_pid AS pid FROM applied ORDER BY applied_id',
  );
  const appliedTwice: { id: string; times: string }[] = await consumerDb.query(
    'SELECT fact_id AS id, count(*)::text AS times FROM applied GROUP BY fact_id HAVING count(*) > 1 ORDER BY fact_id',
  );

  // The outbox holds exactly the committed facts: rolled-back ones never appear.
  expect(feedOrder).toHaveLength(ledger.size);
  expect(new Set(feedOrder.map((row) => row.id))).toEqual(new Set(ledger.keys()));
  expect(appliedTwice).toEqual([]);
  const appliedIds = new Set(applied.map((row) => row.id));
  expect([...ledger.keys()].filter((id) => !appliedIds.has(id))).toEqual([]);
  expect(applied.length).toBe(ledger.size);
  expect(applied.map((row) => row.position)).toEqual(feedOrder.map((row) => row.position));

  for (let key = 0; key < KEYS; key++) {
    const name = `member-${key}`;
    const appliedForKey = applied.filter((row) => row.key === name).map((row) => row.position);
    expect(appliedForKey, `facts about ${name}, each once`).toEqual(
      feedOrder.filter((row) => row.key === name).map((row) => row.position),
    );
    const ascending = appliedForKey.every(
      (position, i) =>
        i === 0 || comparePositions(appliedForKey[i - 1] ?? FEED_START, position) < 0,
    );
    expect(ascending, `facts about ${name} applied in feed order`).toBe(true);
  }

  const counters: { key: string; count: string }[] = await consumerDb.query(
    'SELECT key, applied_count::text AS count FROM key_counter ORDER BY key',
  );
  const expectedCounts = new Map<string, number>();
  for (const key of ledger.values()) expectedCounts.set(key, (expectedCounts.get(key) ?? 0) + 1);
  expect(new Map(counters.map((row) => [row.key, Number(row.count)]))).toEqual(expectedCounts);

  // Many incarnations of the consumer did the work, not one lucky survivor.
  expect(new Set(applied.map((row) => row.pid)).size).toBeGreaterThanOrEqual(3);
  // Sequence values are never handed back, so gaps in applied_id are applications a kill undid
  // (a consumer that loses the race for the cursor drops its page before applying anything).
  const ids: { max: string | null; count: string }[] = await consumerDb.query(
    'SELECT max(applied_id)::text AS max, count(*)::text AS count FROM applied',
  );
  const undone = Number(ids[0]?.max ?? 0) - Number(ids[0]?.count ?? 0);
  console.log(`restarts: ${undone} applications were undone by kills mid-page and redone`);
  expect(undone).toBeGreaterThan(0);
}
