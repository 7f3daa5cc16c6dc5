import { requireRole } from '@coalition/shared/auth/authorize';
import type { ContextWith } from '@coalition/shared/graphql/module';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { Resolvers } from '../../generated/graphql';
import { mayConfigurePartner } from '../partners/partner-access';
import type { RateLimitsLoaders } from './rate-limits.loaders';
import { rateLimitChangeCursor, type PartnerRateLimitsService } from './rate-limits.service';

export function rateLimitsResolvers(
  rateLimits: PartnerRateLimitsService,
): Resolvers<ContextWith<RateLimitsLoaders>> {
  return {
    Mutation: {
      setPartnerRateLimit: async (_, args, ctx) => {
        const operator = requireRole(ctx.viewer, 'operator');
        const { requestsPerMinute, burst } = args;
        const partnerId = parseId(args.partnerId, 'partnerId');
        const change = await rateLimits.set(partnerId, { requestsPerMinute, burst }, operator.sub);
        ctx.log.info(
          { partnerId, requestsPerMinute, burst, by: operator.sub },
          'partner rate limit set',
        );
        return change;
      },
      resetPartnerRateLimit: async (_, args, ctx) => {
        const operator = requireRole(ctx.viewer, 'operator');
        const partnerId = parseId(args.partnerId, 'partnerId');
        const change = await rateLimits.reset(partnerId, operator.sub);
        ctx.log.info({ partnerId, by: operator.sub }, 'partner rate limit reset to the defaults');
        return change;
      },
    },
    Partner: {
      rateLimit: async (partner, _, ctx) => {
        if (!mayConfigurePartner(ctx.viewer, partner.id)) return null;
        return (await ctx.loaders.rateLimitOfPartner.load(partner.id)) ?? neverSet;
      },
      rateLimitHistory: async (partner, args, ctx) => {
        if (!mayConfigurePartner(ctx.viewer, partner.id)) return null;
        const page = pageOf(args);
        return connectionOf(
          await ctx.loaders.rateLimitHistoryOfPartner.load({ partnerId: partner.id, page }),
          page,
          rateLimitChangeCursor,
        );
      },
    },
    PartnerRateLimit: {
      // Operators' identities are the operator's business.
      changedBy: (change, _, ctx) =>
        ctx.viewer.role === 'operator' ? (change.changedBy ?? null) : null,
    },
  };
}

const neverSet = { requestsPerMinute: null, burst: null, changedAt: null, changedBy: null };
