/**
 * A feed consumer in its own process, for tests that kill it (SIGKILL) and restart it at random moments.
 * It runs the real FeedConsumer over the producer's HTTP feed into its own database, and its apply()
 * is deliberately NOT idempotent: it appends a row per application (no unique constraint) and
 * increments a per-key counter, so a fact applied twice leaves visible traces.
 *
 * Configured through the environment: DATABASE_URL, FEED_URL, JWT_KEYS_DIR, FEED_CONSUMER_NAME,
 * FEED_BATCH_SIZE, FEED_POLL_INTERVAL_MS, APPLY_DELAY_MS (a pause per fact inside the transaction,
 * so a kill often lands mid-page). Its database sessions are named feed-consumer-<pid>, so a test can
 * watch pg_stat_activity for the moment it is applying a page.
 */
import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { z } from 'zod';
import { loadSigningKey } from '../../shared/src/auth/keys';
import { serviceTokenProvider } from '../../shared/src/auth/service-token';
import { loadConfig, serviceSettings, settings } from '../../shared/src/config';
import { openDatabase } from '../../shared/src/db/data-source';
import { FeedConsumer, oneByOne } from '../../shared/src/feed/consumer';
import { httpFeedSource } from '../../shared/src/feed/http';
import { createCursorTable, dropFeedTables, type Fact } from '../../shared/src/feed/outbox';
import { createServiceApp, listen } from '../../shared/src/http/service-app';
import { limits } from '../../shared/src/limits';
import { createLogger } from '../../shared/src/logger';
import { announceReady } from '../../shared/src/runtime/service-process';

const SERVICE = 'feed-consumer';

class CreateConsumerTables1714000000001 implements MigrationInterface {
  name = 'CreateConsumerTables1714000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createCursorTable(queryRunner);
    // No unique constraint on purpose: a second application of a fact must show as a second row.
    await queryRunner.query(`
      CREATE TABLE applied (
        applied_id bigserial PRIMARY KEY,
        fact_position text NOT NULL,
        key text NOT NULL,
        fact_id text NOT NULL,
        consumer_pid integer NOT NULL
      )`);
    await queryRunner.query(
      'CREATE TABLE key_counter (key text PRIMARY KEY, applied_count bigint NOT NULL)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE key_counter');
    await queryRunner.query('DROP TABLE applied');
    await dropFeedTables(queryRunner, 'feed_cursor');
  }
}

const configShape = {
  ...serviceSettings,
  DATABASE_URL: settings.postgresUrl,
  FEED_URL: settings.httpUrl,
  FEED_CONSUMER_NAME: z.string().min(1),
  FEED_BATCH_SIZE: z.coerce.number().int().min(1).max(limits.feedPageSizeMax),
  FEED_POLL_INTERVAL_MS: settings.positiveMs,
  APPLY_DELAY_MS: z.coerce.number().int().min(0).max(1_000).default(0),
};

const factPayload = z.object({ id: z.string().min(1) });

function applyFact(applyDelayMs: number): (manager: EntityManager, fact: Fact) => Promise<void> {
  return async (manager, fact) => {
    const { id } = factPayload.parse(fact.payload);
    await manager.query(
      'INSERT INTO applied (fact_position, key, fact_id, consumer_pid) VALUES ($1, $2, $3, $4)',
      [fact.position, fact.key, id, process.pid],
    );
    await manager.query(
      `INSERT INTO key_counter (key, applied_count) VALUES ($1, 1)
       ON CONFLICT (key) DO UPDATE SET applied_count = key_counter.applied_count + 1`,
      [fact.key],
    );
    if (applyDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, applyDelayMs));
  };
}

async function main(): Promise<void> {
  const config = loadConfig(SERVICE, configShape);
  const logger = createLogger(SERVICE, config.LOG_LEVEL);
  const dataSource = await openDatabase({
    url: config.DATABASE_URL,
    entities: [],
    migrations: [CreateConsumerTables1714000000001],
    logger,
    applicationName: `${SERVICE}-${process.pid}`,
  });
  const consumer = new FeedConsumer({
    name: config.FEED_CONSUMER_NAME,
    source: httpFeedSource(
      config.FEED_URL,
      serviceTokenProvider(loadSigningKey(config.JWT_KEYS_DIR), SERVICE),
    ),
    dataSource,
    apply: oneByOne(applyFact(config.APPLY_DELAY_MS)),
    logger,
    pollIntervalMs: config.FEED_POLL_INTERVAL_MS,
    batchSize: config.FEED_BATCH_SIZE,
  });
  const app = createServiceApp(logger, async () => consumer.healthy);
  const listening = await listen(app, config.HOST, 0);
  consumer.start();
  process.once('SIGTERM', () => {
    void (async () => {
      await consumer.stop();
      await listening.close();
      await dataSource.destroy();
      process.exit(0);
    })();
  });
  announceReady(SERVICE, listening.port);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
