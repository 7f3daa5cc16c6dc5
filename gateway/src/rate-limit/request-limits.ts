import { BurstyRateLimiter, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitClaim, Viewer } from '@coalition/shared/auth/jwt';
import type { Logger } from '@coalition/shared/logger';
import type { LimiterStore } from './limiter-store';
import { recordRefusal, retryAfterSeconds, type RateLimitKind } from './refusals';

/** A sustained rate and a spike reserve above it. */
export type RateLimitPolicy = RateLimitClaim;

export interface RequestLimitsOptions {
  /** API clients (partner and terminal credentials) whose partner has no limit of its own. */
  client: RateLimitPolicy;
  member: RateLimitPolicy;
  burstWindowSeconds: number;
}

export interface Refusal {
  kind: RateLimitKind;
  retryAfterSeconds: number;
}

interface Subject {
  kind: 'client' | 'member';
  key: string;
  policy: RateLimitPolicy;
}

/**
 * Who a request counts against: an API client by its client id (the token's subject), with its
 * partner's own limit when the token carries one; a member by member id, whichever app holds the
 * token. Operators and services are not limited: they are the coalition's own.
 */
function subjectOf(viewer: Viewer, options: RequestLimitsOptions): Subject | undefined {
  switch (viewer.role) {
    case 'partner':
    case 'terminal':
      return { kind: 'client', key: viewer.sub, policy: viewer.rateLimit ?? options.client };
    case 'member':
      return { kind: 'member', key: viewer.memberId, policy: options.member };
    default:
      return undefined;
  }
}

/**
 * Token buckets per API client and per member, as rate-limiter-flexible's BurstyRateLimiter: up
 * to requestsPerMinute in each minute, and once those are spent, up to `burst` more from a reserve
 * that refills burstWindowSeconds after its first use.
 */
export class RequestLimits {
  constructor(
    private readonly store: LimiterStore,
    private readonly options: RequestLimitsOptions,
    private readonly logger: Logger,
    /** Told of every refusal (metrics); by default, the process-wide count and listeners. */
    private readonly onRefused: (kind: RateLimitKind) => void = recordRefusal,
  ) {}

  /** Counts the request; the refusal when the viewer is over its limit. */
  async take(viewer: Viewer): Promise<Refusal | undefined> {
    const subject = subjectOf(viewer, this.options);
    if (!subject) return undefined;
    try {
      await this.limiter(subject).consume(subject.key);
      return undefined;
    } catch (outcome) {
      if (!(outcome instanceof RateLimiterRes)) {
        // The store and its in-memory insurance both failed: a bug, not one to refuse requests for.
        this.logger.error({ err: outcome, kind: subject.kind }, 'rate limit not applied');
        return undefined;
      }
      this.onRefused(subject.kind);
      return { kind: subject.kind, retryAfterSeconds: retryAfterSeconds(outcome.msBeforeNext) };
    }
  }

  private limiter({ kind, policy }: Subject): BurstyRateLimiter {
    const sustained = this.store.limiter({
      keyPrefix: kind,
      points: policy.requestsPerMinute,
      durationSeconds: 60,
      refuseOverFromMemory: true,
    });
    const burst = this.store.limiter({
      keyPrefix: `${kind}_burst`,
      points: policy.burst,
      durationSeconds: this.options.burstWindowSeconds,
      refuseOverFromMemory: true,
    });
    return new BurstyRateLimiter(sustained, burst);
  }
}
