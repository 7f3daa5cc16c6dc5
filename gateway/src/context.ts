import type { Request } from 'express';
import { authenticate, type BaseContext } from '@coalition/shared/graphql/context';
import { assert, CoalitionError, ErrorCode } from '@coalition/shared/errors';
import type { PublicKeys } from '@coalition/shared/auth/keys';
import type { Refusal, RequestLimits } from './rate-limit/request-limits';

/** What the gateway's request pipeline carries: the verified viewer and what to forward to subgraphs. */
export interface GatewayContext extends BaseContext {
  /** The caller's Authorization header, forwarded verbatim: each subgraph verifies the token again. */
  authorization: string;
}

/**
 * Rejects the whole request with 401 UNAUTHENTICATED unless it carries a valid bearer token, and
 * with 429 RATE_LIMITED when its API client or member is over its limit.
 */
export async function gatewayContext(
  req: Request,
  publicKeys: PublicKeys,
  limits: RequestLimits,
): Promise<GatewayContext> {
  const viewer = authenticate(req, publicKeys);
  const refusal = await limits.take(viewer);
  if (refusal) throw rateLimited(refusal);
  const authorization = req.header('authorization');
  assert(
    authorization !== undefined,
    'a request that passed authentication has an Authorization header',
  );
  return {
    viewer,
    requestId: req.requestId,
    log: req.log.child({ role: viewer.role }),
    authorization,
  };
}

/** Says only when to come back: nothing about the limit or how far over it the caller is. */
function rateLimited({ retryAfterSeconds }: Refusal): CoalitionError {
  return new CoalitionError(
    ErrorCode.RATE_LIMITED,
    `Too many requests; retry after ${retryAfterSeconds} s.`,
    {
      retryAfter: retryAfterSeconds,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  );
}
