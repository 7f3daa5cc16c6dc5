import type { Express } from 'express';
import { parse } from 'graphql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadPublicKeys } from '../../shared/src/auth/keys';
import type { BaseContext } from '../../shared/src/graphql/context';
import type { ModuleResolvers } from '../../shared/src/graphql/module';
import { mountSubgraph } from '../../shared/src/graphql/subgraph-server';
import { createServiceApp, listen, REQUEST_ID_HEADER } from '../../shared/src/http/service-app';
import { createLogger } from '../../shared/src/logger';
import { subgraphs, type SubgraphName } from '../../shared/src/topology';

/** What a stand-in saw of one GraphQL call: the headers the gateway must forward. */
export interface SeenRequest {
  authorization: string | undefined;
  requestId: string | undefined;
}

export interface StandInSubgraph {
  name: SubgraphName;
  graphqlUrl: string;
  port: number;
  seen: SeenRequest[];
  stop(): Promise<void>;
}

export interface StandInOptions {
  resolvers: ModuleResolvers<BaseContext>;
  keysDir: string;
  /** Holds every GraphQL call this long before answering, to play a subgraph that hangs. */
  delayMs?: number;
  mountRoutes?: (app: Express) => void;
}

/**
 * A real Apollo subgraph serving the real schema.graphql of `name`, in the same shell the real
 * services use (token verification included), with tiny fixed resolvers: the gateway can be tested
 * without the real subgraphs or their databases.
 */
export async function startStandInSubgraph(
  name: SubgraphName,
  options: StandInOptions,
): Promise<StandInSubgraph> {
  const subgraph = subgraphs.find((candidate) => candidate.name === name);
  if (!subgraph) throw new Error(`unknown subgraph ${name}`);
  const typeDefs = readFileSync(join(subgraph.dir, 'schema.graphql'), 'utf8');
  const logger = createLogger(`stand-in-${name}`, 'silent');
  const seen: SeenRequest[] = [];
  const app = createServiceApp(logger, async () => true);
  options.mountRoutes?.(app);
  app.use('/graphql', async (req, res, next) => {
    seen.push({
      authorization: req.header('authorization'),
      requestId: req.header(REQUEST_ID_HEADER),
    });
    if (options.delayMs) {
      // Stop waiting once the caller has hung up, so stopping the stand-in never waits for a sleeper.
      const hungUp = new AbortController();
      res.on('close', () => hungUp.abort());
      const answered = await sleep(options.delayMs, true, { signal: hungUp.signal }).catch(
        () => false,
      );
      if (!answered) return;
    }
    next();
  });
  const apollo = await mountSubgraph(app, {
    modules: [
      { name: `stand-in-${name}`, typeDefs: parse(typeDefs), resolvers: options.resolvers },
    ],
    publicKeys: loadPublicKeys(options.keysDir),
    production: false,
    logger,
    extendContext: (base) => base,
  });
  const listening = await listen(app, '127.0.0.1', 0);
  return {
    name,
    port: listening.port,
    graphqlUrl: `http://127.0.0.1:${listening.port}/graphql`,
    seen,
    stop: async () => {
      await apollo.stop();
      await listening.close();
    },
  };
}
