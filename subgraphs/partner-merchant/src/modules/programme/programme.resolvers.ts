import { requireRole } from '@coalition/shared/auth/authorize';
import type { BaseContext } from '@coalition/shared/graphql/context';
import type { Resolvers } from '../../generated/graphql';
import type { TierBonusesService } from './tier-bonuses.service';

export function programmeResolvers(tierBonuses: TierBonusesService): Resolvers<BaseContext> {
  return {
    Query: {
      tierBonuses: (_, __, ctx) => {
        requireRole(ctx.viewer, 'operator', 'partner', 'terminal', 'member');
        return tierBonuses.list();
      },
    },
    Mutation: {
      setTierBonuses: (_, args, ctx) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return tierBonuses.replace(args.bonuses, operator.sub);
      },
    },
  };
}
