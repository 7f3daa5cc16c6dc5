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
    throw unauthenticatedRequest(
      'A bearer token is required: send Authorization: Bearer <token>.',
      BEARER_CHALLENGE,
    );
  try {
    return verifyToken(token, publicKeys);
  } catch (error) {
    if (error instanceof TokenError) {
      req.log.info({ reason: error.message }, 'token rejected');
      throw unauthenticatedRequest(
        'The bearer token is invalid or expired.',
        `${BEARER_CHALLENGE}, error="invalid_token"`,
      );
    }
    throw error;
  }
}

/**
 * The challenge a 401 carries (RFC 6750, section 3): the scheme and realm, and `invalid_token` when
 * a token was sent but refused; no error code when none was sent.
 */
export const BEARER_CHALLENGE = 'Bearer realm="coalition"';

function unauthenticatedRequest(message: string, challenge: string): CoalitionError {
  return new CoalitionError(ErrorCode.UNAUTHENTICATED, message, {
    http: { status: 401, headers: new Map([['www-authenticate', challenge]]) },
  });
}
