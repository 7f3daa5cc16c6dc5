import type { Request } from 'express';
import { bearerToken, TokenError, verifyToken, type Viewer } from '../auth/jwt';
import { CoalitionError, ErrorCode } from '../errors';
import type { Logger } from '../logger';
import type { PublicKeys } from '../auth/keys';

/** What every resolver receives. Subgraphs add their DataLoaders under `loaders`. */
export interface BaseContext {
  viewer: Viewer;
  requestId: string;
  log: Logger;
}

/**
 * Verifies the bearer token of a request, as the gateway does and again in each subgraph, so a
 * request that bypasses the gateway gets nothing. Rejects the whole request with 401 otherwise.
 */
export function authenticate(req: Request, publicKeys: PublicKeys): Viewer {
  const token = bearerToken(req.header('authorization'));
  if (!token)
    throw unauthenticatedRequest('A bearer token is required: send Authorization: Bearer <token>.');
  try {
    return verifyToken(token, publicKeys);
  } catch (error) {
    if (error instanceof TokenError) {
      req.log.info({ reason: error.message }, 'token rejected');
      throw unauthenticatedRequest('The bearer token is invalid or expired.');
    }
    throw error;
  }
}

function unauthenticatedRequest(message: string): CoalitionError {
  return new CoalitionError(ErrorCode.UNAUTHENTICATED, message, { http: { status: 401 } });
}
