import { GraphQLError } from 'graphql';

/**
 * Stable error codes, surfaced in `extensions.code`: the whole catalogue the API exposes, so the
 * gateway and every subgraph pass exactly these through. Callers branch on codes, never on
 * messages; messages are for humans and never name another party's data.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** Too many requests from one API client or member: HTTP 429, extensions.retryAfter in seconds. */
  RATE_LIMITED: 'RATE_LIMITED',
  // Wallet outcomes (subgraphs/member/src/modules/wallet/wallet.errors.ts).
  INSUFFICIENT_POINTS: 'INSUFFICIENT_POINTS',
  DUPLICATE_RECEIPT: 'DUPLICATE_RECEIPT',
  HOLD_EXPIRED: 'HOLD_EXPIRED',
  HOLD_NOT_OPEN: 'HOLD_NOT_OPEN',
  CAPTURE_EXCEEDS_HOLD: 'CAPTURE_EXCEEDS_HOLD',
  PARTNER_NOT_ACCEPTING: 'PARTNER_NOT_ACCEPTING',
  REFUND_EXCEEDS_ORIGINAL: 'REFUND_EXCEEDS_ORIGINAL',
  OFFER_NOT_AVAILABLE: 'OFFER_NOT_AVAILABLE',
  // Partner configuration outcomes (subgraphs/partner-merchant).
  EARN_RULES_OVERLAP: 'EARN_RULES_OVERLAP',
  VOUCHER_ALREADY_REDEEMED: 'VOUCHER_ALREADY_REDEEMED',
  // Reward catalogue outcomes (subgraphs/partner-merchant/src/modules/rewards).
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  // Settlement outcomes (subgraphs/settlement).
  CONTRACT_OVERLAP: 'CONTRACT_OVERLAP',
  CONTRACT_MISSING: 'CONTRACT_MISSING',
  FX_RATE_MISSING: 'FX_RATE_MISSING',
  CYCLE_ALREADY_CLOSED: 'CYCLE_ALREADY_CLOSED',
  CYCLE_OUT_OF_ORDER: 'CYCLE_OUT_OF_ORDER',
  CYCLE_NOT_APPROVED: 'CYCLE_NOT_APPROVED',
  // The gateway's query limits (shared/src/limits.ts), checked before any subgraph is called.
  QUERY_TOO_COSTLY: 'QUERY_TOO_COSTLY',
  QUERY_TOO_DEEP: 'QUERY_TOO_DEEP',
  QUERY_TOO_MANY_ALIASES: 'QUERY_TOO_MANY_ALIASES',
  QUERY_TOO_MANY_DIRECTIVES: 'QUERY_TOO_MANY_DIRECTIVES',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class CoalitionError extends GraphQLError {
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message, { extensions: { code, ...(details ?? {}) } });
  }
}

export const unauthenticated = (message = 'A valid bearer token is required.') =>
  new CoalitionError(ErrorCode.UNAUTHENTICATED, message);

export const forbidden = (message = 'You are not allowed to do this.') =>
  new CoalitionError(ErrorCode.FORBIDDEN, message);

export const badInput = (message: string, field?: string) =>
  new CoalitionError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : undefined);

export const notFound = (what: string) =>
  new CoalitionError(ErrorCode.NOT_FOUND, `${what} was not found.`);

export type QueryLimitCode =
  'QUERY_TOO_COSTLY' | 'QUERY_TOO_DEEP' | 'QUERY_TOO_MANY_ALIASES' | 'QUERY_TOO_MANY_DIRECTIVES';

const queryLimitAdvice: Record<QueryLimitCode, string> = {
  QUERY_TOO_COSTLY: 'Ask for fewer items per page (first) or fewer nested lists.',
  QUERY_TOO_DEEP: 'Nest fewer fields inside each other.',
  QUERY_TOO_MANY_ALIASES: 'Use fewer aliases, or send several requests.',
  QUERY_TOO_MANY_DIRECTIVES: 'Use fewer directives.',
};

/** A query over one of the gateway's limits; `found` is the limit's own wording of what it found. */
export const queryLimitError = (code: QueryLimitCode, found: string) =>
  new CoalitionError(
    ErrorCode[code],
    `${found.replace(/^Syntax Error: /, '')} ${queryLimitAdvice[code]}`,
  );

/** Programmer errors: fail loudly, never reach a caller as a business outcome. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Assertion failed: ${message}`);
}
