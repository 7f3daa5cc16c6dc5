import { describe, expect, it } from 'vitest';
import { createLogger } from '@coalition/shared/logger';
import { memoryStore } from './limiter-store';
import { rateLimitRefusals } from './refusals';
import { TokenGuard, type TokenGuardOptions } from './token-guard';

const options: TokenGuardOptions = {
  failuresBeforeDelay: 3,
  delaySeconds: 1,
  failuresBeforeLockout: 6,
  lockoutSeconds: 900,
  failuresPerAddressBeforeLockout: 8,
  failureMemorySeconds: 3600,
};
const guardOf = (overrides: Partial<TokenGuardOptions> = {}) =>
  new TokenGuard(memoryStore(), { ...options, ...overrides }, createLogger('test', 'silent'));

/** Fails n times; the refusal the next attempt gets, if any. */
async function failTimes(guard: TokenGuard, clientId: string, n: number, address = '10.0.0.1') {
  for (let i = 0; i < n; i++) await guard.recordFailure(clientId, address);
  return guard.admit(clientId, address);
}

describe('the token guard', () => {
  it('admits a client id until its failures reach the delay threshold', async () => {
    expect(await failTimes(guardOf(), 'pc_a', 2)).toBeUndefined();
  });

  it.each([
    [3, 1],
    [4, 2],
    [5, 4],
  ])('after %i failures makes the next attempt wait %i s', async (failures, seconds) => {
    expect(await failTimes(guardOf(), 'pc_b', failures)).toEqual({
      kind: 'token_delay',
      retryAfterSeconds: seconds,
    });
  });

  it('doubles a longer first wait too, up to a minute', async () => {
    const guard = guardOf({ delaySeconds: 20, failuresBeforeLockout: 10 });
    expect(await failTimes(guard, 'pc_slow', 4)).toMatchObject({ retryAfterSeconds: 40 });
    expect(await failTimes(guard, 'pc_slow', 1)).toMatchObject({ retryAfterSeconds: 60 });
  });

  it('locks a client id out for lockoutSeconds at failuresBeforeLockout', async () => {
    expect(await failTimes(guardOf(), 'pc_c', 6)).toEqual({
      kind: 'token_lockout',
      retryAfterSeconds: 900,
    });
  });

  it('forgets a client id’s failures on success, and only that client id’s', async () => {
    const guard = guardOf();
    await failTimes(guard, 'pc_d', 5);
    await failTimes(guard, 'pc_e', 5, '10.0.0.2');
    await guard.recordSuccess('pc_d');
    expect(await guard.admit('pc_d', '10.0.0.1')).toBeUndefined();
    expect(await failTimes(guard, 'pc_d', 2)).toBeUndefined();
    expect((await guard.admit('pc_e', '10.0.0.2'))?.kind).toBe('token_delay');
  });

  it('locks out an address trying many client ids, whatever the client id it names next', async () => {
    const guard = guardOf({ failuresBeforeDelay: 100, failuresBeforeLockout: 100 });
    for (let i = 0; i < 8; i++) await guard.recordFailure(`pc_guess${i}`, '10.9.9.9');
    expect(await guard.admit('pc_other', '10.9.9.9')).toEqual({
      kind: 'token_lockout',
      retryAfterSeconds: 900,
    });
    expect(await guard.admit(undefined, '10.9.9.9')).toMatchObject({ kind: 'token_lockout' });
    expect(await guard.admit('pc_other', '10.9.9.10')).toBeUndefined();
  });

  it('locks no address out when the address threshold is 0 (behind a proxy)', async () => {
    const guard = guardOf({
      failuresBeforeDelay: 100,
      failuresBeforeLockout: 100,
      failuresPerAddressBeforeLockout: 0,
    });
    for (let i = 0; i < 20; i++) await guard.recordFailure(`pc_guess${i}`, '10.9.9.9');
    expect(await guard.admit('pc_other', '10.9.9.9')).toBeUndefined();
  });

  it('counts each refusal for metrics', async () => {
    const before = rateLimitRefusals();
    await failTimes(guardOf(), 'pc_f', 6);
    expect(rateLimitRefusals().token_lockout).toBe(before.token_lockout + 1);
  });
});
