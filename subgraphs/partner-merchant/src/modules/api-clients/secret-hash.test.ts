import { describe, expect, it } from 'vitest';
import { hashSecret, newSecret, verifySecret } from './secret-hash';

describe('client secret hashing', () => {
  it('verifies the secret it hashed and nothing else', async () => {
    const secret = newSecret();
    const stored = await hashSecret(secret);
    expect(stored).not.toContain(secret);
    expect(stored.startsWith('scrypt$16384$8$1$')).toBe(true);
    expect(await verifySecret(secret, stored)).toBe(true);
    expect(await verifySecret(`${secret}x`, stored)).toBe(false);
    expect(await verifySecret('', stored)).toBe(false);
  });

  it('salts every hash, so equal secrets do not look equal', async () => {
    const secret = newSecret();
    expect(await hashSecret(secret)).not.toBe(await hashSecret(secret));
  });

  it('refuses a stored value it does not understand', async () => {
    expect(await verifySecret('anything', 'md5$abc')).toBe(false);
  });
});
