import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { Statement } from '../db/write-batch';
import { assert } from '../errors';
import { limits } from '../limits';
import { FEED_START, formatPosition, parsePosition } from './position';

/** A fact as a producer records it, in the same transaction as the change it describes. */
export interface NewFact {
  type: string;
  /** The aggregate the fact is about (a member id, a partner id): consumers may order by it. */
  key: string;
  payload: Record<string, unknown>;
}

/** A fact as a consumer receives it. */
export interface Fact extends NewFact {
  position: string;
  recordedAt: string;
}

export interface FeedPage {
  facts: Fact[];
  /** The position to ask after next time: the last fact's, or the request's when nothing was new. */
  next: string;
  /**
   * Facts readable beyond this page when it was read: 0 when the page was not full, else counted up
   * to limits.feedRemainingCountMax (a lower bound beyond it). Consumers report it as their lag.
   */
  remaining?: number;
}

/** DDL for the producer side; each subgraph's migration calls it so the feed schema lives in one place. */
export async function createOutboxTable(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`
    CREATE TABLE outbox (
      seq bigserial PRIMARY KEY,
      tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      type text NOT NULL,
      key text NOT NULL,
      payload jsonb NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`);
  await queryRunner.query('CREATE UNIQUE INDEX outbox_position ON outbox (tx_id, seq)');
}

/** DDL for the consumer side: one cursor row per consumed feed. */
export async function createCursorTable(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`
    CREATE TABLE feed_cursor (
      consumer text PRIMARY KEY,
      position text NOT NULL,
      facts_applied bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
}

export async function dropFeedTables(
  queryRunner: QueryRunner,
  which: 'outbox' | 'feed_cursor',
): Promise<void> {
  await queryRunner.query(`DROP TABLE IF EXISTS ${which}`);
}

/** Appends facts inside the caller's transaction: they become visible exactly when it commits. */
export async function appendFacts(
  manager: EntityManager,
  facts: readonly NewFact[],
): Promise<void> {
  if (facts.length === 0) return;
  assert(manager.queryRunner?.isTransactionActive, 'appendFacts must run inside a transaction');
  const { text, values } = factsStatement(facts);
  await manager.query(text, values);
}

/** The write that appends facts, for a caller that sends it with its other writes in one batch (runBatch). */
export function factsStatement(facts: readonly NewFact[]): Statement {
  assert(facts.length > 0, 'a facts statement appends at least one fact');
  const values: unknown[] = [];
  const rows = facts.map((fact, i) => {
    values.push(fact.type, fact.key, JSON.stringify(fact.payload));
    return `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3}::jsonb)`;
  });
  return { text: `INSERT INTO outbox (type, key, payload) VALUES ${rows.join(', ')}`, values };
}

interface OutboxRow {
  seq: string;
  tx_id: string;
  type: string;
  key: string;
  payload: Record<string, unknown>;
  recorded_at: Date;
}

/**
 * Reads the facts after `after`, in feed order, but only those of transactions older than the
 * oldest one still running: a transaction that began earlier and commits later can then never
 * slip in behind a reader's cursor.
 */
export async function readFacts(
  dataSource: DataSource,
  after: string = FEED_START,
  limit: number = limits.feedPageSizeMax,
): Promise<FeedPage> {
  const position = parsePosition(after);
  if (!position) throw new RangeError(`malformed feed position "${after}"`);
  const pageSize = Math.max(1, Math.min(limit, limits.feedPageSizeMax));
  // ORDER BY resolves a bare name to an output column first: a bare tx_id would sort by the text
  // alias ('1000' before '999') and a page could jump over facts when ids gain a digit. Qualified,
  // it sorts by the xid8 column, matching the WHERE and the (tx_id, seq) index.
  const rows: OutboxRow[] = await dataSource.query(
    `SELECT seq, tx_id::text AS tx_id, type, key, payload, recorded_at
       FROM outbox
      WHERE (tx_id, seq) > ($1::text::xid8, $2::bigint)
        AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY outbox.tx_id, outbox.seq
      LIMIT $3`,
    [position.txId.toString(), position.seq.toString(), pageSize],
  );
  const facts = rows.map((row) => ({
    position: formatPosition({ txId: BigInt(row.tx_id), seq: BigInt(row.seq) }),
    type: row.type,
    key: row.key,
    payload: row.payload,
    recordedAt: row.recorded_at.toISOString(),
  }));
  const next = facts.at(-1)?.position ?? after;
  const remaining = facts.length < pageSize ? 0 : await countRemaining(dataSource, next);
  return { facts, next, remaining };
}

/** How many readable facts follow `after`, counted no further than the cap (cheap on the index). */
async function countRemaining(dataSource: DataSource, after: string): Promise<number> {
  const position = parsePosition(after);
  assert(position, 'a page ends at a well-formed position');
  const rows: { remaining: number }[] = await dataSource.query(
    `SELECT count(*)::int AS remaining FROM (
       SELECT 1 FROM outbox
        WHERE (tx_id, seq) > ($1::text::xid8, $2::bigint)
          AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
        LIMIT $3) AS beyond`,
    [position.txId.toString(), position.seq.toString(), limits.feedRemainingCountMax],
  );
  return rows[0]?.remaining ?? 0;
}
