import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '@coalition/shared/errors';
import { formatError } from '@coalition/shared/graphql/format-error';
import { subgraphs } from '@coalition/shared/topology';

const subgraphNames = new Set<string>(subgraphs.map((subgraph) => subgraph.name));

/** Codes a subgraph's error keeps on its way to the client: the business outcomes callers branch on. */
const passThroughCodes = new Set<string>(
  Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL_SERVER_ERROR),
);

/**
 * Errors that come from a subgraph carry `extensions.serviceName`: @apollo/gateway sets it on every
 * error a subgraph returned, and SubgraphDataSource on every failure to reach one. Those keep their
 * business code and message (SERVICE_UNAVAILABLE included: the data source wrote that message and
 * it names nothing but the service) and lose what could describe our internals: `response` holds
 * the subgraph's URL, and stack traces belong to the subgraph's own log. Anything else — the
 * gateway's DOWNSTREAM_SERVICE_ERROR for an uncoded subgraph error, a subgraph's
 * INTERNAL_SERVER_ERROR, a subgraph parse or validation failure (schema skew) — is a bug: a bare
 * internal error naming the service in production, its message kept for the developer otherwise,
 * as in the shared rules. The gateway's own errors follow the shared rules.
 */
export function formatGatewayError(
  formatted: GraphQLFormattedError,
  production: boolean,
  original?: unknown,
): GraphQLFormattedError {
  const serviceName = formatted.extensions?.serviceName;
  if (typeof serviceName !== 'string' || !subgraphNames.has(serviceName))
    return formatError(formatted, production, original);
  const where = {
    ...(formatted.path ? { path: formatted.path } : {}),
    ...(formatted.locations ? { locations: formatted.locations } : {}),
  };
  const code = formatted.extensions?.code;
  if (typeof code !== 'string' || !passThroughCodes.has(code)) {
    const message = production ? 'Internal server error.' : formatted.message;
    return {
      message,
      ...where,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, serviceName },
    };
  }
  const {
    response: _response,
    stacktrace: _stacktrace,
    exception: _exception,
    ...extensions
  } = formatted.extensions ?? {};
  return { message: formatted.message, ...where, extensions: { ...extensions, code, serviceName } };
}
