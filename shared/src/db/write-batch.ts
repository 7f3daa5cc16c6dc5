import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { assert } from '../errors';
import { preparedQuery } from './sql';

/** One write as its builder describes it: SQL with $1…$n placeholders, and their values. */
export interface Statement {
  text: string;
  values: unknown[];
}

const PLACEHOLDER = /\$(\d+)/g;
const WRITE = /^\s*(INSERT|UPDATE|DELETE)\b/i;

/**
 * Sends several writes in one round trip, as the data-modifying parts of one statement:
 * `WITH w1 AS (INSERT …), w2 AS (UPDATE …) SELECT 1`. Every part runs against the same snapshot
 * and none sees another's rows, so the writes must be independent: no part may change a row
 * another part changes, or read what another writes. Foreign keys are still checked, at the end
 * of the statement, so a transaction and its postings may go in one batch. A constraint violation
 * names its constraint as it would alone; the whole batch is one statement, so nothing of it stays.
 *
 * Placeholders are renumbered part by part; a part must not hold a `$` in a string literal.
 * This is the earn's hot path: twenty round trips between the member service and Postgres cost
 * more CPU, on both ends, than the statements themselves (BENCHMARKS.md).
 */
export function batchStatement(statements: readonly Statement[]): Statement {
  assert(statements.length > 0, 'a batch holds at least one write');
  if (statements.length === 1) return statements[0]!;
  const values: unknown[] = [];
  const parts = statements.map((statement, i) => {
    assert(
      WRITE.test(statement.text),
      `a batched statement is a write: ${statement.text.slice(0, 40)}`,
    );
    const offset = values.length;
    let highest = 0;
    const text = statement.text.replace(PLACEHOLDER, (_match, n: string) => {
      highest = Math.max(highest, Number(n));
      return `$${Number(n) + offset}`;
    });
    assert(
      highest === statement.values.length,
      `statement ${i} uses $1…$${highest} for ${statement.values.length} values`,
    );
    values.push(...statement.values);
    return `w${i} AS (${text})`;
  });
  return { text: `WITH ${parts.join(', ')} SELECT 1`, values };
}

/**
 * Runs the writes in one round trip, inside the caller's transaction. With `preparedAs`, the batch
 * is a named prepared statement, one per shape (the text, which the number of rows changes), parsed
 * and planned once per connection: for a hot path whose batches come in a few shapes only.
 */
export async function runBatch(
  manager: EntityManager,
  statements: readonly Statement[],
  options: { preparedAs?: string } = {},
): Promise<void> {
  if (statements.length === 0) return;
  assert(manager.queryRunner?.isTransactionActive, 'a write batch runs inside a transaction');
  const { text, values } = batchStatement(statements);
  if (options.preparedAs === undefined) {
    await manager.query(text, values);
    return;
  }
  const shape = createHash('sha256').update(text).digest('hex').slice(0, 16);
  await preparedQuery(manager, `${options.preparedAs}-${shape}`, text, values);
}
