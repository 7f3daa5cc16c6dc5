import cors from 'cors';
import type { Express } from 'express';
import type { Logger } from '@coalition/shared/logger';
import type { GatewayConfig } from './config';

/**
 * The web origins whose pages may call the gateway from a browser: the operator's own
 * (CORS_ORIGINS) and those partners allowed (addPartnerWebOrigin), read from the partner service
 * at start and again every `refreshMs`. A partner service that does not answer leaves the last
 * list in place.
 */
export class WebOriginList {
  private partners = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      /** The partner service's GET /web-origins. */
      url: string;
      /** CORS_ORIGINS: always allowed. */
      configured: readonly string[];
      refreshMs: number;
      logger: Logger;
    },
  ) {}

  allows(origin: string): boolean {
    return this.options.configured.includes(origin) || this.partners.has(origin);
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    try {
      const response = await fetch(this.options.url, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      const body = (await response.json()) as { origins?: unknown };
      if (!Array.isArray(body.origins)) throw new Error('answered without an origins list');
      this.partners = new Set(body.origins.filter((o): o is string => typeof o === 'string'));
    } catch (error) {
      this.options.logger.warn(
        { err: error, url: this.options.url },
        'could not read the partners web origins; keeping the last list',
      );
    }
  }
}

/**
 * CORS for /graphql and /oauth/token: an allowed origin's preflight is answered and its requests
 * carry Access-Control-Allow-Origin; any other origin gets no CORS header, so its browser refuses
 * to hand it the answer. No credentials (tokens travel in Authorization, never cookies); the
 * request id, retry-after and the 401 challenge are readable by the page.
 */
export async function mountCors(
  app: Express,
  config: Pick<GatewayConfig, 'PARTNER_MERCHANT_URL' | 'CORS_ORIGINS' | 'CORS_REFRESH_MS'>,
  logger: Logger,
): Promise<WebOriginList> {
  const origins = new WebOriginList({
    url: new URL('/web-origins', config.PARTNER_MERCHANT_URL).toString(),
    configured: config.CORS_ORIGINS,
    refreshMs: config.CORS_REFRESH_MS,
    logger,
  });
  await origins.start();
  app.use(
    ['/graphql', '/oauth/token', '/schema.graphql'],
    cors({
      origin: (origin, allow) => allow(null, origin !== undefined && origins.allows(origin)),
      credentials: false,
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'traceparent'],
      exposedHeaders: ['x-request-id', 'retry-after', 'www-authenticate'],
      maxAge: 600,
    }),
  );
  return origins;
}
