import { resolve } from 'node:path';
import { generousRateLimits, startNetwork } from '../../shared/src/runtime/network';
import { spawnService, type ServiceProcess } from '../../shared/src/runtime/service-process';
import { subgraphs, type SubgraphName } from '../../shared/src/topology';
import { keysDir } from './databases';
import type { TestNetwork } from './network';
import type { PrivatePostgres } from './private-postgres';

/**
 * The network as startTestNetwork starts it, on a suite's private Postgres, with a settlement
 * service that can be SIGKILLed and started again on the port it had, so the gateway (which
 * composed its URL at start-up) finds it where it left it. tests/support/restartable-network.ts
 * does the same for the member service.
 *
 * A private server because a suite that holds a settlement transaction open holds back every feed
 * on its server: feeds serve only transactions older than the oldest one still running there.
 */
export interface SettlementRestartableNetwork extends TestNetwork {
  /** The settlement subgraph's GraphQL endpoint (the same across restarts). */
  settlementGraphqlUrl: string;
  /** SIGKILL: no shutdown handler runs; its open transactions are left to Postgres to abort. */
  killSettlement(): Promise<void>;
  /** Starts the settlement service again, as the network started it, on the same port. */
  restartSettlement(): Promise<ServiceProcess>;
}

const ENV = { LOG_LEVEL: 'info', NODE_ENV: 'test', APOLLO_TELEMETRY_DISABLED: '1' };

export async function startNetworkWithRestartableSettlement(
  postgres: PrivatePostgres,
  label: string,
  env: Record<string, string> = {},
): Promise<SettlementRestartableNetwork> {
  const databaseUrls: Record<SubgraphName, string> = {
    member: postgres.url(`${label}_member`),
    'partner-merchant': postgres.url(`${label}_partner`),
    settlement: postgres.url(`${label}_settlement`),
  };
  const gatewayDatabaseUrl = postgres.url(`${label}_gateway`);
  const logs: string[] = [];
  const network = await startNetwork({
    databaseUrl: (name) => databaseUrls[name],
    keysDir: keysDir(),
    gatewayDatabaseUrl,
    ports: 'ephemeral',
    output: (line) => logs.push(line),
    env: { ...ENV, ...generousRateLimits, ...env },
  });
  const { settlement, member, 'partner-merchant': partner } = network.services;
  const port = settlement.port;
  const entry = resolve(subgraphs.find((s) => s.name === 'settlement')!.dir, 'src/main.ts');
  return {
    ...network,
    graphqlUrl: `${network.gateway.url}/graphql`,
    databaseUrls,
    gatewayDatabaseUrl,
    logs,
    settlementGraphqlUrl: `${settlement.url}/graphql`,
    killSettlement: () => network.services.settlement.stop('SIGKILL'),
    restartSettlement: async () => {
      const restarted = await spawnService({
        name: 'settlement',
        entry,
        output: (line) => logs.push(line),
        env: {
          ...ENV,
          ...env,
          JWT_KEYS_DIR: keysDir(),
          PORT: String(port),
          DATABASE_URL: databaseUrls.settlement,
          MEMBER_FEED_URL: `${member.url}/feed`,
          PARTNER_FEED_URL: `${partner.url}/feed`,
        },
      });
      network.services.settlement = restarted;
      return restarted;
    },
    // network.stop walks the processes it started; settlement may since have been replaced.
    stop: async () => {
      await network.gateway.stop();
      for (const name of ['settlement', 'member', 'partner-merchant'] as const)
        await network.services[name].stop();
    },
  };
}
