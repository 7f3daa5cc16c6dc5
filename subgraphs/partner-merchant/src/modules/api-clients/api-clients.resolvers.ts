import { requireRole } from '@coalition/shared/auth/authorize';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { connectionOf, pageOf, type PageArgs } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { PartnerContext } from '../../context';
import { mayConfigurePartner } from '../partners/partner-access';
import type { Partner } from '../partners/partner.entity';
import type { ApiClient } from './api-client.entity';
import { clientCursor, type ApiClientsService, type ClientScope } from './api-clients.service';

/** Operators manage every partner's credentials; a partner token its own partner's; terminals none. */
function scopeOf(viewer: Viewer): ClientScope {
  const v = requireRole(viewer, 'operator', 'partner');
  return v.role === 'operator' ? { kind: 'any' } : { kind: 'partner', partnerId: v.partnerId };
}

export function apiClientsResolvers(clients: ApiClientsService) {
  return {
    Mutation: {
      createApiClient: (
        _: unknown,
        args: { partnerId: string; storeId?: string | null; label: string },
        ctx: PartnerContext,
      ) => {
        requireRole(ctx.viewer, 'operator');
        const storeId = args.storeId == null ? null : parseId(args.storeId, 'storeId');
        return clients.create(parseId(args.partnerId, 'partnerId'), storeId, args.label);
      },
      rotateApiClientSecret: async (
        _: unknown,
        args: { clientId: string; revokePrevious?: boolean | null },
        ctx: PartnerContext,
      ) => {
        const revokePrevious = args.revokePrevious ?? false;
        const issued = await clients.rotate(scopeOf(ctx.viewer), args.clientId, revokePrevious);
        ctx.log.info(
          { clientId: args.clientId, by: ctx.viewer.sub, revokePrevious },
          'API client secret rotated',
        );
        return issued;
      },
      revokeApiClient: async (_: unknown, args: { clientId: string }, ctx: PartnerContext) => {
        const client = await clients.revoke(scopeOf(ctx.viewer), args.clientId);
        ctx.log.info({ clientId: args.clientId, by: ctx.viewer.sub }, 'API client revoked');
        return client;
      },
    },
    Partner: {
      apiClients: async (partner: Partner, args: PageArgs, ctx: PartnerContext) => {
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
      partner: (client: ApiClient, _: unknown, ctx: PartnerContext) =>
        ctx.loaders.partner.load(client.partnerId),
      store: (client: ApiClient, _: unknown, ctx: PartnerContext) =>
        client.storeId ? ctx.loaders.store.load(client.storeId) : null,
      previousSecretExpiresAt: (client: ApiClient) =>
        client.previousSecretExpiresAt && client.previousSecretExpiresAt > new Date()
          ? client.previousSecretExpiresAt
          : null,
    },
  };
}
