import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from '../logger';
import { limits } from '../limits';

export const REQUEST_ID_HEADER = 'x-request-id';

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
    log: Logger;
  }
}

/**
 * The HTTP shell every service shares: one request id per request (taken from the caller when it
 * sends one, so a gateway request and its subgraph calls log the same id), a child logger carrying
 * it, liveness at /healthz and readiness at /readyz.
 */
export function createServiceApp(logger: Logger, isReady: () => Promise<boolean>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header(REQUEST_ID_HEADER);
    req.requestId = incoming && /^[\w.:-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    req.log = logger.child({ requestId: req.requestId });
    res.setHeader(REQUEST_ID_HEADER, req.requestId);
    const startedAt = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      req.log.info({ method: req.method, path: req.path, status: res.statusCode, durationMs }, 'request');
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
  app.use(express.json({ limit: limits.requestBodyBytesMax }));
  return app;
}

export interface Listening {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function listen(app: Express, host: string, port: number): Promise<Listening> {
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
