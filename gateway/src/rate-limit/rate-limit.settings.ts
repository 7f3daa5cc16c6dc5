import { settings } from '@coalition/shared/config';
import { limits } from '@coalition/shared/limits';

const perMinute = settings.count(1, limits.rateLimitRequestsPerMinuteMax);
const burst = settings.count(0, limits.rateLimitBurstMax);
const failures = settings.count(1, 1_000_000);

/** The gateway's rate-limit settings (docs/operations.md, Rate limits); defaults in limits.ts. */
export const rateLimitSettings = {
  /**
   * The database of the gateways' shared counters (created at start when missing). Unset: each
   * gateway process counts alone, in memory.
   */
  RATE_LIMIT_DATABASE_URL: settings.postgresUrl.optional(),
  RATE_LIMIT_CLIENT_REQUESTS_PER_MINUTE: perMinute.default(limits.rateLimitClientRequestsPerMinute),
  RATE_LIMIT_CLIENT_BURST: burst.default(limits.rateLimitClientBurst),
  RATE_LIMIT_MEMBER_REQUESTS_PER_MINUTE: perMinute.default(limits.rateLimitMemberRequestsPerMinute),
  RATE_LIMIT_MEMBER_BURST: burst.default(limits.rateLimitMemberBurst),
  TOKEN_FAILURES_BEFORE_DELAY: failures.default(limits.tokenFailuresBeforeDelay),
  TOKEN_FAILURE_DELAY_SECONDS: settings
    .count(1, limits.tokenFailureDelaySecondsMax)
    .default(limits.tokenFailureDelaySeconds),
  TOKEN_FAILURES_BEFORE_LOCKOUT: failures.default(limits.tokenFailuresBeforeLockout),
  TOKEN_LOCKOUT_SECONDS: settings.count(1, 7 * 24 * 3600).default(limits.tokenLockoutSeconds),
  /** 0: no lockout by address (behind a proxy that does not pass the caller's, all share one). */
  TOKEN_FAILURES_PER_ADDRESS_BEFORE_LOCKOUT: settings
    .count(0, 1_000_000)
    .default(limits.tokenFailuresPerAddressBeforeLockout),
};
