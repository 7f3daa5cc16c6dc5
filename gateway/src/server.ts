import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Express } from 'express';
import type { GraphQLError, ValidationContext } from 'graphql';
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { loadPublicKeys, type PublicKeys } from '@coalition/shared/auth/keys';
import { ConfigError } from '@coalition/shared/config';
import { assert, queryLimitError, type QueryLimitCode } from '@coalition/shared/errors';
import { createServiceApp, listen } from '@coalition/shared/http/service-app';
import { limits } from '@coalition/shared/limits';
import { createLogger, type Logger } from '@coalition/shared/logger';
import { graphqlMetricsPlugin } from '@coalition/shared/metrics/graphql-plugin';
import { ServiceMetrics } from '@coalition/shared/metrics/service-metrics';
import { subgraphs, type SubgraphName } from '@coalition/shared/topology';
import { publicSchemaSdl } from './compose';
import type { GatewayConfig } from './config';
import { gatewayContext, type GatewayContext } from './context';
import { mountCors } from './cors';
import { formatGatewayError } from './format-error';
import { openRateLimits, type RateLimits } from './rate-limit/rate-limits';
import { SubgraphDataSource } from './subgraph-data-source';
import { createSubgraphFetcher, timedFetcher } from './subgraph-fetcher';
import { mountTokenProxy } from './token-proxy';

export interface RunningGateway {
  port: number;
  /** Base URL; GraphQL is served at `${url}/graphql`, partner tokens at `${url}/oauth/token`. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The gateway: serves the committed supergraph (no introspection of subgraphs at run time), verifies
 * every caller's token, forwards it with the request id to each subgraph over keep-alive connections
 * with a deadline per call, and degrades per subgraph when one is down.
 */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  // @apollo/gateway otherwise exports anonymous usage data to Apollo; read when the gateway is built.
  process.env.APOLLO_TELEMETRY_DISABLED ??= '1';
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const publicKeys = loadPublicKeys(config.JWT_KEYS_DIR);
  const supergraphSdl = readSupergraph(config.SUPERGRAPH_PATH);
  const agent = new Agent({
    keepAliveTimeout: limits.subgraphKeepAliveMs,
    connections: limits.subgraphConnectionsMax,
  });
  const metrics = new ServiceMetrics('gateway');
  const rateLimits = await openRateLimits(config, logger, (kind) =>
    metrics.rateLimited.inc({ kind }),
  );
  let ready = false;
  const app = createServiceApp(logger, async () => ready, {
    metrics,
    access: { token: config.METRICS_TOKEN, production: config.NODE_ENV === 'production' },
  });
  const webOrigins = await mountCors(app, config, logger);
  app.get('/', (_req, res) => {
    res.json({
      service: 'coalition gateway',
      graphql: '/graphql',
      schema: '/schema.graphql',
      token: 'POST /oauth/token',
    });
  });
  mountTokenProxy(app, {
    partnerMerchantGraphqlUrl: config.PARTNER_MERCHANT_URL,
    agent,
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
    guard: rateLimits.tokens,
  });
  const listening = await listen(app, config.HOST, config.PORT);
  const { apollo, gateway } = createApolloServer(config, logger, supergraphSdl, agent, metrics);
  try {
    await apollo.start();
  } catch (error) {
    await listening.close();
    await agent.close();
    await rateLimits.close();
    throw error;
  }
  mountPublicSchema(app, gateway);
  mountGraphql(app, apollo, publicKeys, rateLimits);
  ready = true;
  const url = `http://${config.HOST}:${listening.port}`;
  logger.info(
    { url, graphql: `${url}/graphql`, production: config.NODE_ENV === 'production' },
    'listening',
  );
  return {
    port: listening.port,
    url,
    stop: async () => {
      ready = false;
      webOrigins.stop();
      await listening.close();
      await apollo.stop();
      await agent.close();
      await rateLimits.close();
    },
  };
}

