/**
 * npm run token -- --role <member|partner|terminal|operator> [--member ID] [--partner ID] [--store ID] [--ttl SECONDS]
 * Mints a development token with the network's signing key (.data/keys). Members' tokens come from the
 * coalition's identity provider in production; partners use client credentials at POST /oauth/token.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { signToken, type Claims } from '../shared/src/auth/jwt';
import { loadSigningKey } from '../shared/src/auth/keys';

const usage =
  'usage: npm run token -- --role <member|partner|terminal|operator> [--member ID] [--partner ID] [--store ID] [--ttl SECONDS]';

function claimsFrom(values: Record<string, string | undefined>): Claims {
  const { role, member, partner, store } = values;
  switch (role) {
    case 'operator':
      return { role, sub: 'operator:dev' };
    case 'member':
      if (!member) throw new Error('--member <member id> is required for a member token');
      return { role, sub: `member:${member}`, memberId: member };
    case 'partner':
      if (!partner) throw new Error('--partner <partner id> is required for a partner token');
      return { role, sub: `partner:${partner}:dev`, partnerId: partner };
    case 'terminal':
      if (!partner || !store)
        throw new Error('--partner and --store are required for a terminal token');
      return { role, sub: `terminal:${store}:dev`, partnerId: partner, storeId: store };
    default:
      throw new Error(usage);
  }
}

try {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      member: { type: 'string' },
      partner: { type: 'string' },
      store: { type: 'string' },
      ttl: { type: 'string' },
    },
  });
  const key = loadSigningKey(resolve(process.env.JWT_KEYS_DIR ?? '.data/keys'));
  console.log(signToken(key, claimsFrom(values), Number(values.ttl ?? 3600)));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
