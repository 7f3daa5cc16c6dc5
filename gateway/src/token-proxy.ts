import express, { type Express, type Request, type Response } from 'express';
import { fetch, type Agent } from 'undici';
import { REQUEST_ID_HEADER } from '@coalition/shared/http/service-app';
import { limits } from '@coalition/shared/limits';
import type { TokenGuard, TokenRefusal } from './rate-limit/token-guard';
import { requestedClientId } from './rate-limit/token-request';

export interface TokenProxyOptions {
  /** The partner-merchant GraphQL URL; its token endpoint is beside it at /oauth/token. */
  partnerMerchantGraphqlUrl: string;
  agent: Agent;
  timeoutMs: number;
  /** Slows down and locks out repeated wrong secrets (rate-limit/token-guard.ts). */
  guard: TokenGuard;
}

/** Request headers the token endpoint needs (client_secret_basic sends the credentials in Authorization). */
const forwardedRequestHeaders = ['content-type', 'accept', 'authorization'] as const;
/** Response headers RFC 6749 asks for (no-store) or that say why a client was refused. */
const forwardedResponseHeaders = [
  'content-type',
  'cache-control',
  'pragma',
  'www-authenticate',
] as const;

export function tokenEndpointUrl(partnerMerchantGraphqlUrl: string): string {
  return `${partnerMerchantGraphqlUrl.replace(/\/graphql\/?$/, '').replace(/\/$/, '')}/oauth/token`;
}

/**
 * POST /oauth/token: partners exchange client credentials for a token at the partner-merchant
 * service; the gateway is only the public address. Body and status pass through verbatim; when the
 * service cannot answer in time the caller gets RFC 6749's `temporarily_unavailable`, never its URL.
 */
export function mountTokenProxy(app: Express, options: TokenProxyOptions): void {
  const target = tokenEndpointUrl(options.partnerMerchantGraphqlUrl);
  // JSON bodies were already parsed by the service shell; anything else (a form) arrives raw.
  const rawBody = express.raw({ type: () => true, limit: limits.tokenRequestBytesMax });
  app.post('/oauth/token', rawBody, async (req: Request, res: Response) => {
    const clientId = requestedClientId(req);
    const address = req.socket.remoteAddress ?? 'unknown';
    const refusal = await options.guard.admit(clientId, address);
    if (refusal) {
      refuse(res, refusal);
      return;
    }
    let answer: UpstreamAnswer;
    try {
      answer = await callTokenEndpoint(target, req, options);
    } catch (error) {
      req.log.warn({ target, err: error }, 'token endpoint unavailable');
      res.status(503).json({ error: 'temporarily_unavailable' });
      return;
    }
    if (clientId !== undefined)
      await countOutcome(options.guard, answer, clientId, address).catch((error: unknown) =>
        req.log.warn({ err: error }, 'token attempt not counted'),
      );
    for (const name of forwardedResponseHeaders) {
      const value = answer.headers.get(name);
      if (value !== null) res.setHeader(name, value);
    }
    res.status(answer.status).send(answer.body);
  });
}

/** RFC 6749's error for a server that cannot answer now, with HTTP 429 and when to come back. */
function refuse(res: Response, refusal: TokenRefusal): void {
  const description =
    refusal.kind === 'token_lockout'
      ? 'Too many failed attempts: locked out for a while.'
      : 'Too many failed attempts: wait before trying again.';
  res
    .status(429)
    .setHeader('retry-after', String(refusal.retryAfterSeconds))
    .setHeader('cache-control', 'no-store')
    .json({
      error: 'temporarily_unavailable',
      error_description: `${description} Retry after ${refusal.retryAfterSeconds} s.`,
    });
}

/** A wrong secret (invalid_client) counts against the client id; a token issued resets it. */
async function countOutcome(
  guard: TokenGuard,
  answer: UpstreamAnswer,
  clientId: string,
  address: string,
): Promise<void> {
  if (answer.status === 200) await guard.recordSuccess(clientId);
  else if (answer.status === 401) await guard.recordFailure(clientId, address);
}

interface UpstreamAnswer {
  status: number;
  headers: { get(name: string): string | null };
  body: Buffer;
}

async function callTokenEndpoint(
  target: string,
  req: Request,
  options: TokenProxyOptions,
): Promise<UpstreamAnswer> {
  const upstream = await fetch(target, {
    method: 'POST',
    headers: requestHeaders(req),
    body: requestBody(req),
    dispatcher: options.agent,
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  // Read inside the deadline: a service that stalls mid-body is as unavailable as one that never answers.
  const body = Buffer.from(await upstream.arrayBuffer());
  return { status: upstream.status, headers: upstream.headers, body };
}

function requestHeaders(req: Request): Record<string, string> {
  const headers: Record<string, string> = { [REQUEST_ID_HEADER]: req.requestId };
  for (const name of forwardedRequestHeaders) {
    const value = req.header(name);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

function requestBody(req: Request): Buffer | string | undefined {
  const body: unknown = req.body;
  if (body === undefined || Buffer.isBuffer(body)) return body;
  return JSON.stringify(body);
}