function createApolloServer(
  config: GatewayConfig,
  logger: Logger,
  supergraphSdl: string,
  agent: Agent,
  metrics: ServiceMetrics,
): { apollo: ApolloServer<GatewayContext>; gateway: ApolloGateway } {
  const production = config.NODE_ENV === 'production';
  const fetcher = createSubgraphFetcher(agent, config.SUBGRAPH_TIMEOUT_MS);
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name }) => {
      const subgraph = subgraphNamed(name);
      return new SubgraphDataSource(
        subgraph.name,
        config[subgraph.urlSetting],
        timedFetcher(fetcher, subgraph.name, metrics),
        logger,
      );
    },
  });
  const armor = new ApolloArmor({
    maxDepth: { n: limits.queryDepthMax, exposeLimits: true, ...rejectWith('QUERY_TOO_DEEP') },
    costLimit: {
      maxCost: limits.queryCostMax,
      exposeLimits: true,
      ...rejectWith('QUERY_TOO_COSTLY'),
    },
    maxAliases: {
      n: limits.queryAliasesMax,
      exposeLimits: true,
      ...rejectWith('QUERY_TOO_MANY_ALIASES'),
    },
    maxDirectives: { ...rejectWith('QUERY_TOO_MANY_DIRECTIVES') },
    // armor's Apollo token plugin throws from a pipeline hook, which Apollo answers with HTTP 500;
    // graphql-js has the same limit built into its parser (parseOptions below), answered with 400.
    maxTokens: { enabled: false },
  }).protect();
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger,
    introspection: !production,
    // runMain owns SIGINT/SIGTERM and stops the whole service in order. Apollo's own handler
    // (on outside NODE_ENV=test) raced it and held every shutdown for the full grace period.
    stopOnTerminationSignals: false,
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: !production,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: limits.queryTokensMax },
    validationRules: armor.validationRules,
    plugins: [...armor.plugins, logOperations, graphqlMetricsPlugin<GatewayContext>(metrics)],
    formatError: (formatted, original) => formatGatewayError(formatted, production, original),
  });
  return { apollo, gateway };
}

/**
 * graphql-armor words a refusal as "Syntax Error: …" and Apollo answers it as a validation
 * failure, so a caller could not tell a query over a limit from a typo. Each limit reports its own
 * code instead; the gateway's formatError keeps it (shared/src/graphql/format-error.ts).
 */
function rejectWith(code: QueryLimitCode): {
  propagateOnRejection: boolean;
  onReject: ((context: ValidationContext | null, error: GraphQLError) => void)[];
} {
  return {
    propagateOnRejection: false,
    onReject: [
      (context, error) => {
        const refusal = queryLimitError(code, error.message);
        if (!context) throw refusal;
        context.reportError(refusal);
      },
    ],
  };
}

/**
 * GET /schema.graphql: the public API's SDL, without a token, so integrators (and code generators)
 * read the schema even where introspection is off. Printed once from the API schema the gateway
 * serves, so it is exactly docs/schema.graphql when the supergraph is the committed one.
 */
function mountPublicSchema(app: Express, gateway: ApolloGateway): void {
  assert(gateway.schema, 'the gateway has its schema once Apollo Server has started');
  const sdl = publicSchemaSdl(gateway.schema);
  app.get('/schema.graphql', (_req, res) => {
    res.type('text/plain; charset=utf-8').send(sdl);
  });
}

function mountGraphql(
  app: Express,
  apollo: ApolloServer<GatewayContext>,
  publicKeys: PublicKeys,
  rateLimits: RateLimits,
): void {
  app.use(
    '/graphql',
    expressMiddleware(apollo, {
      context: ({ req }) => gatewayContext(req, publicKeys, rateLimits.requests),
    }),
  );
}

/** One line per GraphQL operation: its name, how long it took and the codes of any errors. */
const logOperations: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    const startedAt = process.hrtime.bigint();
    return {
      async didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) {
          const code = error.extensions?.code;
          if (
            code === undefined ||
            code === 'INTERNAL_SERVER_ERROR' ||
            code === 'DOWNSTREAM_SERVICE_ERROR'
          ) {
            const serviceName = error.extensions?.serviceName;
            contextValue.log.error(
              { err: error.originalError ?? error, path: error.path, serviceName },
              'operation failed',
            );
          }
        }
      },
      async willSendResponse({ contextValue, operationName, operation, response }) {
        const errors =
          response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
        contextValue.log.info(
          {
            operationName: operationName ?? null,
            operationType: operation?.operation ?? null,
            durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
            errorCodes: errors.map((error) => error.extensions?.code ?? null),
          },
          'graphql operation',
        );
      },
    };
  },
};

function subgraphNamed(name: string): (typeof subgraphs)[number] {
  const subgraph = subgraphs.find((candidate) => candidate.name === name);
  if (!subgraph) {
    const known: readonly SubgraphName[] = subgraphs.map((candidate) => candidate.name);
    throw new Error(
      `The supergraph names a subgraph "${name}" the topology does not know (${known.join(', ')}); run npm run compose`,
    );
  }
  return subgraph;
}

function readSupergraph(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('gateway', [
      `SUPERGRAPH_PATH=${JSON.stringify(path)}: ${(error as Error).message} (run npm run compose)`,
    ]);
  }
}
