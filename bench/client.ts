import { Pool } from 'undici';

/** What one GraphQL call came back with, as the load generator needs it. */
export interface GraphQLResult<T> {
  data?: T | null;
  /** The first error's code (HTTP_<status> for a transport-level failure), undefined on success. */
  code?: string;
  message?: string;
}

interface Body<T> {
  data?: T | null;
  errors?: { message?: string; extensions?: { code?: unknown } }[];
}

/**
 * A keep-alive GraphQL client over one undici Pool: one origin, a fixed number of connections, no
 * pipelining (one request per connection at a time, as a browser or a POS backend would).
 */
export class GraphQLClient {
  private readonly pool: Pool;

  constructor(
    origin: string,
    private readonly path: string,
    connections: number,
  ) {
    this.pool = new Pool(origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
    });
  }

  async call<T>(
    query: string,
    variables: Record<string, unknown>,
    token: string,
  ): Promise<GraphQLResult<T>> {
    const response = await this.pool.request({
      path: this.path,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.body.text();
    let body: Body<T> | undefined;
    try {
      body = JSON.parse(text) as Body<T>;
    } catch {
      body = undefined;
    }
    const first = body?.errors?.[0];
    if (first) {
      const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'NO_CODE';
      return { data: body?.data, code, message: first.message };
    }
    if (response.statusCode !== 200 || !body)
      return { code: `HTTP_${response.statusCode}`, message: text.slice(0, 200) };
    return { data: body.data };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Runs `work` over `items` with at most `concurrency` at a time; the first failure rejects. */
export async function mapConcurrent<I, O>(
  items: readonly I[],
  concurrency: number,
  work: (item: I, index: number) => Promise<O>,
): Promise<O[]> {
  const results = new Array<O>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** The shared seeded generator: the same seed picks the same members and amounts. */
export { Rng as Random } from '../shared/src/random';
