import pg from 'pg';

/**
 * Finds what a refused call wrote. Calls run one at a time. Before each, `begin` opens a
 * read-only REPEATABLE READ transaction on every database: a snapshot of the data as it was, and
 * the next transaction id Postgres will hand out (ids are cluster-wide and given only to
 * transactions that write). After a refusal, if no id was handed out since, nothing was written
 * anywhere. Otherwise each table holding a row version written since (its `xmin`) is compared,
 * whole, with the snapshot: a table that differs is a partial write. Rewriting a row to what it
 * was (a refused settlement close pins its cut-off, then releases it) is not one, and neither is a
 * row the caller says the API promises to write even on a refusal.
 *
 * Tables the services write in the background (feed consumers' copies and cursors) are skipped:
 * those writes follow earlier calls, not this one.
 */
export interface Written {
  database: string;
  table: string;
  /** Row versions written since the call began. */
  rows: number;
}

interface Watched {
  pool: pg.Pool;
  /** The connection holding the snapshot taken before the call. */
  before: pg.PoolClient | undefined;
  tables: string[] | undefined;
}

export class WriteWatch {
  private readonly databases = new Map<string, Watched>();

  constructor(
    databaseUrls: Record<string, string>,
    private readonly background: Record<string, readonly string[]>,
  ) {
    for (const [name, url] of Object.entries(databaseUrls)) {
      const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'fuzz-watch' });
      pool.on('error', () => undefined);
      this.databases.set(name, { pool, before: undefined, tables: undefined });
    }
  }

  /** Takes the snapshots; returns the next transaction id, which every later write has or exceeds. */
  async begin(): Promise<bigint> {
    let mark: bigint | undefined;
    for (const watched of this.databases.values()) {
      watched.before ??= await watched.pool.connect();
      await watched.before.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await watched.before.query<{ next: string }>(
        'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next',
      );
      const next = BigInt(result.rows[0]!.next);
      if (mark === undefined || next < mark) mark = next;
    }
    return mark!;
  }

  /**
   * Ends the snapshots; what changed since `mark` in the watched tables, if anything did, leaving
   * out rows that `promised` allows: an SQL condition per `database.table`, on the row written
   * (the table's own name qualifies its columns; `$1` is the mark).
   */
  async end(
    mark: bigint,
    check: boolean,
    promised: Record<string, string> = {},
  ): Promise<Written[]> {
    const written: Written[] = [];
    try {
      if (check && (await this.nextId()) !== mark) {
        for (const [database, watched] of this.databases)
          written.push(...(await this.changed(database, watched, mark, promised)));
      }
    } finally {
      for (const watched of this.databases.values()) await watched.before?.query('COMMIT');
    }
    return written;
  }

  private async nextId(): Promise<bigint> {
    const [watched] = this.databases.values();
    const result = await watched!.pool.query<{ next: string }>(
      'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next',
    );
    return BigInt(result.rows[0]!.next);
  }

  private async changed(
    database: string,
    watched: Watched,
    mark: bigint,
    promised: Record<string, string>,
  ): Promise<Written[]> {
    const tables = await this.tablesOf(database, watched);
    if (tables.length === 0) return [];
    const counts = tables
      .map((table) => {
        const allowed = promised[`${database}.${table}`] ?? 'false';
        return `SELECT '${table}' AS table, (count(*) FILTER (WHERE NOT (${allowed})))::int AS rows FROM "${table}" WHERE xmin::text::bigint >= $1`;
      })
      .join(' UNION ALL ');
    const touched = await watched.pool.query<{ table: string; rows: number }>(counts, [
      mark.toString(),
    ]);
    const written: Written[] = [];
    for (const { table, rows } of touched.rows) {
      if (rows === 0) continue;
      const digest = `SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS digest FROM "${table}" t`;
      const [then, now] = await Promise.all([
        watched.before!.query<{ digest: string }>(digest),
        watched.pool.query<{ digest: string }>(digest),
      ]);
      if (then.rows[0]!.digest !== now.rows[0]!.digest) written.push({ database, table, rows });
    }
    return written;
  }

  private async tablesOf(database: string, watched: Watched): Promise<string[]> {
    if (watched.tables) return watched.tables;
    const result = await watched.pool.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    );
    const skipped = new Set(this.background[database] ?? []);
    watched.tables = result.rows.map((row) => row.name).filter((name) => !skipped.has(name));
    return watched.tables;
  }

  async close(): Promise<void> {
    for (const watched of this.databases.values()) {
      watched.before?.release();
      await watched.pool.end();
    }
  }
}
