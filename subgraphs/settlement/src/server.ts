import { readFileSync } from 'node:fs';
import { loadSigningKey } from '@coalition/shared/auth/keys';
import { serviceTokenProvider } from '@coalition/shared/auth/service-token';
import { FeedConsumer } from '@coalition/shared/feed/consumer';
import { httpFeedSource } from '@coalition/shared/feed/http';
import { DateTimeScalar } from '@coalition/shared/graphql/scalars';
import { startSubgraphService, type RunningService } from '@coalition/shared/service/subgraph-service';
import { CyclesMemberFacts1764064800000 } from '../migrations/1764064800000-cycles-member-facts';
import type { SettlementConfig } from './config';
import { createLoaders, type SettlementContext } from './context';
import { cyclesResolvers } from './modules/cycles/cycles.resolvers';
import { CyclesService } from './modules/cycles/cycles.service';
import { SettlementCycle } from './modules/cycles/settlement-cycle.entity';
import { recordMemberFact } from './modules/member-facts/member-feed';

export const typeDefs = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
export const entities = [SettlementCycle];
export const migrations = [CyclesMemberFacts1764064800000];
export const MEMBER_FEED_CONSUMER = 'member-feed';

/** The settlement subgraph: cycles and statements; consumes the member feed. */
export function startSettlementService(config: SettlementConfig, options: { onQuery?: (sql: string) => void } = {}): Promise<RunningService> {
  const token = serviceTokenProvider(loadSigningKey(config.JWT_KEYS_DIR), 'settlement');
  return startSubgraphService<SettlementContext>({
    name: 'settlement',
    config,
    typeDefs,
    entities,
    migrations,
    producesFeed: false,
    onQuery: options.onQuery,
    build: (dataSource, logger) => {
      const cycles = new CyclesService(dataSource);
      const memberFeed = new FeedConsumer({
        name: MEMBER_FEED_CONSUMER,
        source: httpFeedSource(config.MEMBER_FEED_URL, token),
        dataSource,
        apply: recordMemberFact,
        logger,
      });
      const c = cyclesResolvers(cycles, memberFeed);
      return {
        resolvers: { DateTime: DateTimeScalar, Query: c.Query, Partner: c.Partner },
        extendContext: (base) => ({ ...base, loaders: createLoaders(cycles) }),
        background: [memberFeed],
      };
    },
  });
}
