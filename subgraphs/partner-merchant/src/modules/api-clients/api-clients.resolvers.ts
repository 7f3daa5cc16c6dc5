import { requireRole } from '@coalition/shared/auth/authorize';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { loadReferenced } from '@coalition/shared/graphql/loaders';
import type { ContextWith } from '@coalition/shared/graphql/module';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { Resolvers } from '../../generated/graphql';
import { mayConfigurePartner } from '../partners/partner-access';
import type { PartnersLoaders } from '../partners/partners.loaders';
import type { ApiClientsLoaders } from './api-clients.loaders';
import { clientCursor, type ApiClientsService, type ClientScope } from './api-clients.service';

/** Operators manage every partner's credentials; a partner token its own partner's; terminals none. */
function scopeOf(viewer: Viewer): ClientScope {
  const v = requireRole(viewer, 'operator', 'partner');
  return v.role === 'operator' ? { kind: 'any' } : { kind: 'partner', partnerId: v.partnerId };
}

export function apiClientsResolvers(
  clients: ApiClientsService,
): Resolvers<ContextWith<ApiClientsLoaders & PartnersLoaders>> {
  return {
    Mutation: {
      createApiClient: (_, args, ctx) => {
        requireRole(ctx.viewer, 'operator');
        const storeId = args.storeId == null ? null : parseId(args.storeId, 'storeId');
        return clients.create(parseId(args.partnerId, 'partnerId'), storeId, args.label);
      },
      rotateApiClientSecret: async (_, args, ctx) => {
        const revokePrevious = args.revokePrevious ?? false;
        const issued = await clients.rotate(scopeOf(ctx.viewer), args.clientId, revokePrevious);
        ctx.log.info(
          { clientId: args.clientId, by: ctx.viewer.sub, revokePrevious },
          'API client secret rotated',
        );
        return issued;
      },
      revokeApiClient: async (_, args, ctx) => {
        const client = await clients.revoke(scopeOf(ctx.viewer), args.clientId);
        ctx.log.info({ clientId: args.clientId, by: ctx.viewer.sub }, 'API client revoked');
        return client;
      },
    },
    Partner: {
      apiClients: async (partner, args, ctx) => {
        if (!mayConfigurePartner(ctx.viewer, partner.id)) return null;
        const page = pageOf(args);
        return connectionOf(
          await ctx.loaders.apiClientsOfPartner.load({ partnerId: partner.id, page }),
          page,
          clientCursor.of,
        );
      },
    },
    ApiClient: {
      id: (client) => client.clientId,
      partner: (client, _, ctx) => loadReferenced(ctx.loaders.partner, client.partnerId, 'Partner'),
      store: (client, _, ctx) =>
        client.storeId ? loadReferenced(ctx.loaders.store, client.storeId, 'Store') : null,
      previousSecretExpiresAt: (client) =>
        client.previousSecretExpiresAt && client.previousSecretExpiresAt > new Date()
          ? client.previousSecretExpiresAt
          : null,
    },
  };
}
