import { requireRole } from '@coalition/shared/auth/authorize';
import type { TierBonus } from '@coalition/shared/earn-rules/earn-rules';
import type { PartnerContext } from '../../context';
import type { TierBonusesService } from './tier-bonuses.service';

export function programmeResolvers(tierBonuses: TierBonusesService) {
  return {
    Query: {
      tierBonuses: (_: unknown, __: unknown, ctx: PartnerContext) => {
        requireRole(ctx.viewer, 'operator', 'partner', 'terminal', 'member');
        return tierBonuses.list();
      },
    },
    Mutation: {
      setTierBonuses: (_: unknown, args: { bonuses: TierBonus[] }, ctx: PartnerContext) => {
        const operator = requireRole(ctx.viewer, 'operator');
        return tierBonuses.replace(args.bonuses, operator.sub);
      },
    },
  };
}
