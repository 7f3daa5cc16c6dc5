import type { GatewayConfig } from '../config';
import { limits } from '@coalition/shared/limits';
import type { Logger } from '@coalition/shared/logger';
import { memoryStore, postgresStore, type LimiterStore } from './limiter-store';
import { recordRefusal, type RateLimitKind } from './refusals';
import { RequestLimits } from './request-limits';
import { TokenGuard } from './token-guard';

export interface RateLimits {
  requests: RequestLimits;
  tokens: TokenGuard;
  close(): Promise<void>;
}

/**
 * The gateway's limits, over the shared counter database when one is configured. Every refusal is
 * counted process-wide (refusals.ts) and told to `onRefused`, this gateway's metrics.
 */
export async function openRateLimits(
  config: GatewayConfig,
  logger: Logger,
  onRefused: (kind: RateLimitKind) => void = () => undefined,
): Promise<RateLimits> {
  const log = logger.child({ component: 'rate-limit' });
  const refused = (kind: RateLimitKind) => {
    recordRefusal(kind);
    onRefused(kind);
  };
  const store: LimiterStore = config.RATE_LIMIT_DATABASE_URL
    ? await postgresStore(config.RATE_LIMIT_DATABASE_URL, log)
    : memoryStore();
  if (!store.shared)
    log.info('RATE_LIMIT_DATABASE_URL is not set: rate limits are counted by this process alone');
  const requests = new RequestLimits(
    store,
    {
      client: {
        requestsPerMinute: config.RATE_LIMIT_CLIENT_REQUESTS_PER_MINUTE,
        burst: config.RATE_LIMIT_CLIENT_BURST,
      },
      member: {
        requestsPerMinute: config.RATE_LIMIT_MEMBER_REQUESTS_PER_MINUTE,
        burst: config.RATE_LIMIT_MEMBER_BURST,
      },
      burstWindowSeconds: limits.rateLimitBurstWindowSeconds,
    },
    log,
    refused,
  );
  const tokens = new TokenGuard(
    store,
    {
      failuresBeforeDelay: config.TOKEN_FAILURES_BEFORE_DELAY,
      delaySeconds: config.TOKEN_FAILURE_DELAY_SECONDS,
      failuresBeforeLockout: config.TOKEN_FAILURES_BEFORE_LOCKOUT,
      lockoutSeconds: config.TOKEN_LOCKOUT_SECONDS,
      failuresPerAddressBeforeLockout: config.TOKEN_FAILURES_PER_ADDRESS_BEFORE_LOCKOUT,
      failureMemorySeconds: limits.tokenFailureMemorySeconds,
    },
    log,
    refused,
  );
  return { requests, tokens, close: () => store.close() };
}
