/**
 * The catalogue of feed facts as the services use it: every consumer of a feed names every fact it
 * carries, and a consumer that meets a fact it cannot read stops there, with real Postgres and the
 * feed over real HTTP, rather than skipping it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadSigningKey } from '../shared/src/auth/keys';
import { serviceTokenProvider } from '../shared/src/auth/service-token';
import { openDatabase, type DatabaseOptions } from '../shared/src/db/data-source';
import { inTransaction } from '../shared/src/db/transaction';
import type { FeedConsumer } from '../shared/src/feed/consumer';
import {
  defineFact,
  defineFeed,
  MalformedFactError,
  UnknownFactError,
  type FeedCatalogue,
} from '../shared/src/feed/facts/catalogue';
import { memberFacts } from '../shared/src/feed/facts/facts.fixtures';
import { factIntake, undeclaredTypes } from '../shared/src/feed/facts/intake';
import { memberEnrolled, memberFeed, pointsEarned } from '../shared/src/feed/facts/member-feed';
import { partnerFeed } from '../shared/src/feed/facts/partner-feed';
import { httpFeedConsumer } from '../shared/src/feed/http';
import {
  appendFacts,
  createCursorTable,
  readFacts,
  type FeedPage,
  type NewFact,
} from '../shared/src/feed/outbox';
import { FEED_START } from '../shared/src/feed/position';
import { createLogger } from '../shared/src/logger';
import { partnerFeedIntake as walletPartnerIntake } from '../subgraphs/member/src/modules/partner-replica/partner-feed';
import { partnerFeedIntake as settlementPartnerIntake } from '../subgraphs/settlement/src/modules/contracts/partner-feed';
import { memberFeedIntake } from '../subgraphs/settlement/src/modules/member-facts/member-fact-intake';
import { recordMemberFacts } from '../subgraphs/settlement/src/modules/member-facts/member-feed';
import { migrations as settlementMigrations } from '../subgraphs/settlement/src/server';
import { freshDatabaseUrl, keysDir } from './support/databases';
import { openProducerDatabase, serveFeed, type FeedServer } from './support/feed-producer';

/** Every consumer of a feed in the services; the first test proves the list is whole. */
const consumers = [walletPartnerIntake, settlementPartnerIntake, memberFeedIntake];
const catalogues: Record<string, FeedCatalogue> = { member: memberFeed, partner: partnerFeed };

/** The consumers declared in the services' sources, by the name each gives itself. */
function declaredConsumers(): string[] {
  const root = join(import.meta.dirname, '..', 'subgraphs');
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.includes('node_modules'),
  );
  return files.flatMap((file) =>
    [...readFileSync(join(root, file), 'utf8').matchAll(/factIntake\(\s*\w+,\s*'([^']+)'/g)].map(
      (match) => match[1] ?? '',
    ),
  );
}

describe('every consumer of a feed', () => {
  it('handles or ignores, by name, every fact the feed carries', () => {
    expect(consumers.map((c) => c.consumer).sort()).toEqual(declaredConsumers().sort());
    for (const intake of consumers) {
      const catalogue = catalogues[intake.feed];
      expect(catalogue, `${intake.consumer} reads a feed of the catalogue`).toBeDefined();
      if (catalogue)
        expect(undeclaredTypes(catalogue, intake.declaration), intake.consumer).toEqual([]);
    }
  });
});

const VISIBLE_WITHIN_MS = 10_000;
const logger = createLogger('feed-facts-test', 'silent');
const token = serviceTokenProvider(loadSigningKey(keysDir()), 'settlement');

/** A producer's outbox served over HTTP, and a consumer database; closed after each test. */
interface Rig {
  producer: DataSource;
  feed: FeedServer;
  consumerDb: DataSource;
}
let rig: Rig | undefined;

async function rigUp(label: string, consumerMigrations: DatabaseOptions['migrations']) {
  const producer = await openProducerDatabase(`${label}_producer`);
  const feed = await serveFeed(producer);
  const consumerDb = await openDatabase({
    url: freshDatabaseUrl(`${label}_consumer`),
    entities: [],
    migrations: consumerMigrations,
    applicationName: `${label}-consumer`,
  });
  rig = { producer, feed, consumerDb };
  return rig;
}

afterEach(async () => {
  await rig?.feed.close();
  await rig?.consumerDb.destroy();
  await rig?.producer.destroy();
  rig = undefined;
});

