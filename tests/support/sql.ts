import pg from 'pg';

/**
 * Access to one service's database, for suites that check what a service wrote (its ledger, its
 * outbox, a consumer's intake) beside what its API answers. node-pg returns int8 and numeric as
 * strings: rows come back exactly as Postgres sent them, callers compare strings.
 */
export interface Database {
  rows<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs `during` while a transaction of our own holds what `lock` took: how a suite makes the
   * service's transactions queue behind a slow one. Commits afterwards, whatever `during` did.
   */
  whileHolding<T>(
    lock: { sql: string; params?: unknown[] }[],
    during: () => Promise<T>,
  ): Promise<T>;
  close(): Promise<void>;
}

export function openDatabase(url: string): Database {
  const pool = new pg.Pool({ connectionString: url, max: 3, application_name: 'tests' });
  // An idle connection dropped by a Postgres restart must not crash the test worker.
  pool.on('error', () => undefined);
  return {
    rows: async <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
      (await pool.query<T>(sql, params)).rows,
    whileHolding: async <T>(
      lock: { sql: string; params?: unknown[] }[],
      during: () => Promise<T>,
    ) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        for (const statement of lock) await client.query(statement.sql, statement.params ?? []);
        try {
          return await during();
        } finally {
          await client.query('COMMIT');
        }
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
