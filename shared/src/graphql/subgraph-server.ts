import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { Express, Request } from 'express';
import type { Server } from 'node:http';
import { authenticate, type BaseContext } from './context';
import { formatError } from './format-error';
import { mergeModules, type SubgraphModule } from './module';
import type { Logger } from '../logger';
import type { PublicKeys } from '../auth/keys';
import { graphqlMetricsPlugin } from '../metrics/graphql-plugin';
import type { ServiceMetrics } from '../metrics/service-metrics';

export interface SubgraphServerOptions<C extends BaseContext> {
  /** The subgraph's parts: their schemas and resolvers are merged, in this order. */
  modules: readonly SubgraphModule<C>[];
  publicKeys: PublicKeys;
  production: boolean;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** Adds the subgraph's per-request state (DataLoaders) to the authenticated base context. */
  extendContext: (base: BaseContext) => C;
  httpServer?: Server;
}

/** Logs every error a resolver throws that is not a coded business error: those are bugs. */
const logUnexpectedErrors: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) {
          if (!error.extensions?.code || error.extensions.code === 'INTERNAL_SERVER_ERROR') {
            contextValue.log?.error(
              { err: error.originalError ?? error, path: error.path },
              'resolver failed',
            );
          }
        }
      },
    };
  },
};

/** An Apollo subgraph mounted at /graphql on the service's express app; every request must carry a valid token. */
export async function mountSubgraph<C extends BaseContext>(
  app: Express,
  options: SubgraphServerOptions<C>,
): Promise<ApolloServer<C>> {
  const { typeDefs, resolvers } = mergeModules(options.modules);
  const schema = buildSubgraphSchema({
    typeDefs,
    // The modules' resolvers are typed by the generated types, stricter than this map's own type.
    resolvers: resolvers as GraphQLResolverMap<unknown>,
  });
  const server = new ApolloServer<C>({
    schema,
    introspection: !options.production,
    // runMain owns SIGINT/SIGTERM and stops the whole service in order. Apollo's own handler
    // (on outside NODE_ENV=test) raced it and held every shutdown for the full grace period.
    stopOnTerminationSignals: false,
    // No "did you mean" field suggestions in production either: they would rebuild the schema.
    hideSchemaDetailsFromClientErrors: options.production,
    includeStacktraceInErrorResponses: !options.production,
    formatError: (formatted, original) => formatError(formatted, options.production, original),
    plugins: [
      logUnexpectedErrors as ApolloServerPlugin<C>,
      ...(options.metrics ? [graphqlMetricsPlugin<C>(options.metrics)] : []),
      // Inline traces feed Apollo Studio, which this network does not use.
      ApolloServerPluginInlineTraceDisabled(),
      ...(options.httpServer
        ? [ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer })]
        : []),
    ],
  });
  await server.start();
  app.use(
    '/graphql',
    expressMiddleware(server, {
      context: async ({ req }: { req: Request }) => {
        const viewer = authenticate(req, options.publicKeys);
        return options.extendContext({
          viewer,
          requestId: req.requestId,
          log: req.log.child({ role: viewer.role }),
        });
      },
    }),
  );
  return server;
}
