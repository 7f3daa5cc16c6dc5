/**
 * npm start: an embedded PostgreSQL (data under .data/), then the three subgraphs and the gateway,
 * each in its own process on its default port. Ctrl-C stops everything, Postgres included; the data
 * stays for the next start. Set DATABASE_URL_<SUBGRAPH> (e.g. DATABASE_URL_MEMBER) to use another
 * Postgres for a subgraph instead.
 */
import { resolve } from 'node:path';
import { ensureSigningKey } from '../shared/src/auth/keys';
import { startEmbeddedPostgres, type PostgresServer } from '../shared/src/runtime/postgres';
import { startNetwork, type Network } from '../shared/src/runtime/network';
import { databaseNames, postgresDefaultPort, type SubgraphName } from '../shared/src/topology';

const dataDir = resolve(process.env.COALITION_DATA_DIR || '.data');
const keysDir = resolve(process.env.JWT_KEYS_DIR || `${dataDir}/keys`);
const postgresPort = Number(process.env.POSTGRES_PORT ?? postgresDefaultPort);
// Tests run a second network beside a developer's: COALITION_PORTS=ephemeral lets the OS pick ports.
const ports = process.env.COALITION_PORTS === 'ephemeral' ? 'ephemeral' : 'default';
const urlSetting = (name: SubgraphName) => `DATABASE_URL_${name.toUpperCase().replace('-', '_')}`;

async function main(): Promise<void> {
  const startedAt = Date.now();
  const key = ensureSigningKey(keysDir);
  const external = (['member', 'partner-merchant', 'settlement'] as const).every(
    (name) => process.env[urlSetting(name)],
  );
  let postgres: PostgresServer | undefined;
  if (!external) {
    console.log(`Starting PostgreSQL on 127.0.0.1:${postgresPort} (data in ${dataDir}/postgres)…`);
    postgres = await startEmbeddedPostgres({ dataDir: `${dataDir}/postgres`, port: postgresPort });
  }
  let network: Network | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the network…');
    try {
      await network?.stop();
      await postgres?.stop();
    } catch (error) {
      console.error(`While stopping: ${(error as Error).message}`);
    }
    // Through a pipe, stdout is asynchronous: exit only once the last line is out.
    process.stdout.write('Stopped.\n', () => process.exit(code));
  };
  // This script owns shutdown, in order: gateway, subgraphs, then Postgres.
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  try {
    network = await startNetwork({
      databaseUrl: (name) => process.env[urlSetting(name)] ?? postgres!.url(databaseNames[name]),
      keysDir,
      ports,
      env: {
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        NODE_ENV: process.env.NODE_ENV ?? 'development',
      },
    });
  } catch (error) {
    console.error(`Could not start the network: ${(error as Error).message}`);
    await shutdown(1);
    return;
  }
  for (const service of Object.values(network.services)) {
    service.child.once('exit', (code, signal) => {
      if (stopping) return;
      console.error(
        `${service.name} exited unexpectedly (code ${code}, signal ${signal}); stopping.`,
      );
      void shutdown(1);
    });
  }
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  console.log(`
Coalition is up in ${seconds}s.

  Gateway      ${network.gateway.url}/graphql
  Subgraphs    member ${network.services.member.url}, partner-merchant ${network.services['partner-merchant'].url}, settlement ${network.services.settlement.url}
  Signing key  ${key.kid} (in ${keysDir})

Get a development token (operator, member or partner):
  npm run token -- --role operator
  npm run token -- --role member --member <member-id>
  npm run token -- --role partner --partner <partner-id>

Then:
  curl -s ${network.gateway.url}/graphql -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
       -d '{"query":"{ partners(first: 5) { edges { node { id name } } } }"}'

Ctrl-C stops everything.`);
}

await main();
