import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from '../logger';
import { limits } from '../limits';
import { mountMetrics, type MetricsAccess } from '../metrics/endpoint';
import { LabelGuard } from '../metrics/label-guard';
import type { ServiceMetrics } from '../metrics/service-metrics';

export const REQUEST_ID_HEADER = 'x-request-id';

const QUIET_PATHS = new Set(['/feed', '/healthz', '/readyz', '/metrics']);

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
    log: Logger;
  }
}

/** What a service shows Prometheus: its metrics, and who may read them. */
export interface Observed {
  metrics: ServiceMetrics;
  access: MetricsAccess;
}

/**
 * The HTTP shell every service shares: one request id per request (taken from the caller when it
 * sends one, so a gateway request and its subgraph calls log the same id), a child logger carrying
 * it, liveness at /healthz, readiness at /readyz and, when observed, metrics at /metrics.
 */
export function createServiceApp(
  logger: Logger,
  isReady: () => Promise<boolean>,
  observed?: Observed,
): Express {
  const app = express();
  const routes = new LabelGuard(50, /^\/[A-Za-z._/-]{0,60}$/);
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header(REQUEST_ID_HEADER);
    req.requestId = incoming && /^[\w.:-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    req.log = logger.child({ requestId: req.requestId });
    res.setHeader(REQUEST_ID_HEADER, req.requestId);
    const startedAt = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      // originalUrl: by 'finish', a router mounted at /graphql may have left req.path as '/'.
      const path = req.originalUrl.split('?')[0] ?? '';
      // Feed polls and probes arrive several times a second: keep them out of the info log.
      const level = QUIET_PATHS.has(path) && res.statusCode < 400 ? 'debug' : 'info';
      req.log[level]({ method: req.method, path, status: res.statusCode, durationMs }, 'request');
      if (observed) {
        // A path nothing serves is a scanner's: one series for all of them.
        const route = res.statusCode === 404 ? 'unmatched' : routes.value(path);
        const { metrics } = observed;
        metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
        metrics.httpDuration.observe({ method: req.method, route }, durationMs / 1000);
      }
    });
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (req, res) => {
    const ready = await isReady().catch((error: unknown) => {
      req.log.warn({ err: error }, 'readiness check failed');
      return false;
    });
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
  });
  if (observed) mountMetrics(app, observed.metrics, observed.access);
  app.use(express.json({ limit: limits.requestBodyBytesMax }));
  return app;
}

export interface Listening {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * The last word on a failed route or an unreadable body (bad JSON, too large): logged with the
 * request id, answered in the shape the caller speaks, never with express's HTML page and stack.
 */
function handleRouteError(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  const status = (error as { status?: number }).status;
  const clientError = typeof status === 'number' && status >= 400 && status < 500;
  if (!clientError) req.log.error({ err: error }, 'request failed');
  const code = clientError ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
  const message = clientError ? 'The request could not be read.' : 'Internal server error.';
  res.status(clientError ? status : 500);
  if (req.path.startsWith('/graphql')) res.json({ errors: [{ message, extensions: { code } }] });
  else if (req.path === '/oauth/token')
    res.json({ error: clientError ? 'invalid_request' : 'server_error' });
  else res.json({ error: { code, message } });
}

/** Listens once every plain route is mounted (GraphQL, mounted afterwards, answers its own errors). */
export async function listen(app: Express, host: string, port: number): Promise<Listening> {
  app.use(handleRouteError);
  const server = app.listen(port, host);
  await once(server, 'listening');
  server.keepAliveTimeout = limits.subgraphKeepAliveMs + 5_000;
  const address = server.address() as AddressInfo;
  return {
    server,
    port: address.port,
    close: async () => {
      server.closeIdleConnections();
      const closed = once(server, 'close');
      server.close();
      const timer = setTimeout(() => server.closeAllConnections(), limits.shutdownGraceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
