import type { Express, Request, Response } from 'express';
import { bearerToken, TokenError, verifyToken, type Viewer } from '@coalition/shared/auth/jwt';
import { CoalitionError, ErrorCode } from '@coalition/shared/errors';
import { isDatabaseUnavailable } from '@coalition/shared/graphql/format-error';
import { rewardRedemptionRequest, type RewardRedemptionService } from './reward-redemption.service';
import type { PublicKeys } from '@coalition/shared/auth/keys';

export const REWARD_REDEMPTIONS_PATH = '/internal/reward-redemptions';

/** The only caller: the partner service, with its own service token (shared/src/auth/service-token.ts). */
const CALLER = 'service:partner-merchant';

/** Final answers about the order, recorded or not: HTTP 200, and the partner service fails the order with the code. */
const refusals = new Set<string>([
  ErrorCode.INSUFFICIENT_POINTS,
  ErrorCode.PARTNER_NOT_ACCEPTING,
  ErrorCode.NOT_FOUND,
  ErrorCode.BAD_USER_INPUT,
]);

const send = (res: Response, status: number, code: string, message: string) =>
  res.status(status).json({ error: { code, message } });

function caller(req: Request, publicKeys: PublicKeys): Viewer | 401 | 403 {
  const token = bearerToken(req.header('authorization'));
  let viewer: Viewer;
  try {
    if (!token) throw new TokenError('missing');
    viewer = verifyToken(token, publicKeys);
  } catch (error) {
    if (error instanceof TokenError) return 401;
    throw error;
  }
  return viewer.role === 'service' && viewer.sub === CALLER ? viewer : 403;
}

/**
 * POST /internal/reward-redemptions: the partner service's synchronous call for a reward order
 * (docs/architecture.md: off the hot path, with an idempotency key and a timeout). Answers
 * `{ ok: { transactionId, points } }`, or `{ error: { code, message } }`: 200 for the order's
 * outcome (a refusal is final), 400 for a body that is not a redemption, 401/403 for any caller
 * but the partner service, 409 for an order id reused for another redemption, 503 when the
 * wallet cannot serve it now (retry with the same order id).
 */
export function mountRewardRedemptions(
  app: Express,
  redemptions: RewardRedemptionService,
  publicKeys: PublicKeys,
): void {
  app.post(REWARD_REDEMPTIONS_PATH, async (req: Request, res: Response) => {
    const viewer = caller(req, publicKeys);
    if (viewer === 401)
      return void send(res, 401, ErrorCode.UNAUTHENTICATED, 'A valid service token is required.');
    if (viewer === 403)
      return void send(
        res,
        403,
        ErrorCode.FORBIDDEN,
        'Reward redemptions are for the partner service.',
      );
    const parsed = rewardRedemptionRequest.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return void send(
        res,
        400,
        ErrorCode.BAD_USER_INPUT,
        `${issue?.path.join('.') || 'body'} ${issue?.message ?? 'is invalid'}.`,
      );
    }
    try {
      res.json({ ok: await redemptions.redeem(viewer, parsed.data) });
    } catch (error) {
      const code = error instanceof CoalitionError ? String(error.extensions.code) : undefined;
      if (code && refusals.has(code)) return void send(res, 200, code, (error as Error).message);
      if (code === ErrorCode.IDEMPOTENCY_CONFLICT)
        return void send(res, 409, code, (error as Error).message);
      if (code === ErrorCode.SERVICE_UNAVAILABLE)
        return void send(res, 503, code, (error as Error).message);
      if (isDatabaseUnavailable(error))
        return void send(
          res,
          503,
          ErrorCode.SERVICE_UNAVAILABLE,
          'The wallet cannot reach its database for a moment; retry with the same order id.',
        );
      throw error;
    }
  });
}
