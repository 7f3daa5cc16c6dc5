import express, { type Express, type Request, type Response } from 'express';
import { signToken } from '@coalition/shared/auth/jwt';
import type { SigningKey } from '@coalition/shared/auth/keys';
import { limits } from '@coalition/shared/limits';
import type { PartnerRateLimitsService } from '../rate-limits/rate-limits.service';
import type { ApiClientsService } from './api-clients.service';

/**
 * OAuth 2.0 client credentials grant (RFC 6749 §4.4): POST /oauth/token with grant_type,
 * client_id and client_secret, as JSON, a form body, or HTTP Basic. Answers with a bearer token
 * for the partner (or, for terminal credentials, for its store), carrying the partner's own rate
 * limit when an operator set one, so the gateway applies it without asking.
 */
export function mountTokenEndpoint(
  app: Express,
  clients: ApiClientsService,
  rateLimits: PartnerRateLimitsService,
  signingKey: SigningKey,
): void {
  app.post(
    '/oauth/token',
    express.urlencoded({ extended: false, limit: '10kb' }),
    async (req: Request, res: Response) => {
      res.setHeader('cache-control', 'no-store');
      const body = (req.body ?? {}) as Record<string, unknown>;
      const basic = basicCredentials(req.header('authorization'));
      const clientId = basic?.[0] ?? body.client_id;
      const clientSecret = basic?.[1] ?? body.client_secret;
      if (body.grant_type !== 'client_credentials') {
        res.status(400).json({
          error: 'unsupported_grant_type',
          error_description: 'Use grant_type=client_credentials.',
        });
        return;
      }
      if (
        typeof clientId !== 'string' ||
        typeof clientSecret !== 'string' ||
        !clientId ||
        !clientSecret
      ) {
        res.status(400).json({
          error: 'invalid_request',
          error_description: 'client_id and client_secret are required.',
        });
        return;
      }
      const claims = await clients.authenticate(clientId, clientSecret);
      if (!claims) {
        req.log.info({ clientId }, 'client authentication failed');
        res.status(401).json({
          error: 'invalid_client',
          error_description: 'Unknown client, wrong secret, or revoked credentials.',
        });
        return;
      }
      const rateLimit = await rateLimits.claimFor(claims.partnerId);
      const lifetimeSeconds = limits.tokenLifetimeSecondsDefault;
      res.json({
        access_token: signToken(signingKey, { ...claims, rateLimit }, lifetimeSeconds),
        token_type: 'Bearer',
        expires_in: lifetimeSeconds,
        scope: claims.role,
      });
    },
  );
}

function basicCredentials(header: string | undefined): [string, string] | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return [
    decodeURIComponent(decoded.slice(0, colon)),
    decodeURIComponent(decoded.slice(colon + 1)),
  ];
}
