import { createServer } from 'node:net';

/**
 * A port the OS has just had free: for servers that cannot listen on port 0 and report back
 * (Postgres), or whose port another must know before either starts (the member service's, which
 * the partner service calls). Another process could take it first; callers start at once.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
