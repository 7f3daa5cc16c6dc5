/**
 * What a rate limit refused: a GraphQL request of an API client or of a member, or a token
 * request while its client id (or address) must wait after wrong secrets or is locked out.
 */
export type RateLimitKind = 'client' | 'member' | 'token_delay' | 'token_lockout';

type Listener = (kind: RateLimitKind) => void;

const listeners = new Set<Listener>();
const refusalCounts: Record<RateLimitKind, number> = {
  client: 0,
  member: 0,
  token_delay: 0,
  token_lockout: 0,
};

/**
 * Calls `listener` on every refusal, so a metrics library can count them; returns the call that
 * stops it. Listeners must not throw: a refusal is answered whatever they do.
 */
export function onRateLimited(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Refusals by kind since this process started. */
export function rateLimitRefusals(): Readonly<Record<RateLimitKind, number>> {
  return { ...refusalCounts };
}

export function recordRefusal(kind: RateLimitKind): void {
  refusalCounts[kind] += 1;
  for (const listener of listeners) listener(kind);
}

/** Retry-After is whole seconds (RFC 9110), at least 1: "0" would invite an instant retry. */
export function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}
