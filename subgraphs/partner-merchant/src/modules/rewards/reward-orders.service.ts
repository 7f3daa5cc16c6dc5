import { createHash, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { lockAggregate } from '@coalition/shared/db/locks';
import { inTransaction, isUniqueViolation } from '@coalition/shared/db/transaction';
import { assert, CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import type { Page } from '@coalition/shared/graphql/pagination';
import { limits } from '@coalition/shared/limits';
import type { Logger } from '@coalition/shared/logger';
import { parseInput, uuid } from '@coalition/shared/validation';
import { lockReward, rewardsByIds } from './reward.repository';
import {
  insertOrder,
  orderById,
  orderByKey,
  orderPagesOfPartners,
  ordersOfMember,
  pendingOrders,
  resolveOrder,
  type OrderKey,
  type RewardOrder,
} from './reward-order.repository';
import { voucherCode } from './voucher-code';
import type { RedemptionAnswer, RefusalCode, WalletRedemptions } from './wallet-redemptions.client';

const orderInput = z.object({
  idempotencyKey: z.string().min(1).max(limits.idempotencyKeyLengthMax),
  rewardId: uuid,
  memberId: uuid,
});
export type OrderRewardInput = z.input<typeof orderInput>;
type OrderRequest = Omit<z.output<typeof orderInput>, 'idempotencyKey'>;

/** Same reward for the same member: the same request, whatever the key's other use. */
const requestHash = (request: OrderRequest) =>
  createHash('sha256')
    .update(JSON.stringify(['order-reward', request.rewardId, request.memberId]))
    .digest('hex');

const refusalMessages: Record<RefusalCode, string> = {
  INSUFFICIENT_POINTS: 'The member does not have enough available points for this reward.',
  PARTNER_NOT_ACCEPTING: 'This partner no longer accepts points as payment.',
  NOT_FOUND: 'Member was not found.',
  BAD_USER_INPUT: "The reward's cost is outside what one burn at this partner may take.",
};

/**
 * Orders of catalogue rewards, in three steps, none of them a network call inside a transaction:
 * (a) reserve a unit of stock and record the order PENDING under the caller's idempotency key;
 * (b) ask the wallet to burn the points, with the order id as its idempotency key;
 * (c) record the outcome: CONFIRMED, or FAILED with the stock given back. When (b) gets no answer
 * the order stays PENDING; a retry under the same key, or the retry job, repeats (b) and (c), and
 * the wallet's key makes sure the points are burned once.
 */
export class RewardOrdersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly wallet: WalletRedemptions,
    private readonly logger: Logger,
  ) {}

  /** `scope` is whose keys these are (the member's, an operator's). A FAILED order throws its code, first time and every replay. */
  async order(scope: string, raw: OrderRewardInput, requestId?: string): Promise<RewardOrder> {
    const { idempotencyKey, ...request } = parseInput(orderInput, raw);
    const key: OrderKey = { scope, key: idempotencyKey, requestHash: requestHash(request) };
    const placed = await this.place(key, request);
    if (placed.status !== 'PENDING') return outcomeOf(placed);
    const finished = await this.finish(placed, requestId);
    if (finished === 'unavailable') {
      throw new CoalitionError(
        ErrorCode.SERVICE_UNAVAILABLE,
        'The wallet could not be reached in time. The order is PENDING with its stock reserved: retry with the same idempotency key; it is also completed by itself within seconds.',
        { orderId: placed.id },
      );
    }
    return outcomeOf(finished);
  }

  /**
   * The retry job: completes orders left PENDING (placed more than rewardOrderRetryAgeMs ago, so
   * not while their caller still waits). A round stops at the first order the wallet does not
   * answer: it is down, and the next round tries again.
   */
  async retryPending(): Promise<number> {
    const due = await pendingOrders(
      this.dataSource,
      new Date(Date.now() - limits.rewardOrderRetryAgeMs),
      limits.rewardOrderRetryBatchMax,
    );
    let completed = 0;
    for (const order of due) {
      const finished = await this.finish(order);
      if (finished === 'unavailable') break;
      this.logger.info(
        { orderId: order.id, status: finished.status, failureCode: finished.failureCode },
        'reward order completed by retry',
      );
      completed++;
    }
    return completed;
  }

  pagesOfPartners(partnerIds: readonly string[], page: Page): Promise<Map<string, RewardOrder[]>> {
    return orderPagesOfPartners(this.dataSource, partnerIds, page);
  }

  ofMember(memberId: string, page: Page): Promise<RewardOrder[]> {
    return ordersOfMember(this.dataSource, memberId, page);
  }

  /** Step (a): the order under this key, placed now or earlier. */
  private async place(key: OrderKey, request: OrderRequest): Promise<RewardOrder> {
    try {
      return await inTransaction(this.dataSource, 'READ COMMITTED', (manager) =>
        placeOrder(manager, key, request),
      );
    } catch (error) {
      // Another instance placed it under this key first: the key's lock makes this rare, the index certain.
      if (!isUniqueViolation(error, 'reward_order_idempotency')) throw error;
      return inTransaction(this.dataSource, 'READ COMMITTED', (manager) =>
        placeOrder(manager, key, request),
      );
    }
  }

  /** Steps (b) and (c) for a PENDING order; 'unavailable' when the wallet gave no answer. */
  private async finish(
    order: RewardOrder,
    requestId?: string,
  ): Promise<RewardOrder | 'unavailable'> {
    assert(
      order.status === 'PENDING',
      `only a PENDING order is sent to the wallet, not ${order.id} (${order.status})`,
    );
    const answer = await this.wallet.redeem(order, requestId);
    if (answer.outcome === 'unavailable') return 'unavailable';
    const settled = await inTransaction(this.dataSource, 'READ COMMITTED', (manager) =>
      settleOrder(manager, order, answer),
    );
    if (settled.status === 'FAILED' && answer.outcome === 'burned') {
      // Only possible if the wallet refused one call and burned on another for the same order: an operator must refund the burn.
      this.logger.error(
        { orderId: order.id, transactionId: answer.transactionId },
        'the wallet burned points for a reward order that had failed',
      );
    }
    return settled;
  }
}

