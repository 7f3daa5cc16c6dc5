import { describe, expect, it } from 'vitest';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { roleScopes } from '@coalition/shared/auth/jwt';
import { createLogger } from '@coalition/shared/logger';
import { memoryStore } from './limiter-store';
import { onRateLimited } from './refusals';
import { RequestLimits } from './request-limits';

const PARTNER = '22222222-2222-4222-8222-222222222222';
const limitsOf = () =>
  new RequestLimits(
    memoryStore(),
    {
      client: { requestsPerMinute: 2, burst: 1 },
      member: { requestsPerMinute: 1, burst: 0 },
      burstWindowSeconds: 600,
    },
    createLogger('test', 'silent'),
  );
const partner = (
  sub: string,
  rateLimit?: { requestsPerMinute: number; burst: number },
): Viewer => ({
  role: 'partner',
  sub,
  partnerId: PARTNER,
  rateLimit,
  scopes: roleScopes.partner,
});
const member = (memberId: string): Viewer => ({
  role: 'member',
  sub: 'app',
  memberId,
  scopes: roleScopes.member,
});

async function admitted(limits: RequestLimits, viewer: Viewer, n: number): Promise<number> {
  let count = 0;
  for (let i = 0; i < n; i++) if ((await limits.take(viewer)) === undefined) count += 1;
  return count;
}

describe('request limits', () => {
  it('let a client spend its rate, then its burst, then refuse with when to come back', async () => {
    const limits = limitsOf();
    expect(await admitted(limits, partner('pc_one'), 3)).toBe(3);
    const refusal = await limits.take(partner('pc_one'));
    expect(refusal?.kind).toBe('client');
    expect(refusal?.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(refusal?.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it("apply a partner's own limit from the token's claim", async () => {
    const limits = limitsOf();
    expect(await admitted(limits, partner('pc_big', { requestsPerMinute: 10, burst: 0 }), 12)).toBe(
      10,
    );
    expect(await admitted(limits, partner('pc_small', { requestsPerMinute: 1, burst: 0 }), 3)).toBe(
      1,
    );
  });

  it('count members by member id, apart from clients', async () => {
    const limits = limitsOf();
    expect(await admitted(limits, member('m-1'), 2)).toBe(1);
    expect(await admitted(limits, member('m-2'), 1)).toBe(1);
    expect(await admitted(limits, partner('m-1'), 1)).toBe(1);
  });

  it('leave operators alone', async () => {
    const operator: Viewer = { role: 'operator', sub: 'op', scopes: roleScopes.operator };
    expect(await admitted(limitsOf(), operator, 50)).toBe(50);
  });

  it('tell a listener of every refusal, until it stops listening', async () => {
    const kinds: string[] = [];
    const stop = onRateLimited((kind) => kinds.push(kind));
    const limits = limitsOf();
    await admitted(limits, member('m-3'), 3);
    stop();
    await admitted(limits, member('m-3'), 1);
    expect(kinds).toEqual(['member', 'member']);
  });
});
