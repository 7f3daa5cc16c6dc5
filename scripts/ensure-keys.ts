/**
 * The one-shot `keys` job of docker-compose.yml: makes sure JWT_KEYS_DIR holds a signing key
 * (generated on the first run, kept on every later one) and prints the kid new tokens are signed with.
 *
 * When JWT_PUBLIC_KEYS_DIR is set, it also mirrors the public keys (and only those) there, for the
 * services that verify tokens but never sign one (the gateway): they never see a private key.
 * Mirroring removes public keys that left JWT_KEYS_DIR, so a rotation's retirement reaches them too.
 */
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSigningKey } from '../shared/src/auth/keys';
import { ConfigError, loadConfig, settings } from '../shared/src/config';

const PUBLIC_KEY = /^.+\.pub\.pem$/;

function mirrorPublicKeys(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  const wanted = readdirSync(from).filter((file) => PUBLIC_KEY.test(file));
  for (const file of wanted) {
    // Copy then rename: a verifier starting meanwhile reads a whole key or none.
    const partial = join(to, `.${file}.partial`);
    copyFileSync(join(from, file), partial);
    renameSync(partial, join(to, file));
  }
  for (const file of readdirSync(to)) {
    if (PUBLIC_KEY.test(file) && !wanted.includes(file)) rmSync(join(to, file));
  }
}

try {
  const config = loadConfig('keys', {
    JWT_KEYS_DIR: settings.keysDir,
    JWT_PUBLIC_KEYS_DIR: settings.keysDir.optional(),
  });
  const key = ensureSigningKey(config.JWT_KEYS_DIR);
  if (config.JWT_PUBLIC_KEYS_DIR !== undefined)
    mirrorPublicKeys(config.JWT_KEYS_DIR, config.JWT_PUBLIC_KEYS_DIR);
  process.stdout.write(`${key.kid}\n`);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG, as the services exit on a bad setting
  }
  throw error;
}
