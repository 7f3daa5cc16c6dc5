import type { EntityManager } from 'typeorm';
import { execute } from '@coalition/shared/db/sql';
import { newestPerPartner } from '../partners/newest-per-partner';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';

export type RewardOrderStatus = 'PENDING' | 'CONFIRMED' | 'FAILED';

/** A member's order of a reward: PENDING until the wallet burned its points (CONFIRMED) or refused (FAILED). */
export interface RewardOrder {
  id: string;
  partnerId: string;
  rewardId: string;
  memberId: string;
  /** The reward's cost when it was ordered: what the wallet burns. */
  points: bigint;
  status: RewardOrderStatus;
  failureCode: string | null;
  burnTransactionId: string | null;
  voucherCode: string | null;
  /** When and at which store a voucher was redeemed; null until then (and for items). */
  redeemedAt: Date | null;
  redeemedStoreId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Who asked for an order under which key, and the fingerprint of what they asked. */
export interface OrderKey {
  scope: string;
  key: string;
  requestHash: string;
}

type Db = Pick<EntityManager, 'query'>;

interface OrderRow {
  id: string;
  partner_id: string;
  reward_id: string;
  member_id: string;
  points: string;
  status: RewardOrderStatus;
  failure_code: string | null;
  burn_transaction_id: string | null;
  voucher_code: string | null;
  redeemed_at: Date | null;
  redeemed_store_id: string | null;
  request_hash: string;
  created_at: Date;
  updated_at: Date;
}

const toOrder = (row: OrderRow): RewardOrder => ({
  id: row.id,
  partnerId: row.partner_id,
  rewardId: row.reward_id,
  memberId: row.member_id,
  points: BigInt(row.points),
  status: row.status,
  failureCode: row.failure_code,
  burnTransactionId: row.burn_transaction_id,
  voucherCode: row.voucher_code,
  redeemedAt: row.redeemed_at,
  redeemedStoreId: row.redeemed_store_id,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const orderCursor = (order: RewardOrder) => timeIdKey.of(order.createdAt, order.id);

export async function orderByKey(
  db: Db,
  scope: string,
  key: string,
): Promise<{ order: RewardOrder; requestHash: string } | undefined> {
  const rows: OrderRow[] = await db.query(
    'SELECT * FROM reward_order WHERE idempotency_scope = $1 AND idempotency_key = $2',
    [scope, key],
  );
  return rows[0] && { order: toOrder(rows[0]), requestHash: rows[0].request_hash };
}

export async function orderById(db: Db, id: string): Promise<RewardOrder | undefined> {
  const rows: OrderRow[] = await db.query('SELECT * FROM reward_order WHERE id = $1', [id]);
  return rows[0] && toOrder(rows[0]);
}

export async function insertOrder(
  manager: EntityManager,
  order: RewardOrder,
  key: OrderKey,
): Promise<void> {
  await manager.query(
    `INSERT INTO reward_order (id, partner_id, reward_id, member_id, points, status, idempotency_scope, idempotency_key, request_hash, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'PENDING', $6, $7, $8, $9, $9)`,
    [
      order.id,
      order.partnerId,
      order.rewardId,
      order.memberId,
      order.points.toString(),
      key.scope,
      key.key,
      key.requestHash,
      order.createdAt,
    ],
  );
}

/**
 * The one place an order leaves PENDING: the status guard lets exactly one of two racing
 * completions (a caller's retry and the retry job) resolve it; the other gets undefined.
 */
export async function resolveOrder(
  manager: EntityManager,
  id: string,
  outcome:
    | { status: 'CONFIRMED'; burnTransactionId: string; voucherCode: string | null }
    | { status: 'FAILED'; failureCode: string },
  at: Date,
): Promise<RewardOrder | undefined> {
  const confirmed = outcome.status === 'CONFIRMED' ? outcome : undefined;
  const { rows } = await execute<OrderRow>(
    manager,
    `UPDATE reward_order SET status = $2, burn_transaction_id = $3, voucher_code = $4, failure_code = $5, updated_at = $6
      WHERE id = $1 AND status = 'PENDING' RETURNING *`,
    [
      id,
      outcome.status,
      confirmed?.burnTransactionId ?? null,
      confirmed?.voucherCode ?? null,
      outcome.status === 'FAILED' ? outcome.failureCode : null,
      at,
    ],
  );
  return rows[0] && toOrder(rows[0]);
}

/** Orders still PENDING that were placed before `placedBefore`, oldest first. */
export async function pendingOrders(
  db: Db,
  placedBefore: Date,
  limit: number,
): Promise<RewardOrder[]> {
  const rows: OrderRow[] = await db.query(
    `SELECT * FROM reward_order WHERE status = 'PENDING' AND created_at < $1 ORDER BY created_at, id LIMIT $2`,
    [placedBefore, limit],
  );
  return rows.map(toOrder);
}

/** A member's orders, newest first, keyset-paginated on (created_at, id). */
export async function ordersOfMember(db: Db, memberId: string, page: Page): Promise<RewardOrder[]> {
  const after = page.after === undefined ? null : timeIdKey.parse(page.after);
  const rows: OrderRow[] = await db.query(
    `SELECT * FROM reward_order
      WHERE member_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $4`,
    [memberId, after?.time ?? null, after?.id ?? null, page.limit + 1],
  );
  return rows.map(toOrder);
}

/** Each partner's orders, newest first; one query for all. */
export async function orderPagesOfPartners(
  db: Db,
  partnerIds: readonly string[],
  page: Page,
): Promise<Map<string, RewardOrder[]>> {
  const after = page.after === undefined ? null : timeIdKey.parse(page.after);
  const pages = await newestPerPartner<OrderRow>(
    db,
    { table: 'reward_order', time: 'created_at', id: 'id', idType: 'uuid' },
    partnerIds,
    after,
    page.limit + 1,
  );
  return new Map([...pages].map(([partnerId, rows]) => [partnerId, rows.map(toOrder)]));
}

/**
 * Marks a confirmed voucher of this partner redeemed at one of its stores, once: the guard on
 * redeemed_at makes a second redemption (two tills at once) update nothing. Undefined when no
 * unredeemed voucher of this partner has the code.
 */
export async function redeemVoucherOf(
  manager: EntityManager,
  partnerId: string,
  code: string,
  storeId: string,
  now: Date,
): Promise<RewardOrder | undefined> {
  const { rows } = await execute<OrderRow>(
    manager,
    `UPDATE reward_order SET redeemed_at = $4, redeemed_store_id = $3, updated_at = $4
      WHERE partner_id = $1 AND voucher_code = $2 AND status = 'CONFIRMED' AND redeemed_at IS NULL
      RETURNING *`,
    [partnerId, code, storeId, now],
  );
  return rows[0] && toOrder(rows[0]);
}

export async function voucherOf(
  db: Db,
  partnerId: string,
  code: string,
): Promise<RewardOrder | undefined> {
  const rows: OrderRow[] = await db.query(
    `SELECT * FROM reward_order WHERE partner_id = $1 AND voucher_code = $2 AND status = 'CONFIRMED'`,
    [partnerId, code],
  );
  return rows[0] && toOrder(rows[0]);
}