/** Appends each group of facts in a transaction of its own, and waits until the feed shows them all. */
async function produce(producer: DataSource, ...transactions: NewFact[][]): Promise<void> {
  for (const facts of transactions)
    await inTransaction(producer, 'READ COMMITTED', (manager) => appendFacts(manager, facts));
  const count = transactions.flat().length;
  const deadline = Date.now() + VISIBLE_WITHIN_MS;
  let page: FeedPage;
  while ((page = await readFacts(producer)).facts.length < count) {
    if (Date.now() > deadline) throw new Error(`the feed showed ${page.facts.length} of ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const rowCount = async (db: DataSource, table: string): Promise<number> =>
  Number(((await db.query(`SELECT count(*) AS n FROM ${table}`)) as { n: string }[])[0]?.n);

const member = '00000000-0000-4000-8000-0000000000e1';
const enrolled = memberEnrolled.build({ memberId: member, enrolledAt: new Date().toISOString() });

describe("settlement's intake of the member feed", () => {
  const consume = (feedUrl: string, consumerDb: DataSource): FeedConsumer =>
    httpFeedConsumer(
      { dataSource: consumerDb, logger, token },
      { name: 'member-feed', feedUrl, apply: recordMemberFacts },
    );

  it('stops at a fact of a type the catalogue does not know, and takes in nothing of its page', async () => {
    const { producer, feed, consumerDb } = await rigUp('facts_unknown', settlementMigrations);
    const gifted = { type: 'points.gifted', key: member, payload: { memberId: member } };
    await produce(producer, [enrolled], [gifted]);
    const consumer = consume(feed.url, consumerDb);
    await expect(consumer.runOnce()).rejects.toThrow(UnknownFactError);
    await expect(consumer.runOnce()).rejects.toThrow(/"points.gifted"/);
    expect(await consumer.status()).toMatchObject({ position: FEED_START, factsApplied: 0 });
    expect(await rowCount(consumerDb, 'member_fact')).toBe(0);
  });

  it('stops the same way at a points fact its schema refuses, taking in no money for it', async () => {
    const { producer, feed, consumerDb } = await rigUp('facts_malformed', settlementMigrations);
    // A producer that bypassed its builder: points as a JSON number, which JSON cannot hold exactly.
    const spoilt = {
      type: pointsEarned.type,
      key: member,
      payload: { ...memberFacts['points.earned'], points: 61 },
    };
    await produce(producer, [enrolled, spoilt]);
    const consumer = consume(feed.url, consumerDb);
    await expect(consumer.runOnce()).rejects.toThrow(MalformedFactError);
    expect(await consumer.status()).toMatchObject({ position: FEED_START, factsApplied: 0 });
    expect(await rowCount(consumerDb, 'settlement_item')).toBe(0);
  });
});

describe('a consumer meeting a newer producer during a rolling deploy', () => {
  class ConsumerTables1714000000002 implements MigrationInterface {
    name = 'ConsumerTables1714000000002';
    async up(queryRunner: QueryRunner): Promise<void> {
      await createCursorTable(queryRunner);
      await queryRunner.query('CREATE TABLE applied (n serial, type text, points bigint)');
    }
    async down(): Promise<void> {}
  }
  const schema = z.object({ points: z.string().regex(/^\d+$/).transform(BigInt) });
  const given = defineFact({ name: 'points.given', version: 1, key: () => member, schema });
  const gifted = defineFact({ name: 'points.gifted', version: 1, key: () => member, schema });
  const older = factIntake(defineFeed('test', [given]), 'ledger ← test feed', {
    'points.given': 'handles',
  });
  const newer = factIntake(defineFeed('test', [given, gifted]), 'ledger ← test feed', {
    'points.given': 'handles',
    'points.gifted': 'handles',
  });
  const record = (intake: typeof older | typeof newer) =>
    intake.oneByOne(async (manager, fact) => {
      await manager.query('INSERT INTO applied (type, points) VALUES ($1, $2)', [
        fact.type,
        fact.payload.points.toString(),
      ]);
    });

  it('waits at the fact it does not know, and takes in every fact once when it runs the newer catalogue', async () => {
    const { producer, feed, consumerDb } = await rigUp('facts_rolling', [
      ConsumerTables1714000000002,
    ]);
    await produce(
      producer,
      [given.build({ points: '5' })],
      [gifted.build({ points: '3' })],
      [given.build({ points: '2' })],
    );
    const wiring = { dataSource: consumerDb, logger, token };
    const before = httpFeedConsumer(wiring, {
      name: 'test-feed',
      feedUrl: feed.url,
      apply: record(older),
    });
    await expect(before.runOnce()).rejects.toThrow(UnknownFactError);
    expect(await rowCount(consumerDb, 'applied')).toBe(0);

    const after = httpFeedConsumer(wiring, {
      name: 'test-feed',
      feedUrl: feed.url,
      apply: record(newer),
    });
    expect(await after.runOnce()).toBe(3);
    expect(await after.runOnce()).toBe(0);
    expect(await consumerDb.query('SELECT type, points FROM applied ORDER BY n')).toEqual([
      { type: 'points.given', points: '5' },
      { type: 'points.gifted', points: '3' },
      { type: 'points.given', points: '2' },
    ]);
  });
});
