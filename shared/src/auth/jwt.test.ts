import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { limits } from '../limits';
import { AUDIENCE, ISSUER, signToken, TokenError, verifyToken } from './jwt';
import type { PublicKeys, SigningKey } from './keys';

function keyPair(kid: string): { signing: SigningKey; publicKeys: PublicKeys } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signing = {
    kid,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  return {
    signing,
    publicKeys: new Map([
      [kid, createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }))],
    ]),
  };
}

describe('verifyToken, with the tokens it has verified remembered until they expire', () => {
  const { signing, publicKeys } = keyPair('k1');
  const other = keyPair('k1');

  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives the same viewer for a token verified again, frozen so no request can change it for another', () => {
    const token = signToken(signing, { role: 'operator', sub: 'operator:ada' });
    const first = verifyToken(token, publicKeys);
    expect(first).toMatchObject({ role: 'operator', sub: 'operator:ada' });
    expect(verifyToken(token, publicKeys)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('refuses a remembered token from the second it expires, as an unremembered one', () => {
    vi.useFakeTimers({ now: new Date('2026-12-04T10:00:00.000Z') });
    const token = signToken(signing, { role: 'operator', sub: 'operator:ada' }, 2);
    expect(verifyToken(token, publicKeys).sub).toBe('operator:ada');
    vi.setSystemTime(new Date('2026-12-04T10:00:01.999Z'));
    expect(verifyToken(token, publicKeys).sub).toBe('operator:ada');
    vi.setSystemTime(new Date('2026-12-04T10:00:02.000Z'));
    expect(() => verifyToken(token, publicKeys)).toThrow(TokenError);
    expect(() => verifyToken(token, publicKeys)).toThrow(/jwt expired/);
  });

  it('keeps what one key set verified apart from another: a token signed by another key with the same id is refused', () => {
    const token = signToken(other.signing, { role: 'operator', sub: 'operator:mallory' });
    expect(verifyToken(token, other.publicKeys).sub).toBe('operator:mallory');
    expect(() => verifyToken(token, publicKeys)).toThrow(/invalid signature/);
  });

  it('refuses a token changed after signing, though the original was verified', () => {
    const token = signToken(signing, { role: 'operator', sub: 'operator:ada' });
    verifyToken(token, publicKeys);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ role: 'operator', sub: 'operator:eve', iss: 'coalition', aud: 'coalition-api', exp: 4_000_000_000 })).toString('base64url')}.${signature}`;
    expect(() => verifyToken(forged, publicKeys)).toThrow(TokenError);
  });
});

describe('verifyToken, on how long a token was minted to live', () => {
  const { signing, publicKeys } = keyPair('k2');
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const minted = (payload: Record<string, unknown>, options: jwt.SignOptions = {}) =>
    jwt.sign(payload, signing.privateKeyPem, {
      algorithm: 'RS256',
      keyid: signing.kid,
      issuer: ISSUER,
      audience: AUDIENCE,
      subject: 'someone',
      ...options,
    });

  const refused: Array<[string, () => string, RegExp]> = [
    ['a token without exp', () => minted({ role: 'operator' }), /no expiry \(exp\)/],
    [
      'a token without iat',
      () => minted({ role: 'operator' }, { noTimestamp: true, expiresIn: 600 }),
      /no issue time \(iat\)/,
    ],
    [
      'an operator token minted for 13 hours',
      () => minted({ role: 'operator' }, { expiresIn: 13 * 3600 }),
      /role operator may live at most 43200 s/,
    ],
    [
      'a member token minted for 30 days',
      () => minted({ role: 'member', memberId: randomUUID() }, { expiresIn: 30 * 24 * 3600 }),
      /role member may live at most 86400 s/,
    ],
    [
      'a service token whose iat was set back to stretch it',
      () => minted({ role: 'service', iat: nowSeconds() - 7200, exp: nowSeconds() + 600 }),
      /role service may live at most 3600 s/,
    ],
  ];
  it.each(refused)('refuses %s', (_label, token, reason) => {
    expect(() => verifyToken(token(), publicKeys)).toThrow(TokenError);
    expect(() => verifyToken(token(), publicKeys)).toThrow(reason);
  });

  it.each(Object.entries(limits.tokenLifetimeSecondsMaxByRole))(
    'accepts a %s token minted for exactly its longest lifetime, %i s',
    (role, seconds) => {
      const token = minted(
        { role, memberId: randomUUID(), partnerId: randomUUID(), storeId: randomUUID() },
        { expiresIn: seconds },
      );
      expect(verifyToken(token, publicKeys).role).toBe(role);
    },
  );

  it('will not sign what it would refuse', () => {
    expect(() =>
      signToken(signing, { role: 'operator', sub: 'operator:ada' }, 12 * 3600 + 1),
    ).toThrow(/role operator must be 1..43200 seconds/);
    expect(
      verifyToken(
        signToken(signing, { role: 'operator', sub: 'operator:ada' }, 12 * 3600),
        publicKeys,
      ).role,
    ).toBe('operator');
  });
});
