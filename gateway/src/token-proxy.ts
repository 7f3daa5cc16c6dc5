import express, { type Express, type Request, type Response } from 'express';
import { fetch, type Agent } from 'undici';
import { REQUEST_ID_HEADER } from '@coalition/shared/http/service-app';
import { limits } from '@coalition/shared/limits';

export interface TokenProxyOptions {
  /** The partner-merchant GraphQL URL; its token endpoint is beside it at /oauth/token. */
  partnerMerchantGraphqlUrl: string;
  agent: Agent;
  timeoutMs: number;
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
    let answer: UpstreamAnswer;
    try {
      answer = await callTokenEndpoint(target, req, options);
    } catch (error) {
      req.log.warn({ target, err: error }, 'token endpoint unavailable');
      res.status(503).json({ error: 'temporarily_unavailable' });
      return;
    }
    for (const name of forwardedResponseHeaders) {
      const value = answer.headers.get(name);
      if (value !== null) res.setHeader(name, value);
    }
    res.status(answer.status).send(answer.body);
  });
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
