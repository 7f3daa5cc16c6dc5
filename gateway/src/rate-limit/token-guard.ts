import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { limits } from '@coalition/shared/limits';
import type { Logger } from '@coalition/shared/logger';
import type { LimiterStore } from './limiter-store';
import { recordRefusal, retryAfterSeconds, type RateLimitKind } from './refusals';

export interface TokenGuardOptions {
  failuresBeforeDelay: number;
  /** The first wait, doubled by each further failure up to limits.tokenFailureDelaySecondsMax. */
  delaySeconds: number;
  failuresBeforeLockout: number;
  lockoutSeconds: number;
  /** 0: addresses are not locked out. */
  failuresPerAddressBeforeLockout: number;
  /** How long a run of failures is remembered. */
  failureMemorySeconds: number;
}

export interface TokenRefusal {
  kind: 'token_delay' | 'token_lockout';
  retryAfterSeconds: number;
}

/**
 * Guessing client secrets at /oauth/token, made slow and then pointless: per client id, each wrong
 * secret from the failuresBeforeDelay-th on makes the next attempt wait (delaySeconds, doubling),
 * and the failuresBeforeLockout-th locks the client id out for lockoutSeconds; a correct secret
 * forgets the failures. Per address, failuresPerAddressBeforeLockout wrong secrets for any
 * client ids lock the address out (one address trying many client ids). A correct secret is
 * refused too while locked out: the lockout would mean nothing otherwise. Counters are the
 * gateway's shared ones.
 */
export class TokenGuard {
  private readonly failures: RateLimiterAbstract;
  private readonly delays: RateLimiterAbstract;
  private readonly addressFailures: RateLimiterAbstract | undefined;

  constructor(
    store: LimiterStore,
    private readonly options: TokenGuardOptions,
    private readonly logger: Logger,
    /** Told of every refusal (metrics); by default, the process-wide count and listeners. */
    private readonly onRefused: (kind: RateLimitKind) => void = recordRefusal,
  ) {
    const window = { durationSeconds: options.failureMemorySeconds };
    // A limiter refuses (and blocks) past `points`: the failure that locks out is the one past.
    this.failures = store.limiter({
      keyPrefix: 'token_failures',
      points: options.failuresBeforeLockout - 1,
      blockSeconds: options.lockoutSeconds,
      ...window,
    });
    this.delays = store.limiter({ keyPrefix: 'token_delay', points: 1, durationSeconds: 1 });
    this.addressFailures =
      options.failuresPerAddressBeforeLockout > 0
        ? store.limiter({
            keyPrefix: 'token_address',
            points: options.failuresPerAddressBeforeLockout - 1,
            blockSeconds: options.lockoutSeconds,
            ...window,
          })
        : undefined;
  }

  /** Before the secret is checked: the refusal when this client id or address must wait. */
  async admit(clientId: string | undefined, address: string): Promise<TokenRefusal | undefined> {
    const checks: [RateLimiterAbstract, string, TokenRefusal['kind']][] = [];
    if (this.addressFailures) checks.push([this.addressFailures, address, 'token_lockout']);
    if (clientId !== undefined) {
      const key = clientKey(clientId);
      checks.push([this.failures, key, 'token_lockout'], [this.delays, key, 'token_delay']);
    }
    for (const [limiter, key, kind] of checks) {
      const state = await limiter.get(key).catch(() => null);
      if (state && state.consumedPoints > limiter.points) {
        this.onRefused(kind);
        return { kind, retryAfterSeconds: retryAfterSeconds(state.msBeforeNext) };
      }
    }
    return undefined;
  }

  async recordFailure(clientId: string, address: string): Promise<void> {
    const key = clientKey(clientId);
    const failures = await consumed(this.failures, key);
    if (failures.lockedOut) {
      this.logger.warn(
        {
          clientId: key,
          address,
          failures: failures.count,
          lockoutSeconds: this.options.lockoutSeconds,
        },
        'client id locked out at /oauth/token after repeated wrong secrets',
      );
    } else if (failures.count >= this.options.failuresBeforeDelay) {
      const exponent = failures.count - this.options.failuresBeforeDelay;
      const delaySeconds = Math.min(
        this.options.delaySeconds * 2 ** exponent,
        limits.tokenFailureDelaySecondsMax,
      );
      await this.delays
        .block(key, delaySeconds)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'token delay not recorded'));
    }
    if (!this.addressFailures) return;
    const fromAddress = await consumed(this.addressFailures, address);
    if (fromAddress.lockedOut)
      this.logger.warn(
        { address, failures: fromAddress.count, lockoutSeconds: this.options.lockoutSeconds },
        'address locked out at /oauth/token after repeated wrong secrets',
      );
  }

  /** A correct secret: the client id's failures are forgotten (its address's are not). */
  async recordSuccess(clientId: string): Promise<void> {
    const key = clientKey(clientId);
    await Promise.all([this.failures.delete(key), this.delays.delete(key)]).catch(
      (error: unknown) => this.logger.warn({ err: error }, 'token failures not reset'),
    );
  }
}

function clientKey(clientId: string): string {
  return clientId.slice(0, limits.tokenClientIdKeyLengthMax);
}

/** Counts one failure; lockedOut exactly when this failure is the one that locks. */
async function consumed(
  limiter: RateLimiterAbstract,
  key: string,
): Promise<{ count: number; lockedOut: boolean }> {
  try {
    const res = await limiter.consume(key);
    return { count: res.consumedPoints, lockedOut: false };
  } catch (outcome) {
    if (!(outcome instanceof RateLimiterRes)) throw outcome;
    return {
      count: outcome.consumedPoints,
      lockedOut: outcome.consumedPoints === limiter.points + 1,
    };
  }
}
