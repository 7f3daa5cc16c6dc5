import type { Request } from 'express';
import { authenticate, type BaseContext } from '@coalition/shared/graphql/context';
import { assert } from '@coalition/shared/errors';
import type { PublicKeys } from '@coalition/shared/auth/keys';

/** What the gateway's request pipeline carries: the verified viewer and what to forward to subgraphs. */
export interface GatewayContext extends BaseContext {
  /** The caller's Authorization header, forwarded verbatim: each subgraph verifies the token again. */
  authorization: string;
}

/** Rejects the whole request with 401 UNAUTHENTICATED unless it carries a valid bearer token. */
export function gatewayContext(req: Request, publicKeys: PublicKeys): GatewayContext {
  const viewer = authenticate(req, publicKeys);
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
