import { resolve } from 'node:path';
import { limits } from '../limits';
import { gatewayDefaultPort, subgraphs, type SubgraphName } from '../topology';
import { freePort } from './free-port';
import { spawnService, type ServiceProcess } from './service-process';
import { Supervisor, type SupervisorEvents } from './supervisor';

/**
 * Gateway settings whose rate limits no load reaches (the largest allowed): for benchmarks, fault
 * runs and test suites that send far more per client than production allows.
 */
export const generousRateLimits: Record<string, string> = {
  RATE_LIMIT_CLIENT_REQUESTS_PER_MINUTE: String(limits.rateLimitRequestsPerMinuteMax),
  RATE_LIMIT_CLIENT_BURST: String(limits.rateLimitBurstMax),
  RATE_LIMIT_MEMBER_REQUESTS_PER_MINUTE: String(limits.rateLimitRequestsPerMinuteMax),
  RATE_LIMIT_MEMBER_BURST: String(limits.rateLimitBurstMax),
};

export interface NetworkOptions {
  /** The database URL of each subgraph. */
  databaseUrl: (subgraph: SubgraphName) => string;
  keysDir: string;
  /** The gateway's database (its shared rate-limit counters); without one it counts in memory. */
  gatewayDatabaseUrl?: string;
  /** Fixed ports for npm start; 0 everywhere for tests. */
  ports: 'default' | 'ephemeral';
  env?: Record<string, string>;
  output?: 'inherit' | 'ignore' | ((line: string) => void);
  root?: string;
  /**
   * Restart a service that exits, as `npm start` does (see Supervisor). Off for tests, which kill
   * and restart services themselves.
   */
  restartOnExit?: SupervisorEvents;
}

export interface Network {
  gateway: ServiceProcess;
  services: Record<SubgraphName, ServiceProcess>;
  stop(): Promise<void>;
}

const entryOf = (root: string, dir: string) => resolve(root, dir, 'src/main.ts');

/**
 * Starts the whole topology as separate processes, the way `npm start` and the end-to-end tests
 * do: partner-merchant first (it feeds the member service), then member (it feeds settlement),
 * then settlement, then the gateway over all three.
 */
export async function startNetwork(options: NetworkOptions): Promise<Network> {
  const root = options.root ?? process.cwd();
  const portOf = (defaultPort: number) => String(options.ports === 'default' ? defaultPort : 0);
  const common = { JWT_KEYS_DIR: options.keysDir, APOLLO_TELEMETRY_DISABLED: '1', ...options.env };
  const started: ServiceProcess[] = [];
  const supervised = options.restartOnExit !== undefined;
  try {
    const spawnSubgraph = (name: SubgraphName, extra: Record<string, string> = {}) => {
      const spec = subgraphs.find((s) => s.name === name)!;
      return spawnService({
        name,
        entry: entryOf(root, spec.dir),
        output: options.output,
        ownProcessGroup: supervised,
        env: {
          ...common,
          PORT: portOf(spec.defaultPort),
          DATABASE_URL: options.databaseUrl(name),
          ...extra,
        },
      }).then((service) => (started.push(service), service));
    };
    // The partner service calls the member service (reward orders) and the member service reads the
    // partner feed: with ephemeral ports, the member's is chosen first so the partner can be told it.
    const memberPort =
      options.ports === 'default'
        ? subgraphs.find((s) => s.name === 'member')!.defaultPort
        : await freePort();
    const partner = await spawnSubgraph('partner-merchant', {
      REWARD_REDEMPTIONS_URL: `http://127.0.0.1:${memberPort}/internal/reward-redemptions`,
    });
    const member = await spawnSubgraph('member', {
      PORT: String(memberPort),
      PARTNER_FEED_URL: `${partner.url}/feed`,
    });
    const settlement = await spawnSubgraph('settlement', {
      MEMBER_FEED_URL: `${member.url}/feed`,
      PARTNER_FEED_URL: `${partner.url}/feed`,
    });
    const gateway = await spawnService({
      name: 'gateway',
      entry: entryOf(root, 'gateway'),
      output: options.output,
      ownProcessGroup: supervised,
      env: {
        ...common,
        PORT: portOf(gatewayDefaultPort),
        ...(options.gatewayDatabaseUrl && { RATE_LIMIT_DATABASE_URL: options.gatewayDatabaseUrl }),
        MEMBER_URL: `${member.url}/graphql`,
        PARTNER_MERCHANT_URL: `${partner.url}/graphql`,
        SETTLEMENT_URL: `${settlement.url}/graphql`,
      },
    });
    started.push(gateway);
    const supervisor = options.restartOnExit && new Supervisor(started, options.restartOnExit);
    return {
      gateway,
      services: { member, 'partner-merchant': partner, settlement },
      stop: async () => {
        // Reverse order: the gateway stops taking requests before the subgraphs go.
        if (supervisor) await supervisor.stop();
        else for (const service of [...started].reverse()) await service.stop();
      },
    };
  } catch (error) {
    for (const service of started.reverse()) await service.stop();
    throw error;
  }
}
