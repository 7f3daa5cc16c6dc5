import { requireRole } from '@coalition/shared/auth/authorize';
import { parseId } from '@coalition/shared/validation';
import type { PartnerContext } from '../../context';
import type { ApiClient } from './api-client.entity';
import type { ApiClientsService } from './api-clients.service';

export function apiClientsResolvers(clients: ApiClientsService) {
  return {
    Mutation: {
      createApiClient: (_: unknown, args: { partnerId: string; storeId?: string | null; label: string }, ctx: PartnerContext) => {
        requireRole(ctx.viewer, 'operator');
        const storeId = args.storeId == null ? null : parseId(args.storeId, 'storeId');
        return clients.create(parseId(args.partnerId, 'partnerId'), storeId, args.label);
      },
      revokeApiClient: (_: unknown, args: { clientId: string }, ctx: PartnerContext) => {
        requireRole(ctx.viewer, 'operator');
        return clients.revoke(args.clientId);
      },
    },
    ApiClient: {
      partner: (client: ApiClient, _: unknown, ctx: PartnerContext) => ctx.loaders.partner.load(client.partnerId),
      store: (client: ApiClient, _: unknown, ctx: PartnerContext) => (client.storeId ? ctx.loaders.store.load(client.storeId) : null),
    },
  };
}
