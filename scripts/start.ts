/**
 * npm start: an embedded PostgreSQL (data under .data/), then the three subgraphs and the gateway,
 * each in its own process on its default port. A service that exits is started again (with
 * backoff) while the others keep running. Ctrl-C stops everything, Postgres included; the data
 * stays for the next start. Set DATABASE_URL_<SUBGRAPH> (e.g. DATABASE_URL_MEMBER) to use another
 * Postgres for a subgraph instead.
 */
import { ensureSigningKey } from '../shared/src/auth/keys';
import { startEmbeddedPostgres, type PostgresServer } from '../shared/src/runtime/postgres';
import { startNetwork, type Network } from '../shared/src/runtime/network';
import {
  databaseNames,
  gatewayDatabaseName,
  postgresDefaultPort,
  subgraphs,
} from '../shared/src/topology';
import {
  databaseUrlSetting,
  forgetNetwork,
  networkSettings,
  recordNetwork,
  runningNetwork,
} from './cli/network-settings';

// npm start's own settings: never what an earlier start recorded (tools read that).
const settings = networkSettings({ ...process.env, GATEWAY_URL: '' });
const postgresPort = Number(process.env.POSTGRES_PORT || postgresDefaultPort);
// Tests run a second network beside a developer's: COALITION_PORTS=ephemeral lets the OS pick ports.
const ports = process.env.COALITION_PORTS === 'ephemeral' ? 'ephemeral' : 'default';

async function startPostgres(): Promise<PostgresServer | undefined> {
  const external = subgraphs.every(({ name }) => process.env[databaseUrlSetting(name)]);
  if (external) return undefined;
  const dataDir = `${settings.dataDir}/postgres`;
  console.log(`Starting PostgreSQL on 127.0.0.1:${postgresPort} (data in ${dataDir})…`);
  return startEmbeddedPostgres({ dataDir, port: postgresPort });
}

function startServices(
  postgres: PostgresServer | undefined,
  onRestarted: () => void,
): Promise<Network> {
  return startNetwork({
    databaseUrl: (name) =>
      process.env[databaseUrlSetting(name)] || postgres!.url(databaseNames[name]),
    gatewayDatabaseUrl: process.env.RATE_LIMIT_DATABASE_URL || postgres?.url(gatewayDatabaseName),
    keysDir: settings.keysDir,
    ports,
    env: {
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      NODE_ENV: process.env.NODE_ENV ?? 'development',
    },
    restartOnExit: {
      onExit: (name, how, delayMs) =>
        console.error(`${name} exited (${how}); starting it again in ${delayMs / 1000} s.`),
      onRestarted: (service) => {
        onRestarted(); // recorded before it is announced: whoever reads the line finds the new pid
        console.error(`${service.name} is back on ${service.url}.`);
      },
      onRestartFailed: (name, error) =>
        console.error(`${name} did not start again: ${error.message}`),
    },
  });
}

/** The hint printed at start-up works when pasted into a shell, from this directory. */
function tokenHint(network: Network): string {
  const env = [
    process.env.COALITION_DATA_DIR ? `COALITION_DATA_DIR=${settings.dataDir} ` : '',
    process.env.JWT_KEYS_DIR ? `JWT_KEYS_DIR=${settings.keysDir} ` : '',
  ].join('');
  return `Get a development token (roles: operator; member --member ID; partner --partner ID):
  TOKEN=$(${env}npm run -s token -- --role operator)

Then:
  curl -s ${network.gateway.url}/graphql -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
       -d '{"query":"{ partners(first: 5) { edges { node { id name } } } }"}'`;
}

/** Where tools find this network (see scripts/cli/network-settings.ts); kept current on restarts. */
function record(network: Network, postgres: PostgresServer | undefined): void {
  recordNetwork(settings.dataDir, {
    gatewayUrl: network.gateway.url,
    postgresPort: postgres?.port ?? postgresPort,
    services: Object.fromEntries(
      [network.gateway, ...Object.values(network.services)].map((service) => [
        service.name,
        { url: service.url, pid: service.child.pid ?? 0 },
      ]),
    ),
  });
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const running = runningNetwork(settings.dataDir);
  if (running) {
    console.error(
      `Another npm start (pid ${running.pid}) runs this network already, its gateway at ${running.gatewayUrl}. ` +
        'Stop it first, or set COALITION_DATA_DIR (and POSTGRES_PORT) to start another.',
    );
    process.exit(1);
  }
  const key = ensureSigningKey(settings.keysDir);
  let postgres: PostgresServer | undefined;
  let network: Network | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the network…');
    try {
      forgetNetwork(settings.dataDir);
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
    postgres = await startPostgres();
    network = await startServices(postgres, () => {
      if (network && !stopping) record(network, postgres);
    });
  } catch (error) {
    console.error(`Could not start the network: ${(error as Error).message}`);
    await shutdown(1);
    return;
  }
  record(network, postgres);
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  console.log(`
Coalition is up in ${seconds}s.

  Gateway      ${network.gateway.url}/graphql
  Subgraphs    member ${network.services.member.url}, partner-merchant ${network.services['partner-merchant'].url}, settlement ${network.services.settlement.url}
  Signing key  ${key.kid} (in ${settings.keysDir})

${tokenHint(network)}

Ctrl-C stops everything.`);
}

await main();
