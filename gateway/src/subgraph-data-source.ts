import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { ErrorCode, assert } from '@coalition/shared/errors';
import { REQUEST_ID_HEADER } from '@coalition/shared/http/service-app';
import type { Logger } from '@coalition/shared/logger';
import type { SubgraphName } from '@coalition/shared/topology';
import type { GatewayContext } from './context';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type FetchRequest = Parameters<RemoteGraphQLDataSource['didEncounterError']>[1];

/**
 * A subgraph that could not answer (refused, reset, timed out, answered garbage or a bare 5xx).
 * The message names only the service: the URL, host, port and the transport error stay in the
 * gateway's log (`reason`), never in the response.
 */
export class SubgraphUnavailableError extends GraphQLError {
  constructor(
    readonly serviceName: SubgraphName,
    readonly reason: string,
  ) {
    super(`The ${serviceName} service is unavailable.`, {
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, serviceName },
    });
  }
}

/** A subgraph refused the whole request with a non-2xx status and a coded GraphQL error (401, 403, 400, ...). */
class SubgraphRejectionError extends GraphQLError {}

const codedErrorsBody = z.object({
  errors: z
    .array(
      z.object({
        message: z.string(),
        extensions: z.object({ code: z.string(), field: z.string().optional() }),
      }),
    )
    .min(1),
});

/**
 * One subgraph as the gateway sees it: forwards the caller's token and request id, and turns every
 * way the call can fail into either the subgraph's own coded error or SubgraphUnavailableError.
 * The gateway then nulls only the fields this subgraph would have resolved.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    readonly serviceName: SubgraphName,
    url: string,
    fetcher: Fetcher,
    private readonly logger: Logger,
  ) {
    super({ url, fetcher });
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Only incoming operations are sent: the supergraph is static, so no health checks or introspection.
    if (!('incomingRequestContext' in options)) return;
    const headers = options.request.http?.headers;
    assert(headers, 'RemoteGraphQLDataSource sets request.http before willSendRequest');
    headers.set('authorization', options.context.authorization);
    headers.set(REQUEST_ID_HEADER, options.context.requestId);
  }

  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    const body = await this.parseBody(response).catch(() => undefined);
    const coded = codedErrorsBody.safeParse(body);
    const first = coded.success ? coded.data.errors[0] : undefined;
    if (first) {
      // The refused field, when the subgraph named one (a scalar refusing a variable), so a
      // caller can point at it; nothing else of a rejection's extensions leaves the gateway.
      const { code, field } = first.extensions;
      return new SubgraphRejectionError(first.message, {
        extensions: { code, ...(field ? { field } : {}), serviceName: this.serviceName },
      });
    }
    return new SubgraphUnavailableError(
      this.serviceName,
      `answered HTTP ${response.status} without a coded GraphQL error`,
    );
  }

  override didEncounterError(
    error: Error,
    _fetchRequest: FetchRequest,
    _fetchResponse?: FetcherResponse,
    context?: GatewayContext,
  ): void {
    if (error instanceof SubgraphRejectionError) throw error;
    const unavailable =
      error instanceof SubgraphUnavailableError
        ? error
        : new SubgraphUnavailableError(this.serviceName, failureReason(error));
    (context?.log ?? this.logger).warn(
      { serviceName: this.serviceName, url: this.url, reason: unavailable.reason },
      'subgraph unavailable',
    );
    throw unavailable;
  }
}

/** For the log: what went wrong on the wire, e.g. "timed out", "ECONNREFUSED". */
function failureReason(error: Error): string {
  if (error.name === 'TimeoutError') return 'timed out';
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.name;
    return `${error.message}: ${code} ${cause.message}`;
  }
  return `${error.name}: ${error.message}`;
}
