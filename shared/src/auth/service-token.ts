import { signToken } from './jwt';
import type { SigningKey } from './keys';

const LIFETIME_SECONDS = 600;

/** A service's own short-lived token for calling other services' feeds, renewed well before expiry. */
export function serviceTokenProvider(key: SigningKey, service: string): () => string {
  let token = '';
  let renewAtMs = 0;
  return () => {
    if (Date.now() >= renewAtMs) {
      token = signToken(key, { role: 'service', sub: `service:${service}` }, LIFETIME_SECONDS);
      renewAtMs = Date.now() + (LIFETIME_SECONDS / 2) * 1000;
    }
    return token;
  };
}
