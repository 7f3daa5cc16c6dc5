/**
 * npm run token: mints a development token with the network's signing key. Members' tokens come
 * from the coalition's identity provider in production; partners use client credentials at
 * POST /oauth/token.
 */
import { parseArgs } from 'node:util';
import { signToken, type Claims } from '../shared/src/auth/jwt';
import { loadSigningKey } from '../shared/src/auth/keys';
import { limits } from '../shared/src/limits';
import { runCommand, UsageError } from './cli/command';
import { networkSettings } from './cli/network-settings';

const help = `
npm run -s token -- --role <operator|member|partner|terminal> [options]

Prints a development token signed with the network's key (<COALITION_DATA_DIR>/keys, or JWT_KEYS_DIR).
Use -s so npm prints only the token:  TOKEN=$(npm run -s token -- --role operator)

  --role ROLE      operator, member, partner or terminal
  --member ID      the member (role member)
  --partner ID     the partner (roles partner and terminal)
  --store ID       the store (role terminal)
  --ttl SECONDS    lifetime, default ${limits.tokenLifetimeSecondsDefault}; at most ${limits.tokenLifetimeSecondsMaxByRole.operator} for operators, ${limits.tokenLifetimeSecondsMaxByRole.member} for the others
  -h, --help       this help

Exit codes: 0 printed, 2 bad usage or no signing key.
`;

function claimsFrom(values: Record<string, string | undefined>): Claims {
  const { role, member, partner, store } = values;
  switch (role) {
    case 'operator':
      return { role, sub: 'operator:dev' };
    case 'member':
      if (!member) throw new UsageError('--member <member id> is required for a member token');
      return { role, sub: `member:${member}`, memberId: member };
    case 'partner':
      if (!partner) throw new UsageError('--partner <partner id> is required for a partner token');
      return { role, sub: `partner:${partner}:dev`, partnerId: partner };
    case 'terminal':
      if (!partner || !store)
        throw new UsageError('--partner and --store are required for a terminal token');
      return { role, sub: `terminal:${store}:dev`, partnerId: partner, storeId: store };
    default:
      throw new UsageError(role ? `unknown role "${role}"` : '--role is required');
  }
}

await runCommand(help, async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      role: { type: 'string' },
      member: { type: 'string' },
      partner: { type: 'string' },
      store: { type: 'string' },
      ttl: { type: 'string' },
    },
  });
  const claims = claimsFrom(values);
  const ttl = Number(values.ttl ?? limits.tokenLifetimeSecondsDefault);
  const { keysDir } = networkSettings();
  console.log(signToken(loadSigningKey(keysDir), claims, ttl));
  return 0;
});
