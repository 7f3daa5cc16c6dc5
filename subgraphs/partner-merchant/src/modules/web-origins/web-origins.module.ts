import type { Express } from 'express';
import { schemaPart } from '@coalition/shared/graphql/module';
import { createWebOriginsLoaders } from './web-origins.loaders';
import { webOriginsResolvers } from './web-origins.resolvers';
import type { WebOriginsService } from './web-origins.service';

const typeDefs = schemaPart(new URL('./web-origins.graphql', import.meta.url));

/** The web origins partners let call the gateway from a browser (CORS). */
export function webOriginsModule(origins: WebOriginsService) {
  return {
    name: 'web-origins',
    typeDefs,
    resolvers: webOriginsResolvers(origins),
    createLoaders: () => createWebOriginsLoaders(origins),
  };
}

/**
 * GET /web-origins: every origin the gateway answers CORS for, read by the gateway (never published
 * beyond the network: only the gateway is). Origins are public (they are websites); which partner
 * allowed which is not said.
 */
export function mountWebOrigins(app: Express, origins: WebOriginsService): void {
  app.get('/web-origins', async (_req, res) => {
    res.json({ origins: await origins.allowed() });
  });
}
