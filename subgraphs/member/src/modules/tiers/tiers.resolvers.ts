import { requireRole, requireViewer } from '@coalition/shared/auth/authorize';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { notFound } from '@coalition/shared/errors';
import { parseId } from '@coalition/shared/validation';
import type {
  MemberResolvers,
  MutationResolvers,
  QueryResolvers,
  Resolvers,
  Tier,
  TierLadderResolvers,
  TierStatusResolvers,
} from '../../generated/graphql';
import { canSeeProfile } from '../members/member-access';
import { rankOf, type TierDefinition } from './tier-ladder';
import type { TierLadderService } from './tier-ladder.service';
import type { TierOverrideService } from './tier-override.service';
import type { TierReviewService } from './tier-review.service';
import type { TierStatusService } from './tier-status.service';
import type { TiersContext } from './tiers.loaders';

export interface TiersServices {
  ladder: TierLadderService;
  status: TierStatusService;
  override: TierOverrideService;
  review: TierReviewService;
}

const tierOf = (tiers: readonly TierDefinition[], code: string): Tier => {
  const tier = tiers.find((t) => t.code === code);
  return {
    code,
    name: tier?.name ?? code,
    rank: rankOf(tiers, code),
    threshold: tier ? tier.threshold.toString() : null,
  };
};
const maybeTier = (tiers: readonly TierDefinition[], code: string | null) =>
  code === null ? null : tierOf(tiers, code);

/** Who did what is for operators: other viewers see that something was done, not by whom. */
const forOperators = (viewer: Viewer | undefined, value: string) =>
  viewer?.role === 'operator' ? value : null;

function queries(s: TiersServices): QueryResolvers<TiersContext> {
  return {
    tierLadder: (_, __, ctx) => {
      requireViewer(ctx.viewer);
      return s.ladder.inForce();
    },
    tierLadders: (_, __, ctx) => {
      requireRole(ctx.viewer, 'operator');
      return s.ladder.all();
    },
  };
}

function mutations(s: TiersServices): MutationResolvers<TiersContext> {
  return {
    defineTierLadder: (_, args, ctx) => {
      const viewer = requireRole(ctx.viewer, 'operator');
      return s.ladder.define(args.input, viewer.sub);
    },
    overrideMemberTier: async (_, args, ctx) => {
      const viewer = requireRole(ctx.viewer, 'operator');
      const memberId = parseId(args.input.memberId, 'memberId');
      await s.override.override({ ...args.input, memberId }, viewer.sub);
      const member = await ctx.loaders.member.load(memberId);
      if (!member) throw notFound('Member');
      // The member as the override left it: the loader's copy was read before.
      return {
        ...member,
        tier: (await s.status.statusesOf([memberId])).get(memberId)?.held ?? null,
      };
    },
    runTierReview: (_, __, ctx) => {
      requireRole(ctx.viewer, 'operator');
      return s.review.run();
    },
  };
}

const memberFields: MemberResolvers<TiersContext> = {
  tierStatus: async (member, _, ctx) =>
    (await canSeeProfile(member, ctx))
      ? ((await ctx.loaders.tierStatus.load(member.id)) ?? null)
      : null,
};

const ladderFields: TierLadderResolvers<TiersContext> = {
  tiers: (ladder) => ladder.tiers.map((t) => tierOf(ladder.tiers, t.code)),
  createdBy: (ladder, _, ctx) => forOperators(ctx.viewer, ladder.createdBy),
};

const statusFields: TierStatusResolvers<TiersContext> = {
  ladderVersion: (status) => status.ladder.version,
  tier: (status) => maybeTier(status.ladder.tiers, status.held),
  earnedTier: (status) => maybeTier(status.ladder.tiers, status.computed),
  metric: (status) => status.ladder.metric,
  metricValue: (status) => status.metricValue.toString(),
  nextTier: (status) => maybeTier(status.ladder.tiers, status.nextTier?.code ?? null),
  missingForNextTier: (status) => status.missingForNextTier?.toString() ?? null,
  override: (status, _, ctx) =>
    status.override && {
      ...status.override,
      tier: tierOf(status.ladder.tiers, status.override.tier),
      setBy: forOperators(ctx.viewer, status.override.setBy),
    },
  history: (status, _, ctx) => ctx.loaders.tierHistory.load(status.memberId),
};

export function tiersResolvers(s: TiersServices): Resolvers<TiersContext> {
  return {
    Query: queries(s),
    Mutation: mutations(s),
    Member: memberFields,
    TierLadder: ladderFields,
    TierStatus: statusFields,
  };
}
