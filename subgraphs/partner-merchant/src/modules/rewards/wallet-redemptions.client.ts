import { z } from 'zod';
import { REQUEST_ID_HEADER } from '@coalition/shared/http/service-app';
import { assert, ErrorCode } from '@coalition/shared/errors';
import type { Logger } from '@coalition/shared/logger';
import type { RewardOrder } from './reward-order.repository';

/**
 * The wallet's final refusals of a redemption (the member service answers them with HTTP 200): the
 * order fails with that code. Anything else — no answer in time, a refused connection, a 5xx, an
 * answer we cannot read — says nothing about the burn, so the order stays PENDING and is retried.
 */
export const refusalCodes = [
  ErrorCode.INSUFFICIENT_POINTS,
  ErrorCode.PARTNER_NOT_ACCEPTING,
  ErrorCode.NOT_FOUND,
  ErrorCode.BAD_USER_INPUT,
] as const;
export type RefusalCode = (typeof refusalCodes)[number];

export type RedemptionAnswer =
  | { outcome: 'burned'; transactionId: string }
  | { outcome: 'refused'; code: RefusalCode; message: string }
  | { outcome: 'unavailable'; reason: string };

/** The wallet's side of a reward order: burn its points, once per order, whatever the number of calls. */
export interface WalletRedemptions {
  redeem(order: RewardOrder, requestId?: string): Promise<RedemptionAnswer>;
}

const answerBody = z.union([
  z.object({
    ok: z.object({ transactionId: z.string().uuid(), points: z.string().regex(/^\d+$/) }),
  }),
  z.object({ error: z.object({ code: z.enum(refusalCodes), message: z.string() }) }),
]);

/**
 * The member service's POST /internal/reward-redemptions (docs/architecture.md: a synchronous call off the
 * hot path), with this service's token, the order id as idempotency key, and a deadline. Never
 * called inside a database transaction.
 */
export function httpWalletRedemptions(
  url: string,
  token: () => string,
  timeoutMs: number,
  logger: Logger,
): WalletRedemptions {
  return {
    async redeem(order, requestId) {
      const request = {
        orderId: order.id,
        memberId: order.memberId,
        partnerId: order.partnerId,
        rewardId: order.rewardId,
        points: order.points.toString(),
      };
      let status: number;
      let body: unknown;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token()}`,
            'content-type': 'application/json',
            ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
          },
          body: JSON.stringify(request),
          // The deadline covers reading the answer too.
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = response.status;
        body = await response.json();
      } catch (error) {
        logger.warn(
          { orderId: order.id, err: error },
          'the wallet did not answer a reward redemption',
        );
        return {
          outcome: 'unavailable',
          reason: error instanceof Error ? error.name : 'no answer',
        };
      }
      const answer = status === 200 ? answerBody.safeParse(body) : undefined;
      if (!answer?.success) {
        // 401/403/400 mean this service is misconfigured or out of step with the wallet: loud, and retried once fixed.
        const level = status >= 500 ? 'warn' : 'error';
        logger[level](
          { orderId: order.id, status, body },
          'the wallet answered a reward redemption with something other than an outcome',
        );
        return { outcome: 'unavailable', reason: `HTTP ${status}` };
      }
      if ('error' in answer.data)
        return {
          outcome: 'refused',
          code: answer.data.error.code,
          message: answer.data.error.message,
        };
      // The key's first result comes back on every retry; it is for exactly this request (else the wallet says IDEMPOTENCY_CONFLICT).
      assert(
        answer.data.ok.points === request.points,
        `the wallet burned ${answer.data.ok.points} points for order ${order.id} of ${request.points}`,
      );
      return { outcome: 'burned', transactionId: answer.data.ok.transactionId };
    },
  };
}
