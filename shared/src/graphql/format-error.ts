import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { CoalitionError, ErrorCode } from '../errors';

const KNOWN_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

// Postgres and socket codes meaning "the database is not reachable right now" (class 08
// connection exceptions, 57P0x shutdown and start-up, 53300 too many connections).
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** Whether an error, or one it wraps, says the database cannot be reached (a restart, a failover). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as {
      code?: unknown;
      message?: unknown;
      originalError?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
    if (
      typeof e.message === 'string' &&
      /^Connection terminated|the database system is (starting up|shutting down|in recovery mode)/.test(
        e.message,
      )
    )
      return true;
    current = e.driverError ?? e.originalError ?? e.cause;
  }
  return false;
}

/**
 * A validation failure caused by one of our coded errors keeps that error's code and message.
 * Validation is where graphql-js meets a scalar written inline in the query (its parseLiteral) and
 * where the gateway's query limits report, and Apollo recodes everything found there as
 * GRAPHQL_VALIDATION_FAILED: a bad amount inline would otherwise differ from the same amount sent
 * as a variable (BAD_USER_INPUT), and a subgraph's validation failure is, to the gateway, a bug.
 */
function codedValidationCause(
  formatted: GraphQLFormattedError,
  original: unknown,
): GraphQLFormattedError | undefined {
  if (formatted.extensions?.code !== 'GRAPHQL_VALIDATION_FAILED') return undefined;
  const cause = original instanceof GraphQLError ? original.originalError : undefined;
  if (!(cause instanceof CoalitionError)) return undefined;
  return {
    message: cause.message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    extensions: { ...cause.extensions },
  };
}

const variablePath = /^Variable "\$(\w+)" got invalid value .*? at "([^"]+)"; /s;
const argumentVariable = /^Variable "\$(\w+)" got invalid value /;

/**
 * A scalar's refusal of a variable (Text, Points, DateTime…) names the field it refused, as the
 * services' own checks do (`extensions.field`, relative to the input object: `stores.0.name`).
 * graphql-js says where only in its message (`… at "input.stores[0].name"; …`); the scalar
 * itself cannot know.
 */
function withVariableField(
  formatted: GraphQLFormattedError,
  original: unknown,
): GraphQLFormattedError | undefined {
  if (formatted.extensions?.code !== ErrorCode.BAD_USER_INPUT || formatted.extensions.field)
    return undefined;
  const cause = original instanceof GraphQLError ? original.originalError : undefined;
  if (!(cause instanceof CoalitionError)) return undefined;
  const [, variable, path] = variablePath.exec(formatted.message) ?? [];
  const field = path
    ? path.replace(new RegExp(`^${variable}\\.`), '').replace(/\[(\d+)\]/g, '.$1')
    : argumentVariable.exec(formatted.message)?.[1];
  if (!field) return undefined;
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
  return { ...formatted, extensions: { ...extensions, field } };
}

/**
 * Errors a caller can act on keep their code and message, without a stack. A database that cannot
 * be reached for a moment is SERVICE_UNAVAILABLE: nothing was done that the caller cannot retry
 * under the same idempotency key (a write either committed, and replays, or did not happen). Anything else (a bug,
 * a driver error) becomes a bare INTERNAL_SERVER_ERROR in production so no SQL, URL or stack
 * reaches a client; outside production it keeps its message and stack for the developer.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  production: boolean,
  original?: unknown,
): GraphQLFormattedError {
  const coded = codedValidationCause(formatted, original) ?? withVariableField(formatted, original);
  if (coded) return coded;
  if (original !== undefined && isDatabaseUnavailable(original)) {
    return {
      message:
        'The service cannot reach its database for a moment; retry under the same idempotency key.',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
    };
  }
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
