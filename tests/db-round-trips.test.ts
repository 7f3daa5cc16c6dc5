import pg from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource, ensureDatabase } from '../shared/src/db/data-source';
import { inTransaction, isUniqueViolation } from '../shared/src/db/transaction';
import { runBatch } from '../shared/src/db/write-batch';
import { freshDatabaseUrl } from './support/databases';

/**
 * The two helpers that take round trips off the wallet's hot path, against real Postgres: a batch
 * of writes sent as one statement, and transactions at READ COMMITTED without a SET TRANSACTION.
 */
describe('database round trips', () => {
  let url: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    url = freshDatabaseUrl('db_round_trips');
    await ensureDatabase(url);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // A server whose default is stricter: the data source must still give READ COMMITTED when asked.
      await admin.query(
        `ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET default_transaction_isolation = 'serializable'`,
      );
      await admin.query('CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL)');
      await admin.query(
        'CREATE TABLE child (parent_id int NOT NULL REFERENCES parent (id), n int NOT NULL CONSTRAINT child_n_unique UNIQUE)',
      );
      await admin.query('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
      await admin.query('INSERT INTO counter VALUES (1, 0)');
    } finally {
      await admin.end();
    }
    dataSource = createDataSource({ url, entities: [], migrations: [] });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  const isolationIn = (level: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE') =>
    inTransaction(
      dataSource,
      level,
      async (manager) =>
        (
          (await manager.query('SHOW transaction_isolation')) as { transaction_isolation: string }[]
        )[0]!.transaction_isolation,
    );

  it('runs each transaction at the level it asks for, READ COMMITTED included, whatever the server default', async () => {
    expect(await isolationIn('READ COMMITTED')).toBe('read committed');
    expect(await isolationIn('REPEATABLE READ')).toBe('repeatable read');
    expect(await isolationIn('SERIALIZABLE')).toBe('serializable');
  });

  it('writes a parent, its children and an update in one statement, foreign keys checked', async () => {
    await inTransaction(dataSource, 'READ COMMITTED', (manager) =>
      runBatch(manager, [
        { text: 'INSERT INTO parent (id, name) VALUES ($1, $2)', values: [1, 'one'] },
        { text: 'INSERT INTO child (parent_id, n) VALUES ($1, $2), ($1, $3)', values: [1, 10, 11] },
        { text: 'UPDATE counter SET n = n + $2 WHERE id = $1', values: [1, 2] },
      ]),
    );
    expect(await dataSource.query('SELECT parent_id, n FROM child ORDER BY n')).toEqual([
      { parent_id: 1, n: 10 },
      { parent_id: 1, n: 11 },
    ]);
    expect(await dataSource.query('SELECT n FROM counter')).toEqual([{ n: 2 }]);
  });

  it('refuses a child without its parent', async () => {
    const orphan = inTransaction(dataSource, 'READ COMMITTED', (manager) =>
      runBatch(manager, [
        { text: 'INSERT INTO parent (id, name) VALUES ($1, $2)', values: [2, 'two'] },
        { text: 'INSERT INTO child (parent_id, n) VALUES ($1, $2)', values: [99, 20] },
      ]),
    );
    await expect(orphan).rejects.toMatchObject({ driverError: { code: '23503' } });
    expect(await dataSource.query('SELECT id FROM parent WHERE id = 2')).toEqual([]);
  });

  it('names the constraint a part violates, and keeps none of the other parts', async () => {
    let caught: unknown;
    try {
      await inTransaction(dataSource, 'READ COMMITTED', (manager) =>
        runBatch(manager, [
          { text: 'INSERT INTO parent (id, name) VALUES ($1, $2)', values: [3, 'three'] },
          { text: 'UPDATE counter SET n = n + $2 WHERE id = $1', values: [1, 100] },
          { text: 'INSERT INTO child (parent_id, n) VALUES ($1, $2)', values: [1, 10] },
        ]),
      );
    } catch (error) {
      caught = error;
    }
    expect(isUniqueViolation(caught, 'child_n_unique')).toBe(true);
    expect(await dataSource.query('SELECT id FROM parent WHERE id = 3')).toEqual([]);
    expect(await dataSource.query('SELECT n FROM counter')).toEqual([{ n: 2 }]);
  });

  it('runs only inside a transaction', async () => {
    await expect(
      runBatch(dataSource.manager, [
        { text: 'UPDATE counter SET n = n WHERE id = $1', values: [1] },
      ]),
    ).rejects.toThrow(/inside a transaction/);
  });
});