/** The order as its caller sees it: a FAILED one is the wallet's refusal, thrown with its code. */
function outcomeOf(order: RewardOrder): RewardOrder {
  if (order.status !== 'FAILED') return order;
  const code = order.failureCode as RefusalCode;
  throw new CoalitionError(code, refusalMessages[code] ?? 'The wallet refused the order.', {
    orderId: order.id,
  });
}

async function placeOrder(
  manager: EntityManager,
  key: OrderKey,
  request: OrderRequest,
): Promise<RewardOrder> {
  // Two calls with one key at once: the second waits here, then replays the first's order.
  await lockAggregate(manager, 'reward-order-key', `${key.scope} ${key.key}`);
  const existing = await orderByKey(manager, key.scope, key.key);
  if (existing) {
    if (existing.requestHash !== key.requestHash)
      throw new CoalitionError(
        ErrorCode.IDEMPOTENCY_CONFLICT,
        'This idempotency key was used for a different order.',
      );
    return existing.order;
  }
  const reward = await lockReward(manager, request.rewardId);
  if (!reward || !reward.active) throw notFound('Reward');
  if (reward.stock === 0)
    throw new CoalitionError(ErrorCode.OUT_OF_STOCK, 'This reward is out of stock.');
  if (reward.stock !== null)
    await manager.query('UPDATE reward SET stock = stock - 1 WHERE id = $1', [reward.id]);
  const now = new Date();
  const order: RewardOrder = {
    id: randomUUID(),
    partnerId: reward.partnerId,
    rewardId: reward.id,
    memberId: request.memberId,
    points: reward.pointsCost,
    status: 'PENDING',
    failureCode: null,
    burnTransactionId: null,
    voucherCode: null,
    redeemedAt: null,
    redeemedStoreId: null,
    createdAt: now,
    updatedAt: now,
  };
  await insertOrder(manager, order, key);
  return order;
}

/** Step (c). Whoever resolves the order first wins; a later completion reads what it became. */
async function settleOrder(
  manager: EntityManager,
  order: RewardOrder,
  answer: Exclude<RedemptionAnswer, { outcome: 'unavailable' }>,
): Promise<RewardOrder> {
  const now = new Date();
  let resolved: RewardOrder | undefined;
  if (answer.outcome === 'burned') {
    const [reward] = await rewardsByIds(manager, [order.rewardId]);
    assert(reward, `the reward of order ${order.id} exists`);
    resolved = await resolveOrder(
      manager,
      order.id,
      {
        status: 'CONFIRMED',
        burnTransactionId: answer.transactionId,
        voucherCode: reward.kind === 'VOUCHER' ? voucherCode() : null,
      },
      now,
    );
  } else {
    resolved = await resolveOrder(
      manager,
      order.id,
      { status: 'FAILED', failureCode: answer.code },
      now,
    );
    if (resolved)
      await manager.query(
        'UPDATE reward SET stock = stock + 1 WHERE id = $1 AND stock IS NOT NULL',
        [order.rewardId],
      );
  }
  if (resolved) return resolved;
  const current = await orderById(manager, order.id);
  assert(
    current && current.status !== 'PENDING',
    `order ${order.id} left PENDING in another transaction`,
  );
  return current;
}
