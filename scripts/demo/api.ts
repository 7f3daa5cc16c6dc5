/**
 * The demo's only way into the network: GraphQL and POST /oauth/token through the gateway, the way
 * every client of the public API calls them. A rejected request becomes an ApiError with its code.
 */

const REQUEST_TIMEOUT_MS = 15_000;
const TRANSIENT_RETRIES = 4;
const TRANSIENT_BACKOFF_MS = 250;

export class ApiError extends Error {
  constructor(
    /** errors[0].extensions.code, or NETWORK / HTTP_<status> when there was no GraphQL answer. */
    readonly code: string,
    message: string,
    /** What the demo was doing, for the report. */
    readonly operation: string,
  ) {
    super(message);
  }
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: unknown } }[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Worth another try: the network or a service was briefly unavailable. Every demo write is safe to retry. */
const transient = (error: ApiError) =>
  error.code === 'NETWORK' ||
  error.code === 'SERVICE_UNAVAILABLE' ||
  /^HTTP_5\d\d$/.test(error.code);

export class Api {
  /** How long each request took to answer (ms, to the response headers), for the report. */
  readonly latencies: number[] = [];

  constructor(readonly gatewayUrl: string) {}

  /** One GraphQL operation; resolves with data, rejects with ApiError. Transient failures are retried. */
  async gql<T>(
    token: string,
    operation: string,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<T> {
    return this.withRetries(async () => {
      const response = await this.post(
        operation,
        '/graphql',
        JSON.stringify({ query, variables }),
        {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
        },
      );
      let body: GraphQLBody<T>;
      try {
        body = (await response.json()) as GraphQLBody<T>;
      } catch {
        throw new ApiError(
          `HTTP_${response.status}`,
          `the gateway answered ${response.status} without a GraphQL body`,
          operation,
        );
      }
      const first = body.errors?.[0];
      if (first) {
        const code =
          typeof first.extensions?.code === 'string'
            ? first.extensions.code
            : `HTTP_${response.status}`;
        throw new ApiError(code, first.message, operation);
      }
      if (body.data == null)
        throw new ApiError(
          `HTTP_${response.status}`,
          'the answer had neither data nor errors',
          operation,
        );
      return body.data;
    });
  }

  /** OAuth 2.0 client credentials; null when the credentials are refused (unknown, wrong or revoked). */
  async clientCredentialsToken(clientId: string, clientSecret: string): Promise<string | null> {
    const operation = 'POST /oauth/token';
    return this.withRetries(async () => {
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      });
      const response = await this.post(operation, '/oauth/token', form.toString(), {
        'content-type': 'application/x-www-form-urlencoded',
      });
      if (response.status === 401) return null;
      const body = (await response.json().catch(() => ({}))) as {
        access_token?: unknown;
        error?: unknown;
      };
      if (!response.ok || typeof body.access_token !== 'string') {
        throw new ApiError(
          `HTTP_${response.status}`,
          `token endpoint: ${String(body.error ?? 'no access_token')}`,
          operation,
        );
      }
      return body.access_token;
    });
  }

  private async post(
    operation: string,
    path: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<Response> {
    const started = performance.now();
    try {
      return await fetch(`${this.gatewayUrl}${path}`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (
        error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }
      ).cause;
      const why =
        cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (error as Error).message;
      throw new ApiError('NETWORK', `${this.gatewayUrl}${path}: ${why}`, operation);
    } finally {
      this.latencies.push(performance.now() - started);
    }
  }

  /** "955 requests, median 21 ms, p95 60 ms". */
  describeRequests(): string {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    return `${sorted.length} requests, median ${at(0.5)} ms, p95 ${at(0.95)} ms`;
  }

  private async withRetries<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof ApiError) || !transient(error) || attempt >= TRANSIENT_RETRIES)
          throw error;
        await sleep(TRANSIENT_BACKOFF_MS * 2 ** attempt);
      }
    }
  }
}

/**
 * Retries `call` while it fails with `code`, backing off up to `timeoutMs`: for facts that are on
 * their way (a partner the member service has not heard of yet).
 */
export async function retryWhile<T>(
  code: string,
  timeoutMs: number,
  call: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== code || Date.now() + delay > deadline)
        throw error;
      await sleep(delay);
    }
  }
}

/** Runs `work` over `items` with at most `limit` in flight; stops starting new ones once `stop()` says so. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
