import type { IncomingHttpHeaders } from 'node:http';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { Headers, type Agent, type Dispatcher } from 'undici';
import { assert } from '@coalition/shared/errors';
import type { ServiceMetrics } from '@coalition/shared/metrics/service-metrics';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/**
 * Calls every subgraph over one keep-alive connection pool, with a deadline per call. The deadline
 * covers the whole exchange, body included, so a subgraph that stalls mid-answer is cut off too.
 *
 * It uses undici's request API, not its fetch: a subgraph call is a JSON POST and a JSON answer, and
 * fetch's Request, Response and WHATWG streams were a quarter of the gateway's CPU per earn
 * (BENCHMARKS.md, "Where the time goes (4)"). The answer is read whole, then handed to Apollo as the
 * small part of a fetch Response it reads.
 */
export function createSubgraphFetcher(agent: Agent, timeoutMs: number): Fetcher {
  assert(
    Number.isInteger(timeoutMs) && timeoutMs > 0,
    'subgraph timeout is a positive number of ms',
  );
  const targets = new Map<string, { origin: string; path: string }>();
  return async (url, init = {}) => {
    let target = targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      targets.set(url, target);
    }
    // Aborted by the deadline, undici rejects with the signal's TimeoutError, as fetch does.
    const signal = AbortSignal.timeout(timeoutMs);
    const answer = await agent.request({
      ...target,
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: init.headers,
      body: init.body,
      signal,
    });
    const body = await answer.body.text();
    return new ReadResponse(url, answer.statusCode, answer.headers, body);
  };
}

/** Times each call to one subgraph, by outcome: ok, http_error (not 2xx), timeout or failed. */
export function timedFetcher(fetcher: Fetcher, subgraph: string, metrics: ServiceMetrics): Fetcher {
  return async (url, init) => {
    const end = metrics.subgraphFetchDuration.startTimer({ subgraph });
    try {
      const response = await fetcher(url, init);
      end({ outcome: response.ok ? 'ok' : 'http_error' });
      return response;
    } catch (error) {
      end({ outcome: (error as Error).name === 'TimeoutError' ? 'timeout' : 'failed' });
      throw error;
    }
  };
}

/** A subgraph's answer, read whole: what Apollo's RemoteGraphQLDataSource reads of a fetch Response. */
class ReadResponse implements FetcherResponse {
  readonly bodyUsed = false;
  readonly redirected = false;
  readonly statusText = '';
  readonly ok: boolean;
  readonly headers: Headers;

  constructor(
    readonly url: string,
    readonly status: number,
    raw: IncomingHttpHeaders,
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = new Headers();
    for (const [name, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) this.headers.append(name, one);
    }
  }

  async text(): Promise<string> {
    return this.body;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.body);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return new TextEncoder().encode(this.body).buffer as ArrayBuffer;
  }

  /** The body is read already and never consumed, so a clone can be the same object. */
  clone(): FetcherResponse {
    return this;
  }
}
