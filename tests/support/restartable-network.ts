import { resolve } from 'node:path';
import { generousRateLimits, startNetwork, type Network } from '../../shared/src/runtime/network';
import { spawnService, type ServiceProcess } from '../../shared/src/runtime/service-process';
import type { SubgraphName } from '../../shared/src/topology';
import { keysDir } from './databases';
import type { PrivatePostgres } from './private-postgres';

/**
 * The whole network as startTestNetwork starts it, on a suite's private Postgres, with a member
 * service that can be SIGKILLed and started again: on the port it had, so the gateway, and the
 * settlement service reading its feed, find it where they left it.
 */
export interface RestartableNetwork extends Network {
  graphqlUrl: string;
  databaseUrls: Record<SubgraphName, string>;
  logs: string[];
  /** The member subgraph's GraphQL endpoint (the same across restarts). */
  memberGraphqlUrl: string;
  /** SIGKILL: no shutdown handler runs, open transactions are left to Postgres to abort. */
  killMember(): Promise<void>;
  /** Starts the member service again, as the network started it, on the same port. */
  restartMember(): Promise<ServiceProcess>;
}

const ENV = { LOG_LEVEL: 'info', NODE_ENV: 'test', APOLLO_TELEMETRY_DISABLED: '1' };

export async function startRestartableNetwork(
  postgres: PrivatePostgres,
  label: string,
): Promise<RestartableNetwork> {
  const databaseUrls: Record<SubgraphName, string> = {
    member: postgres.url(`${label}_member`),
    'partner-merchant': postgres.url(`${label}_partner`),
    settlement: postgres.url(`${label}_settlement`),
  };
  const logs: string[] = [];
  const network = await startNetwork({
    databaseUrl: (name) => databaseUrls[name],
    keysDir: keysDir(),
    ports: 'ephemeral',
    output: (line) => logs.push(line),
    env: { ...ENV, ...generousRateLimits },
  });
  const { member, 'partner-merchant': partner } = network.services;
  const memberPort = member.port;
  const killMember = () => network.services.member.stop('SIGKILL');
  const restartMember = async () => {
    const restarted = await spawnService({
      name: 'member',
      entry: resolve('subgraphs/member/src/main.ts'),
      output: (line) => logs.push(line),
      env: {
        ...ENV,
        JWT_KEYS_DIR: keysDir(),
        PORT: String(memberPort),
        DATABASE_URL: databaseUrls.member,
        PARTNER_FEED_URL: `${partner.url}/feed`,
      },
    });
    network.services.member = restarted;
    return restarted;
  };
  return {
    ...network,
    graphqlUrl: `${network.gateway.url}/graphql`,
    databaseUrls,
    logs,
    memberGraphqlUrl: `${member.url}/graphql`,
    killMember,
    restartMember,
    // network.stop walks the processes it started; the member may since have been replaced.
    stop: async () => {
      await network.gateway.stop();
      for (const name of ['settlement', 'member', 'partner-merchant'] as const)
        await network.services[name].stop();
    },
  };
}
