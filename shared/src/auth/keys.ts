import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config';

/**
 * RS256 key material lives in one directory:
 *   <kid>.key.pem  private key (0600), only needed by token issuers;
 *   <kid>.pub.pem  public key, needed by every verifier;
 *   current-kid    the kid new tokens are signed with.
 * Rotation: add a new pair, point current-kid at it, and remove the old public key once the
 * tokens signed with it have expired. Verifiers accept every public key present.
 */
export interface SigningKey {
  kid: string;
  privateKeyPem: string;
}

const CURRENT = 'current-kid';

export function ensureSigningKey(dir: string): SigningKey {
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(dir, CURRENT))) return loadSigningKey(dir);
  const kid = `k-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(join(dir, `${kid}.key.pem`), privateKeyPem, { mode: 0o600 });
  writeFileSync(
    join(dir, `${kid}.pub.pem`),
    publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  );
  writeFileSync(join(dir, CURRENT), `${kid}\n`);
  chmodSync(join(dir, `${kid}.key.pem`), 0o600);
  return { kid, privateKeyPem };
}

export function loadSigningKey(dir: string): SigningKey {
  const currentPath = join(dir, CURRENT);
  if (!existsSync(currentPath))
    throw new ConfigError('keys', [
      `JWT_KEYS_DIR=${JSON.stringify(dir)}: holds no signing key (current-kid is missing; npm start generates one)`,
    ]);
  const kid = readFileSync(currentPath, 'utf8').trim();
  return { kid, privateKeyPem: readFileSync(join(dir, `${kid}.key.pem`), 'utf8') };
}

/**
 * Verifiers' keys by kid, parsed once: handing jsonwebtoken a PEM string made it parse the key on
 * every verification (createPublicKey was 13% of the gateway's CPU profile under load).
 */
export type PublicKeys = ReadonlyMap<string, KeyObject>;

export function loadPublicKeys(dir: string): Map<string, KeyObject> {
  if (!existsSync(dir))
    throw new ConfigError('keys', [
      `JWT_KEYS_DIR=${JSON.stringify(dir)}: the directory does not exist`,
    ]);
  const keys = new Map<string, KeyObject>();
  for (const file of readdirSync(dir)) {
    const match = /^(.+)\.pub\.pem$/.exec(file);
    if (match?.[1]) keys.set(match[1], createPublicKey(readFileSync(join(dir, file), 'utf8')));
  }
  if (keys.size === 0)
    throw new ConfigError('keys', [
      `JWT_KEYS_DIR=${JSON.stringify(dir)}: holds no <kid>.pub.pem public key`,
    ]);
  return keys;
}
