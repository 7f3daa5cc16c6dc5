import type { Viewer } from '@coalition/shared/auth/jwt';
import { forbidden } from '@coalition/shared/errors';
import type { ContextWith } from '@coalition/shared/graphql/module';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { Resolvers } from '../../generated/graphql';
import { mayConfigurePartner, requireConfigurer } from '../partners/partner-access';
import { versionCursor } from './earn-rule-versions.repository';
import type { EarnRulesLoaders } from './earn-rules.loaders';
import type { EarnRulesService } from './earn-rules.service';
import type { EarnSimulationService } from './earn-simulation.service';

/** Operators; the partner itself; its terminals, for their own store only. */
function requireSimulator(viewer: Viewer, partnerId: string, storeId: string): void {
  if (viewer.role === 'terminal' && viewer.partnerId === partnerId) {
    if (viewer.storeId !== storeId)
      throw forbidden('A terminal simulates purchases only at its own store.');
    return;
  }
  requireConfigurer(viewer, partnerId);
}

export function earnRulesResolvers(
  earnRules: EarnRulesService,
  simulation: EarnSimulationService,
): Resolvers<ContextWith<EarnRulesLoaders>> {
  return {
    Query: {
      simulateEarn: (_, args, ctx) => {
        const partnerId = parseId(args.partnerId, 'partnerId');
        requireSimulator(ctx.viewer, partnerId, args.input.storeId);
        return simulation.simulate(partnerId, args.input);
      },
    },
    Mutation: {
      publishEarnRules: (_, args, ctx) => {
        const partnerId = parseId(args.partnerId, 'partnerId');
        requireConfigurer(ctx.viewer, partnerId);
        return earnRules.publish(partnerId, args.input, ctx.viewer.sub);
      },
      withdrawEarnRules: (_, args, ctx) => {
        const partnerId = parseId(args.partnerId, 'partnerId');
        requireConfigurer(ctx.viewer, partnerId);
        return earnRules.withdraw(partnerId, args.version, ctx.viewer.sub);
      },
    },
    EarnRuleVersion: { id: (version) => `${version.partnerId}:${version.version}` },
    Partner: {
      // Public, like the partner's name: what a member earns there before any bonus.
      pointsPerCurrencyUnit: async (partner, _, ctx) =>
        (await ctx.loaders.earnRulesInForce.load(partner.id))?.rules.basePointsPerUnit ??
        partner.pointsPerCurrencyUnit,
      earnRules: async (partner, _, ctx) =>
        mayConfigurePartner(ctx.viewer, partner.id)
          ? ((await ctx.loaders.earnRulesInForce.load(partner.id)) ?? null)
          : null,
      earnRuleVersions: async (partner, args, ctx) => {
        if (!mayConfigurePartner(ctx.viewer, partner.id)) return null;
        const page = pageOf(args);
        return connectionOf(
          await ctx.loaders.earnRuleVersionsOfPartner.load({ partnerId: partner.id, page }),
          page,
          versionCursor.of,
        );
      },
    },
  };
}
