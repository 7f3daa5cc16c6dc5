import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signToken, TokenError, verifyToken } from './jwt';
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
