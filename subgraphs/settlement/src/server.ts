import { loadSigningKey } from '@coalition/shared/auth/keys';
import { serviceTokenProvider } from '@coalition/shared/auth/service-token';
import { httpFeedConsumer } from '@coalition/shared/feed/http';
import { baseModule } from '@coalition/shared/graphql/module';
import { PeriodicJob } from '@coalition/shared/service/periodic-job';
import {
  startSubgraphService,
  type RunningService,
} from '@coalition/shared/service/subgraph-service';
import { CyclesMemberFacts1764064800000 } from '../migrations/1764064800000-cycles-member-facts';
import { ContractsJournal1764122400000 } from '../migrations/1764122400000-contracts-journal';
import { SettlementCloseIndexes1764129600000 } from '../migrations/1764129600000-settlement-close-indexes';
import { Disputes1764136800000 } from '../migrations/1764136800000-disputes';
import { LotFlows1764144000000 } from '../migrations/1764144000000-lot-flows';
import { PartnerDirectory1764151200000 } from '../migrations/1764151200000-partner-directory';
import { OperatorReversalLines1765152000000 } from '../migrations/1765152000000-operator-reversal-lines';
import type { SettlementConfig } from './config';
import type { SettlementLoaders } from './context';
import { cyclesModule } from './modules/cycles/cycles.module';
import { CycleLifecycleService } from './modules/cycles/lifecycle/cycle-lifecycle.service';
import { scheduledClose } from './modules/cycles/lifecycle/cycle-schedule';
import { CycleQueriesService } from './modules/cycles/queries/cycle-queries.service';
import { StatementsService } from './modules/cycles/queries/statements.service';
import { CycleVerificationService } from './modules/cycles/verification/cycle-verification.service';
import { contractsModule } from './modules/contracts/contracts.module';
import { ContractsService } from './modules/contracts/contracts.service';
import { applyPartnerFacts } from './modules/contracts/partner-feed';
import { disputesModule } from './modules/disputes/disputes.module';
import { DisputesService } from './modules/disputes/disputes.service';
import { recordMemberFacts } from './modules/member-facts/member-feed';
import { reportsModule } from './modules/reports/reports.module';
import { ReportsService } from './modules/reports/reports.service';

export const entities = [];
export const migrations = [
  CyclesMemberFacts1764064800000,
  ContractsJournal1764122400000,
  SettlementCloseIndexes1764129600000,
  Disputes1764136800000,
  LotFlows1764144000000,
  PartnerDirectory1764151200000,
  OperatorReversalLines1765152000000,
];
export const MEMBER_FEED_CONSUMER = 'member-feed';
export const PARTNER_FEED_CONSUMER = 'partner-feed';

/** The settlement subgraph: cycles and statements; consumes the member feed. */
export function startSettlementService(
  config: SettlementConfig,
  options: { onQuery?: (sql: string) => void } = {},
): Promise<RunningService> {
  const token = serviceTokenProvider(loadSigningKey(config.JWT_KEYS_DIR), 'settlement');
  return startSubgraphService<SettlementLoaders>({
    name: 'settlement',
    config,
    entities,
    migrations,
    producesFeed: false,
    onQuery: options.onQuery,
    build: (dataSource, logger) => {
      const queries = new CycleQueriesService(dataSource);
      const lifecycle = new CycleLifecycleService(
        dataSource,
        queries,
        { model: config.SETTLEMENT_MODEL, baseCurrency: config.SETTLEMENT_BASE_CURRENCY },
        MEMBER_FEED_CONSUMER,
      );
      const feeds = { dataSource, logger, token };
      const memberFeed = httpFeedConsumer(feeds, {
        name: MEMBER_FEED_CONSUMER,
        feedUrl: config.MEMBER_FEED_URL,
        apply: recordMemberFacts,
      });
      const partnerFeed = httpFeedConsumer(feeds, {
        name: PARTNER_FEED_CONSUMER,
        feedUrl: config.PARTNER_FEED_URL,
        apply: applyPartnerFacts,
      });
      const parts = {
        contracts: contractsModule(
          new ContractsService(dataSource),
          config.SETTLEMENT_BASE_CURRENCY,
        ),
        cycles: cyclesModule({
          lifecycle,
          queries,
          verification: new CycleVerificationService(dataSource, queries),
          statements: new StatementsService(dataSource),
          memberFeed,
        }),
        disputes: disputesModule(new DisputesService(dataSource)),
        reports: reportsModule(new ReportsService(dataSource), () => memberFeed.position()),
      };
      return {
        // In the order of schema.graphql: base.graphql, then the modules by name.
        modules: [baseModule(new URL('./base.graphql', import.meta.url)), ...Object.values(parts)],
        createLoaders: () => ({
          ...parts.contracts.createLoaders(),
          ...parts.cycles.createLoaders(),
        }),
        background: [
          memberFeed,
          partnerFeed,
          new PeriodicJob(
            'settlement-schedule',
            config.SETTLEMENT_SCHEDULE_INTERVAL_MS,
            scheduledClose(config.SETTLEMENT_CYCLE_PERIOD, lifecycle, logger),
            logger,
          ),
        ],
      };
    },
  });
}
