import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphFetcher } from './subgraph-fetcher';

const DEADLINE_MS = 300;

/** A stand-in subgraph over real HTTP: each path answers one way. */
describe('the gateway calls a subgraph with a deadline on the whole exchange', () => {
  let server: Server;
  let base: string;
  const agent = new Agent({ keepAliveTimeout: 1000, connections: 4 });
  const fetcher = createSubgraphFetcher(agent, DEADLINE_MS);
  const post = (path: string) =>
    fetcher(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/graphql?echo=1') {
          res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'r-1' });
          res.end(JSON.stringify({ data: { method: req.method, body: JSON.parse(body) } }));
        } else if (req.url === '/refused') {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end('{"errors":[{"message":"no","extensions":{"code":"UNAUTHENTICATED"}}]}');
        } else if (req.url === '/stalls-mid-body') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"data":');
        }
        // '/silent' never answers.
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await agent.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the request as given and hands back status, headers and body', async () => {
    const response = await post('/graphql?echo=1');
    expect(response.ok).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('application/json');
    expect(response.headers.get('x-request-id')).toBe('r-1');
    expect(await response.json()).toEqual({
      data: { method: 'POST', body: { query: '{ __typename }' } },
    });
    expect(await response.clone().text()).toContain('"method":"POST"');
  });

  it('hands back a refusal with its status and body, not ok', async () => {
    const response = await post('/refused');
    expect(response.ok).toBe(false);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      errors: [{ extensions: { code: 'UNAUTHENTICATED' } }],
    });
  });

  it.each(['/silent', '/stalls-mid-body'])(
    'gives up on %s at the deadline with a TimeoutError',
    async (path) => {
      const started = Date.now();
      await expect(post(path)).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(DEADLINE_MS - 20);
    },
  );

  it('fails when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      fetcher(`http://127.0.0.1:${port}/graphql`, { method: 'POST', body: '{}' }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
