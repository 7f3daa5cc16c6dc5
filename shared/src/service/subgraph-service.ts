import type { Express } from 'express';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { loadPublicKeys } from '../auth/keys';
import { openDatabase } from '../db/data-source';
import { mountFeed } from '../feed/http';
import type { ContextWith, SubgraphModule } from '../graphql/module';
import { mountSubgraph } from '../graphql/subgraph-server';
import { createServiceApp, listen } from '../http/service-app';
import { createLogger, type Logger } from '../logger';
import { watchDatabasePool } from '../metrics/db-pool';
import { ServiceMetrics } from '../metrics/service-metrics';

export interface SubgraphConfig {
  NODE_ENV: 'development' | 'test' | 'production';
  LOG_LEVEL: string;
  HOST: string;
  PORT: number;
  DATABASE_URL: string;
  JWT_KEYS_DIR: string;
  METRICS_TOKEN?: string;
}

/** What a subgraph plugs into the shared service shell. */
export interface SubgraphParts<L extends object> {
  /** Its modules, in the order of its schema.graphql: the shell merges their schemas and resolvers. */
  modules: readonly SubgraphModule<ContextWith<L>>[];
  /** The modules' DataLoaders, made afresh for every request (a loader caches for one request only). */
  createLoaders: () => L;
  /** Extra HTTP routes (a token endpoint, say), mounted before GraphQL. */
  mountRoutes?: (app: Express) => void;
  /** Feeds this service consumes and periodic jobs it runs; started after it listens, stopped before it closes. */
  background?: { start(): void; stop(): Promise<void> }[];
}

export interface SubgraphSpec<L extends object> {
  name: string;
  config: SubgraphConfig;
  entities: DataSourceOptions['entities'];
  migrations: DataSourceOptions['migrations'];
  /** Serves this service's outbox at GET /feed. */
  producesFeed: boolean;
  /** Checks the migrated database before the service serves anything; throwing stops the start. */
  preflight?: (dataSource: DataSource, logger: Logger) => Promise<void>;
  build: (dataSource: DataSource, logger: Logger) => SubgraphParts<L>;
  onQuery?: (sql: string) => void;
}

export interface RunningService {
  name: string;
  port: number;
  url: string;
  dataSource: DataSource;
  logger: Logger;
  stop(): Promise<void>;
}

/**
 * The shell every subgraph runs in: migrate its own database, serve GraphQL at /graphql (token
 * required), health at /healthz, readiness at /readyz, its outbox at /feed, then start consuming
 * the feeds it depends on. Exported so tests start the same thing `npm start` does.
 */
export async function startSubgraphService<L extends object>(
  spec: SubgraphSpec<L>,
): Promise<RunningService> {
  const { config } = spec;
  const logger = createLogger(spec.name, config.LOG_LEVEL);
  const publicKeys = loadPublicKeys(config.JWT_KEYS_DIR);
  const dataSource = await openDatabase({
    url: config.DATABASE_URL,
    entities: spec.entities,
    migrations: spec.migrations,
    logger,
    onQuery: spec.onQuery,
    applicationName: spec.name,
  });
  try {
    await spec.preflight?.(dataSource, logger);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  const parts = spec.build(dataSource, logger);
  const production = config.NODE_ENV === 'production';
  const metrics = observe(spec, dataSource, parts);
  const app = createServiceApp(
    logger,
    async () => {
      await dataSource.query('SELECT 1');
      return true;
    },
    { metrics, access: { token: config.METRICS_TOKEN, production } },
  );
  if (spec.producesFeed) mountFeed(app, '/feed', dataSource, publicKeys);
  parts.mountRoutes?.(app);
  const listening = await listen(app, config.HOST, config.PORT);
  const apollo = await mountSubgraph<ContextWith<L>>(app, {
    modules: parts.modules,
    publicKeys,
    production,
    logger,
    metrics,
    extendContext: (base) => ({ ...base, loaders: parts.createLoaders() }),
    httpServer: listening.server,
  });
  for (const task of parts.background ?? []) task.start();
  const url = `http://${config.HOST}:${listening.port}`;
  logger.info({ url, graphql: `${url}/graphql` }, 'listening');
  return {
    name: spec.name,
    port: listening.port,
    url,
    dataSource,
    logger,
    stop: async () => {
      await Promise.all((parts.background ?? []).map((task) => task.stop()));
      await apollo.stop();
      await listening.close();
      await dataSource.destroy();
    },
  };
}

/** The service's metrics: its pool, its jobs and feed consumers, and the outbox it produces. */
function observe<L extends object>(
  spec: SubgraphSpec<L>,
  dataSource: DataSource,
  parts: SubgraphParts<L>,
): ServiceMetrics {
  const metrics = new ServiceMetrics(spec.name);
  watchDatabasePool(dataSource, metrics);
  metrics.watchBackground(parts.background ?? []);
  if (spec.producesFeed)
    metrics.watchOutbox(async () => {
      const rows: { seq: string | null }[] = await dataSource.query(
        'SELECT max(seq)::text AS seq FROM outbox',
      );
      return Number(rows[0]?.seq ?? 0);
    });
  return metrics;
}
