import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { limits } from '../limits';
import type { PublicKeys, SigningKey } from './keys';

export const ISSUER = 'coalition';
export const AUDIENCE = 'coalition-api';

/**
 * Roles and the scopes they carry (DESIGN.md, Identity and access). `service` is the role the
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
const claimsSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('member'), sub: z.string().min(1), memberId: uuid }),
  z.object({ role: z.literal('partner'), sub: z.string().min(1), partnerId: uuid }),
  z.object({ role: z.literal('terminal'), sub: z.string().min(1), partnerId: uuid, storeId: uuid }),
  z.object({ role: z.literal('operator'), sub: z.string().min(1) }),
  z.object({ role: z.literal('service'), sub: z.string().min(1) }),
]);
export type Claims = z.infer<typeof claimsSchema>;
export type Viewer = Claims & { scopes: readonly Scope[] };

export function signToken(key: SigningKey, claims: Claims, lifetimeSeconds: number = limits.tokenLifetimeSecondsDefault): string {
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds <= 0 || lifetimeSeconds > limits.tokenLifetimeSecondsMax) {
    throw new RangeError(`token lifetime must be 1..${limits.tokenLifetimeSecondsMax} seconds`);
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

/** Verifies signature, key id, issuer, audience and expiry; returns the viewer or throws TokenError. */
export function verifyToken(token: string, publicKeys: PublicKeys): Viewer {
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
  if (!claims.success) throw new TokenError('token claims are malformed');
  return { ...claims.data, scopes: roleScopes[claims.data.role] };
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}
