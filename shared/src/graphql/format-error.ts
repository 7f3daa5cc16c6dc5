import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../errors';

const KNOWN_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Errors a caller can act on keep their code and message, without a stack. Anything else (a bug,
 * a driver error) becomes a bare INTERNAL_SERVER_ERROR in production so no SQL, URL or stack
 * reaches a client; outside production it keeps its message and stack for the developer.
 */
export function formatError(formatted: GraphQLFormattedError, production: boolean): GraphQLFormattedError {
  const code = String(formatted.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR);
  if (KNOWN_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    // A business outcome is not a bug: its stack says nothing to the caller.
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  if (!production) return formatted;
  return {
    message: 'Internal server error.',
    ...(formatted.path ? { path: formatted.path } : {}),
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}
