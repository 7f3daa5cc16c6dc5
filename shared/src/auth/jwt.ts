import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { limits } from '../limits';
import type { PublicKeys, SigningKey } from './keys';

export const ISSUER = 'coalition';
export const AUDIENCE = 'coalition-api';

/**
 * Roles and the scopes they carry (docs/architecture.md, Identity and roles). `service` is the role the
 * services use among themselves to read each other's event feeds; it reaches no GraphQL field.
 */
export const roleScopes = {
  member: ['member:self', 'wallet:self'],
  partner: ['partner:self', 'partner:configure', 'pos', 'members:consented'],
  terminal: ['pos'],
  operator: ['operator', 'partner:any', 'member:any', 'settlement'],
  service: ['feed:read'],
} as const;
export type Role = keyof typeof roleScopes;
export type Scope = (typeof roleScopes)[Role][number];

const uuid = z.string().uuid();
/**
 * A partner's own rate limit (setPartnerRateLimit), put in its clients' tokens when they are issued
 * so the gateway applies it without a lookup per request; absent: the gateway's defaults apply.
 */
const rateLimitClaim = z
  .object({
    requestsPerMinute: z.number().int().min(1).max(limits.rateLimitRequestsPerMinuteMax),
    burst: z.number().int().min(0).max(limits.rateLimitBurstMax),
  })
  .optional();
export type RateLimitClaim = NonNullable<z.infer<typeof rateLimitClaim>>;
const claimsSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('member'), sub: z.string().min(1), memberId: uuid }),
  z.object({
    role: z.literal('partner'),
    sub: z.string().min(1),
    partnerId: uuid,
    rateLimit: rateLimitClaim,
  }),
  z.object({
    role: z.literal('terminal'),
    sub: z.string().min(1),
    partnerId: uuid,
    storeId: uuid,
    rateLimit: rateLimitClaim,
  }),
  z.object({ role: z.literal('operator'), sub: z.string().min(1) }),
  z.object({ role: z.literal('service'), sub: z.string().min(1) }),
]);
export type Claims = z.infer<typeof claimsSchema>;
export type Viewer = Claims & { scopes: readonly Scope[] };

export function signToken(
  key: SigningKey,
  claims: Claims,
  lifetimeSeconds: number = limits.tokenLifetimeSecondsDefault,
): string {
  const lifetimeSecondsMax = limits.tokenLifetimeSecondsMaxByRole[claims.role];
  if (
    !Number.isInteger(lifetimeSeconds) ||
    lifetimeSeconds <= 0 ||
    lifetimeSeconds > lifetimeSecondsMax
  ) {
    throw new RangeError(
      `the lifetime of a token with role ${claims.role} must be 1..${lifetimeSecondsMax} seconds`,
    );
  }
  const { sub, ...rest } = claimsSchema.parse(claims);
  return jwt.sign({ ...rest, scope: roleScopes[claims.role].join(' ') }, key.privateKeyPem, {
    algorithm: 'RS256',
    keyid: key.kid,
    subject: sub,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: lifetimeSeconds,
  });
}

export class TokenError extends Error {}

/**
 * Tokens this process has verified, until they expire. The gateway and then each subgraph verify the
 * caller's token on every request, and RS256 verification was a tenth of the gateway's CPU per earn
 * (BENCHMARKS.md). A token verified once stays valid until its `exp`: nothing in it can change, and
 * the keys are fixed for the life of the process (one cache per key set). So a cached token is only
 * checked for expiry again, the same test jsonwebtoken makes. Bounded, least recently used out first.
 */
const verifiedTokens = new WeakMap<
  PublicKeys,
  LRUCache<string, { viewer: Viewer; expiresAtMs: number }>
>();

/** Verifies signature, key id, issuer, audience and expiry; returns the viewer or throws TokenError. */
export function verifyToken(token: string, publicKeys: PublicKeys): Viewer {
  let cache = verifiedTokens.get(publicKeys);
  if (!cache)
    verifiedTokens.set(publicKeys, (cache = new LRUCache({ max: limits.verifiedTokensCachedMax })));
  const cached = cache.get(token);
  if (cached && Date.now() < cached.expiresAtMs) return cached.viewer;
  const { viewer, expiresAtMs } = verifySignedToken(token, publicKeys);
  cache.set(token, { viewer, expiresAtMs });
  return viewer;
}

function verifySignedToken(
  token: string,
  publicKeys: PublicKeys,
): { viewer: Viewer; expiresAtMs: number } {
  const decoded = jwt.decode(token, { complete: true });
  const kid = decoded?.header.kid;
  const key = kid === undefined ? undefined : publicKeys.get(kid);
  if (!key) throw new TokenError('unknown or missing key id');
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, key, { algorithms: ['RS256'], issuer: ISSUER, audience: AUDIENCE });
  } catch (error) {
    throw new TokenError((error as Error).message);
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success || typeof payload !== 'object')
    throw new TokenError('token claims are malformed');
  const { exp, iat } = payload;
  checkLifetime(claims.data.role, iat, exp);
  const viewer = Object.freeze({ ...claims.data, scopes: roleScopes[claims.data.role] });
  // jsonwebtoken accepts a token while the current second is before `exp`: the same instant in ms.
  return { viewer, expiresAtMs: exp * 1000 };
}

/**
 * A token must say when it was issued and when it ends, and must not have been minted to live
 * longer than its role allows: jsonwebtoken alone accepts a token with no `exp` forever.
 */
function checkLifetime(
  role: Role,
  iat: number | undefined,
  exp: number | undefined,
): asserts exp is number {
  if (typeof exp !== 'number') throw new TokenError('token has no expiry (exp)');
  if (typeof iat !== 'number') throw new TokenError('token has no issue time (iat)');
  const lifetimeSecondsMax = limits.tokenLifetimeSecondsMaxByRole[role];
  if (exp - iat > lifetimeSecondsMax) {
    throw new TokenError(`a token with role ${role} may live at most ${lifetimeSecondsMax} s`);
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}
