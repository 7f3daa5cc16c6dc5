import { generousRateLimits, startNetwork, type Network } from '../../shared/src/runtime/network';

import type { SubgraphName } from '../../shared/src/topology';
import { freshDatabaseUrl, keysDir } from './databases';

export interface TestNetwork extends Network {
  /** The gateway's GraphQL endpoint. */
  graphqlUrl: string;
  databaseUrls: Record<SubgraphName, string>;
  /** The gateway's rate-limit counters. */
  gatewayDatabaseUrl: string;
  /** Every log line the services printed, JSON, for assertions on logging. */
  logs: string[];
}

/**
 * The whole network as `npm start` runs it, each service its own process, talking real HTTP,
 * on ephemeral ports and fresh databases of the test run's Postgres.
 */
export async function startTestNetwork(
  label: string,
  env: Record<string, string> = {},
): Promise<TestNetwork> {
  const databaseUrls: Record<SubgraphName, string> = {
    member: freshDatabaseUrl(`${label}_member`),
    'partner-merchant': freshDatabaseUrl(`${label}_partner`),
    settlement: freshDatabaseUrl(`${label}_settlement`),
  };
  const gatewayDatabaseUrl = freshDatabaseUrl(`${label}_gateway`);
  const logs: string[] = [];
  const network = await startNetwork({
    databaseUrl: (name) => databaseUrls[name],
    keysDir: keysDir(),
    gatewayDatabaseUrl,
    ports: 'ephemeral',
    output: (line) => logs.push(line),
    env: {
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      // Suites close settlement cycles themselves: none closes by schedule at a midnight mid-run.
      SETTLEMENT_CYCLE_PERIOD: 'MANUAL',
      // The full suite runs several networks at once on two cores, where a subgraph can need more
      // than the production deadline (limits.subgraphTimeoutMs) to answer; suites that test the
      // deadline set their own.
      SUBGRAPH_TIMEOUT_MS: '30000',
      // Suites send many requests per client and member in a minute; tests/rate-limits.test.ts
      // sets small limits of its own.
      ...generousRateLimits,
      ...env,
    },
  });
  return {
    ...network,
    graphqlUrl: `${network.gateway.url}/graphql`,
    databaseUrls,
    gatewayDatabaseUrl,
    logs,
  };
}
