import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { loadPublicKeys } from '../../shared/src/auth/keys';
import { openDatabase } from '../../shared/src/db/data-source';
import { mountFeed } from '../../shared/src/feed/http';
import { appendFacts, createOutboxTable, dropFeedTables } from '../../shared/src/feed/outbox';
import { createServiceApp, listen, type Listening } from '../../shared/src/http/service-app';
import { createLogger } from '../../shared/src/logger';
import { freshDatabaseUrl, keysDir } from './databases';

/** The producer side of a feed, as a subgraph's migration would create it. */
export class CreateOutbox1714000000000 implements MigrationInterface {
  name = 'CreateOutbox1714000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createOutboxTable(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropFeedTables(queryRunner, 'outbox');
  }
}

/** A new database holding an empty outbox. */
export async function openProducerDatabase(label: string, poolSize?: number): Promise<DataSource> {
  return openDatabase({
    url: freshDatabaseUrl(label),
    entities: [],
    migrations: [CreateOutbox1714000000000],
    ...(poolSize === undefined ? {} : { poolSize }),
    applicationName: label,
  });
}

/** One writer's open transaction on its own connection, appending through the production code. */
export interface OpenTransaction {
  /** The transaction's id; asking assigns one if it has none yet. */
  xid(): Promise<bigint>;
  append(ids: readonly string[], key?: string): Promise<void>;
  /** The outbox sequence number of a fact this transaction appended (only it can see the row before commit). */
  seqOf(id: string): Promise<bigint>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export async function beginOutboxTransaction(dataSource: DataSource): Promise<OpenTransaction> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  await runner.startTransaction('READ COMMITTED');
  const finish = async (end: () => Promise<void>): Promise<void> => {
    try {
      await end();
    } finally {
      await runner.release();
    }
  };
  return {
    async xid() {
      const rows: { xid: string }[] = await runner.query(
        'SELECT pg_current_xact_id()::text AS xid',
      );
      return BigInt(only(rows, 'transaction id').xid);
    },
    append: (ids, key = 'member-1') =>
      appendFacts(
        runner.manager,
        ids.map((id) => ({ type: 'test.fact', key, payload: { id } })),
      ),
    async seqOf(id) {
      const rows: { seq: string }[] = await runner.query(
        `SELECT seq FROM outbox WHERE payload->>'id' = $1`,
        [id],
      );
      return BigInt(only(rows, `outbox row of fact ${id}`).seq);
    },
    commit: () => finish(() => runner.commitTransaction()),
    rollback: () => finish(() => runner.rollbackTransaction()),
  };
}

function only<T>(rows: readonly T[], what: string): T {
  const [row, ...rest] = rows;
  if (row === undefined || rest.length > 0)
    throw new Error(`expected exactly one ${what}, got ${rows.length}`);
  return row;
}

export const FEED_PATH = '/feed/facts';

export interface FeedServer {
  url: string;
  /** Status code of every feed request served, in order. */
  statuses: number[];
  close(): Promise<void>;
}

/** Serves the producer's outbox over real HTTP on an ephemeral port, verifying tokens with the run's keys. */
export async function serveFeed(dataSource: DataSource): Promise<FeedServer> {
  const app = createServiceApp(createLogger('feed-producer', 'silent'), async () => true);
  const statuses: number[] = [];
  app.use(FEED_PATH, (_req, res, next) => {
    res.on('finish', () => statuses.push(res.statusCode));
    next();
  });
  mountFeed(app, FEED_PATH, dataSource, loadPublicKeys(keysDir()));
  const listening: Listening = await listen(app, '127.0.0.1', 0);
  return {
    url: `http://127.0.0.1:${listening.port}${FEED_PATH}`,
    statuses,
    close: () => listening.close(),
  };
}
