import type { Request } from 'express';

/**
 * The client id a token request names, wherever the client put it (RFC 6749 §2.3.1: HTTP Basic, or
 * the body as a form; this API also reads JSON), without judging the request: the token endpoint
 * does that. Undefined when the request names none.
 */
export function requestedClientId(req: Request): string | undefined {
  const basic = /^Basic\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return safeDecode(decoded.slice(0, colon));
  }
  const body: unknown = req.body;
  const fields = Buffer.isBuffer(body)
    ? Object.fromEntries(new URLSearchParams(body.toString('utf8')))
    : body;
  const clientId = (fields as { client_id?: unknown } | undefined)?.client_id;
  return typeof clientId === 'string' && clientId !== '' ? clientId : undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
