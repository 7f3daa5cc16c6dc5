import { requireRole } from '@coalition/shared/auth/authorize';
import type { Viewer as TokenViewer } from '@coalition/shared/auth/jwt';
import type { ViewerRole, Resolvers } from '../../generated/graphql';
import type { MembersContext } from '../members/members.loaders';

const roles: Record<Exclude<TokenViewer['role'], 'service'>, ViewerRole> = {
  member: 'MEMBER',
  partner: 'PARTNER',
  terminal: 'TERMINAL',
  operator: 'OPERATOR',
};

/** The token as the API shows it; the member is loaded here, the partner and store are references. */
export function viewerResolvers(): Resolvers<MembersContext> {
  return {
    Query: {
      viewer: async (_, __, ctx) => {
        const viewer = requireRole(ctx.viewer, 'member', 'partner', 'terminal', 'operator');
        return {
          role: roles[viewer.role],
          subject: viewer.sub,
          scopes: [...viewer.scopes],
          member:
            viewer.role === 'member'
              ? ((await ctx.loaders.member.load(viewer.memberId)) ?? null)
              : null,
          partner:
            viewer.role === 'partner' || viewer.role === 'terminal'
              ? { __typename: 'Partner', id: viewer.partnerId }
              : null,
          store: viewer.role === 'terminal' ? { __typename: 'Store', id: viewer.storeId } : null,
        };
      },
    },
  };
}
