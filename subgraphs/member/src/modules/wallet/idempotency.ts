import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { preparedQuery } from '@coalition/shared/db/sql';
import { runBatch, type Statement } from '@coalition/shared/db/write-batch';
import { assert, CoalitionError, ErrorCode } from '@coalition/shared/errors';
import { WalletError, type WalletErrorCode } from './wallet.errors';

/** A result as it is recorded and replayed: bigints and dates become strings, as on the wire. */
export type Wire<T> = T extends bigint | Date
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

/** What a key records and replays: the first result, or the first business failure, exactly. */
export type Outcome<T> =
  | { ok: T }
  | { error: { code: WalletErrorCode; message: string; details: Record<string, unknown> } };

const toJson = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/** Same operation and same request give the same hash, whatever the order of object keys. */
export function requestHash(operation: string, request: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Date) return value.toISOString();
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => [k, canonical(v)]),
      );
    }
    return value;
  };
  return createHash('sha256')
    .update(JSON.stringify([operation, canonical(request)]))
    .digest('hex');
}

export interface IdempotentCall {
  /** Whose keys these are: one caller's key never collides with another's. */
  scope: string;
  key: string;
  operation: string;
  request: unknown;
}

/**
 * Runs `work` once per (scope, key) (docs/ledger.md, L5), inside the caller's transaction and after the
 * caller took the member's lock. The first call records its result — or its business failure —
 * with the key; a later call with the same request gets that record back, one with a different
 * request is refused with IDEMPOTENCY_CONFLICT. Nothing else is written on a replay or a conflict.
 * A failure comes back as an outcome, not thrown, so the transaction commits its record: the
 * caller throws it with `settle` once the transaction is over.
 */
export async function runIdempotent<T>(
  manager: EntityManager,
  call: IdempotentCall,
  work: () => Promise<T>,
): Promise<Outcome<Wire<T>>> {
  const hash = requestHash(call.operation, call.request);
  // Claim the key first. The same key used at once for another member (another lock) waits here
  // for that transaction, then finds its record: a conflict or a replay, never a second effect.
  if (!(await claim(manager, call, hash))) return replay<T>(manager, call, hash);
  await manager.query('SAVEPOINT idempotent_work');
  let recorded: Outcome<unknown>;
  try {
    recorded = { ok: JSON.parse(toJson(await work())) };
  } catch (error) {
    const failure = recordedFailure(error);
    // The outcome is final for this key: undo the work, keep the record.
    await manager.query('ROLLBACK TO SAVEPOINT idempotent_work');
    recorded = failure;
  }
  const record = recordStatement(call, recorded);
  await preparedQuery(manager, 'idempotency-record-v1', record.text, record.values);
  // The first caller gets exactly what every replay will get.
  return recorded as Outcome<Wire<T>>;
}

/** What a batched work returns: its result, and every write it makes, to be sent after it returns. */
export interface Batched<T> {
  result: T;
  writes: Statement[];
}

/**
 * runIdempotent for work that writes nothing itself but hands back its writes: they go to Postgres
 * with the key's record in one batch (runBatch) once the work has returned. A business failure
 * then has nothing to undo, so no savepoint is taken, and the record is the batch's only write.
 * The earn's hot path: three round trips fewer than runIdempotent (BENCHMARKS.md).
 */
export async function runIdempotentBatched<T>(
  manager: EntityManager,
  call: IdempotentCall,
  work: () => Promise<Batched<T>>,
): Promise<Outcome<Wire<T>>> {
  const hash = requestHash(call.operation, call.request);
  if (!(await claim(manager, call, hash))) return replay<T>(manager, call, hash);
  let recorded: Outcome<unknown>;
  let writes: Statement[] = [];
  try {
    const done = await work();
    recorded = { ok: JSON.parse(toJson(done.result)) };
    writes = done.writes;
  } catch (error) {
    recorded = recordedFailure(error);
  }
  await runBatch(manager, [...writes, recordStatement(call, recorded)], {
    preparedAs: `${call.operation}-writes`,
  });
  return recorded as Outcome<Wire<T>>;
}

/** Claims the key for this call; false when an earlier call holds it. */
async function claim(manager: EntityManager, call: IdempotentCall, hash: string): Promise<boolean> {
  const claimed = await preparedQuery(
    manager,
    'idempotency-claim-v1',
    `INSERT INTO idempotency_record (scope, key, operation, request_hash, response) VALUES ($1, $2, $3, $4, '{"pending": true}'::jsonb)
     ON CONFLICT (scope, key) DO NOTHING RETURNING true AS claimed`,
    [call.scope, call.key, call.operation, hash],
  );
  return claimed.length > 0;
}

const recordStatement = (call: IdempotentCall, recorded: Outcome<unknown>): Statement => ({
  text: 'UPDATE idempotency_record SET response = $3::jsonb WHERE scope = $1 AND key = $2',
  values: [call.scope, call.key, toJson(recorded)],
});

async function replay<T>(
  manager: EntityManager,
  call: IdempotentCall,
  hash: string,
): Promise<Outcome<Wire<T>>> {
  const rows: { operation: string; request_hash: string; response: Outcome<unknown> }[] =
    await manager.query(
      'SELECT operation, request_hash, response FROM idempotency_record WHERE scope = $1 AND key = $2',
      [call.scope, call.key],
    );
  const record = rows[0];
  assert(record, 'a claimed idempotency key has its record');
  if (record.operation !== call.operation || record.request_hash !== hash) {
    throw new CoalitionError(
      ErrorCode.IDEMPOTENCY_CONFLICT,
      'This idempotency key was used for a different request.',
    );
  }
  return record.response as Outcome<Wire<T>>;
}

/** A business failure as its key records it; anything else is not an outcome, and is thrown on. */
function recordedFailure(error: unknown): Outcome<never> {
  if (!(error instanceof WalletError)) throw error;
  return { error: { code: error.walletCode, message: error.message, details: detailsOf(error) } };
}

function detailsOf(error: WalletError): Record<string, unknown> {
  const { code: _code, ...details } = error.extensions;
  return details;
}

/** The result of an outcome, or its failure thrown as the coded error it was. */
export function settle<T>(outcome: Outcome<T>): T {
  if ('error' in outcome)
    throw new WalletError(outcome.error.code, outcome.error.message, outcome.error.details);
  return outcome.ok;
}
