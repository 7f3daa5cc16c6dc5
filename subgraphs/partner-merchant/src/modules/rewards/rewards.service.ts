import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { badInput, CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { inTransaction } from '@coalition/shared/db/transaction';
import type { Page } from '@coalition/shared/graphql/pagination';
import { limits } from '@coalition/shared/limits';
import { parseInput, text } from '@coalition/shared/validation';
import { lockPartner } from '../partners/partner-lock';
import {
  countRewards,
  insertReward,
  lockReward,
  rewardKinds,
  rewardPages,
  rewardsByIds,
  updateRewardRow,
  type Reward,
} from './reward.repository';

const pointsCost = z
  .bigint()
  .min(1n, 'must be at least 1 point')
  .max(limits.burnPointsMax, `must be at most ${limits.burnPointsMax} points`);
const description = z
  .string()
  .trim()
  .max(
    limits.rewardDescriptionLengthMax,
    `must be at most ${limits.rewardDescriptionLengthMax} characters`,
  );

const createInput = z.object({
  name: text('name'),
  description: description.nullish(),
  kind: z.enum(rewardKinds),
  pointsCost,
  stock: z
    .number()
    .int()
    .min(0, 'must not be negative')
    .max(limits.rewardStockMax, `must be at most ${limits.rewardStockMax}`)
    .nullish(),
  active: z.boolean().nullish(),
});
export type CreateRewardInput = z.input<typeof createInput>;

const updateInput = z
  .object({
    name: text('name').nullish(),
    description: description.nullish(),
    pointsCost: pointsCost.nullish(),
    active: z.boolean().nullish(),
  })
  .refine(
    (input) => Object.values(input).some((value) => value != null),
    'Give at least one of name, description, pointsCost and active',
  );
export type UpdateRewardInput = z.input<typeof updateInput>;

const quantity = z
  .number()
  .int()
  .refine((q) => q !== 0, 'must not be zero')
  .refine(
    (q) => Math.abs(q) <= limits.rewardStockMax,
    `must be between -${limits.rewardStockMax} and ${limits.rewardStockMax}`,
  );

/**
 * A partner's reward catalogue: what members can order for points there, at what cost, with what
 * stock. Every change is checked whole before anything is written, in one transaction.
 */
export class RewardsService {
  constructor(private readonly dataSource: DataSource) {}

  create(partnerId: string, raw: CreateRewardInput): Promise<Reward> {
    const input = parseInput(createInput, raw);
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      // Under the partner's lock: the count below cannot be raced past the limit.
      await lockPartner(manager, partnerId);
      await assertWithinBurnLimits(manager, partnerId, input.pointsCost);
      if ((await countRewards(manager, partnerId)) >= limits.rewardsPerPartnerMax) {
        throw badInput(
          `A partner has at most ${limits.rewardsPerPartnerMax} rewards; deactivate and reuse one instead.`,
        );
      }
      const now = new Date();
      const reward: Reward = {
        id: randomUUID(),
        partnerId,
        name: input.name,
        description: input.description ?? '',
        kind: input.kind,
        pointsCost: input.pointsCost,
        stock: input.stock ?? null,
        active: input.active ?? true,
        createdAt: now,
        updatedAt: now,
      };
      await insertReward(manager, reward);
      return reward;
    });
  }

  update(rewardId: string, raw: UpdateRewardInput): Promise<Reward> {
    const input = parseInput(updateInput, raw);
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const reward = await lockReward(manager, rewardId);
      if (!reward) throw notFound('Reward');
      if (input.pointsCost != null)
        await assertWithinBurnLimits(manager, reward.partnerId, input.pointsCost);
      const change = {
        name: input.name ?? undefined,
        description: input.description ?? undefined,
        pointsCost: input.pointsCost ?? undefined,
        active: input.active ?? undefined,
      };
      return updateRewardRow(manager, rewardId, change, new Date());
    });
  }

  /** Adds units to the stock, or removes them (a negative quantity), never below zero. */
  restock(rewardId: string, rawQuantity: number): Promise<Reward> {
    const change = parseInput(z.object({ quantity }), { quantity: rawQuantity }).quantity;
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const reward = await lockReward(manager, rewardId);
      if (!reward) throw notFound('Reward');
      if (reward.stock === null)
        throw new CoalitionError(
          ErrorCode.CONFLICT,
          'This reward has unlimited stock: there is nothing to restock.',
          { field: 'quantity' },
        );
      const stock = reward.stock + change;
      if (stock < 0)
        throw badInput(
          `quantity would take the stock below zero: ${reward.stock} left.`,
          'quantity',
        );
      if (stock > limits.rewardStockMax)
        throw badInput(`A reward has at most ${limits.rewardStockMax} units in stock.`, 'quantity');
      return updateRewardRow(manager, rewardId, { stock }, new Date());
    });
  }

  byIds(ids: readonly string[]): Promise<Reward[]> {
    return rewardsByIds(this.dataSource, ids);
  }

  /** Each partner's rewards, newest first; active ones only unless asked. */
  pages(
    partnerIds: readonly string[],
    page: Page,
    includeInactive: boolean,
  ): Promise<Map<string, Reward[]>> {
    return rewardPages(this.dataSource, partnerIds, page, includeInactive);
  }
}

/**
 * A reward costs what one burn at the partner may take: the wallet refuses any other amount, so
 * a reward outside the partner's limits could never be ordered.
 */
async function assertWithinBurnLimits(
  manager: EntityManager,
  partnerId: string,
  points: bigint,
): Promise<void> {
  const rows: { burn_points_min: number; burn_points_max: number | null }[] = await manager.query(
    'SELECT burn_points_min, burn_points_max FROM partner WHERE id = $1',
    [partnerId],
  );
  const row = rows[0];
  if (!row) throw notFound('Partner');
  const min = BigInt(row.burn_points_min);
  const max = row.burn_points_max === null ? limits.burnPointsMax : BigInt(row.burn_points_max);
  if (points < min || points > max)
    throw badInput(
      `pointsCost must be within this partner's burn limits, ${min} to ${max} points.`,
      'pointsCost',
    );
}
