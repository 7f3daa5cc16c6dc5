import type { EntityManager } from 'typeorm';
import { execute } from '@coalition/shared/db/sql';
import { assert } from '@coalition/shared/errors';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';

export const rewardKinds = ['ITEM', 'VOUCHER'] as const;
export type RewardKind = (typeof rewardKinds)[number];

/** One reward of a partner's catalogue. */
export interface Reward {
  id: string;
  partnerId: string;
  name: string;
  description: string;
  kind: RewardKind;
  pointsCost: bigint;
  /** Units left; null: unlimited. */
  stock: number | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A data source or a transaction's entity manager: both answer raw SQL. */
type Db = Pick<EntityManager, 'query'>;

interface RewardRow {
  id: string;
  partner_id: string;
  name: string;
  description: string;
  kind: RewardKind;
  points_cost: string;
  stock: number | null;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

const toReward = (row: RewardRow): Reward => ({
  id: row.id,
  partnerId: row.partner_id,
  name: row.name,
  description: row.description,
  kind: row.kind,
  pointsCost: BigInt(row.points_cost),
  stock: row.stock,
  active: row.active,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const rewardCursor = (reward: Reward) => timeIdKey.of(reward.createdAt, reward.id);

export async function insertReward(manager: EntityManager, reward: Reward): Promise<void> {
  await manager.query(
    `INSERT INTO reward (id, partner_id, name, description, kind, points_cost, stock, active, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      reward.id,
      reward.partnerId,
      reward.name,
      reward.description,
      reward.kind,
      reward.pointsCost.toString(),
      reward.stock,
      reward.active,
      reward.createdAt,
      reward.updatedAt,
    ],
  );
}

/** Changes the given fields of a reward and answers it as it now is. */
export async function updateRewardRow(
  manager: EntityManager,
  id: string,
  change: {
    name?: string;
    description?: string;
    pointsCost?: bigint;
    active?: boolean;
    stock?: number | null;
  },
  at: Date,
): Promise<Reward> {
  const { rows } = await execute<RewardRow>(
    manager,
    `UPDATE reward SET name = coalesce($2, name), description = coalesce($3, description), points_cost = coalesce($4::bigint, points_cost),
            active = coalesce($5, active), stock = CASE WHEN $6::boolean THEN $7::integer ELSE stock END, updated_at = $8
      WHERE id = $1 RETURNING *`,
    [
      id,
      change.name ?? null,
      change.description ?? null,
      change.pointsCost?.toString() ?? null,
      change.active ?? null,
      change.stock !== undefined,
      change.stock ?? null,
      at,
    ],
  );
  const row = rows[0];
  assert(row, `reward ${id} is locked by this transaction, so it exists`);
  return toReward(row);
}

/** The reward, its row locked until the transaction ends (stock is taken and given back under it). */
export async function lockReward(manager: EntityManager, id: string): Promise<Reward | undefined> {
  const rows: RewardRow[] = await manager.query('SELECT * FROM reward WHERE id = $1 FOR UPDATE', [
    id,
  ]);
  return rows[0] && toReward(rows[0]);
}

export async function rewardsByIds(db: Db, ids: readonly string[]): Promise<Reward[]> {
  const rows: RewardRow[] = await db.query('SELECT * FROM reward WHERE id = ANY($1::uuid[])', [
    [...ids],
  ]);
  return rows.map(toReward);
}

export async function countRewards(db: Db, partnerId: string): Promise<number> {
  const rows: { n: number }[] = await db.query(
    'SELECT count(*)::integer AS n FROM reward WHERE partner_id = $1',
    [partnerId],
  );
  return rows[0]?.n ?? 0;
}

/** Each partner's rewards, newest first (active ones only unless asked), keyset-paginated on (created_at, id); one query for all. */
export async function rewardPages(
  db: Db,
  partnerIds: readonly string[],
  page: Page,
  includeInactive: boolean,
): Promise<Map<string, Reward[]>> {
  const after = page.after === undefined ? null : timeIdKey.parse(page.after);
  const rows: RewardRow[] = await db.query(
    `SELECT r.*
       FROM unnest($1::uuid[]) AS p(id)
       CROSS JOIN LATERAL (
         SELECT * FROM reward w
          WHERE w.partner_id = p.id AND ($5::boolean OR w.active)
            AND ($2::timestamptz IS NULL OR (w.created_at, w.id) < ($2, $3::uuid))
          ORDER BY w.created_at DESC, w.id DESC
          LIMIT $4) r
      ORDER BY r.partner_id, r.created_at DESC, r.id DESC`,
    [[...partnerIds], after?.time ?? null, after?.id ?? null, page.limit + 1, includeInactive],
  );
  const pages = new Map<string, Reward[]>(partnerIds.map((id) => [id, []]));
  for (const row of rows) pages.get(row.partner_id)?.push(toReward(row));
  return pages;
}
