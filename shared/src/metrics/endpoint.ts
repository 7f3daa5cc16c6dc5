import type { Express, Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { ServiceMetrics } from './service-metrics';

export interface MetricsAccess {
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string;
  production: boolean;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * GET /metrics in Prometheus's text format. With METRICS_TOKEN set, only a scraper sending it reads
 * the figures; in production without one, the route refuses and says which setting it needs (the
 * figures name operations and partners' traffic, not for the open internet).
 */
export function mountMetrics(app: Express, metrics: ServiceMetrics, access: MetricsAccess): void {
  app.get('/metrics', async (req: Request, res: Response) => {
    if (!access.token && access.production) {
      res.status(403).json({
        error: { code: 'FORBIDDEN', message: 'Set METRICS_TOKEN to serve metrics in production.' },
      });
      return;
    }
    const given = /^Bearer (.+)$/.exec(req.header('authorization') ?? '')?.[1];
    if (access.token && !(given && sameSecret(given, access.token))) {
      res
        .status(401)
        .set('www-authenticate', 'Bearer realm="metrics"')
        .json({
          error: {
            code: 'UNAUTHENTICATED',
            message: 'Metrics need the METRICS_TOKEN bearer token.',
          },
        });
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
