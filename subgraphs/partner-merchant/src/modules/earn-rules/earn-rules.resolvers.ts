import type { Viewer } from '@coalition/shared/auth/jwt';
import { forbidden } from '@coalition/shared/errors';
import { connectionOf, pageOf, type PageArgs } from '@coalition/shared/graphql/pagination';
import { parseId } from '@coalition/shared/validation';
import type { PartnerContext } from '../../context';
import { mayConfigurePartner, requireConfigurer } from '../partners/partner-access';
import type { Partner } from '../partners/partner.entity';
import { versionCursor } from './earn-rule-versions.repository';
import type { EarnRulesService, PublishEarnRulesInput } from './earn-rules.service';
import type { EarnSimulationService, SimulateEarnInput } from './earn-simulation.service';

/** Operators; the partner itself; its terminals, for their own store only. */
function requireSimulator(viewer: Viewer, partnerId: string, storeId: string): void {
  if (viewer.role === 'terminal' && viewer.partnerId === partnerId) {
    if (viewer.storeId !== storeId)
      throw forbidden('A terminal simulates purchases only at its own store.');
    return;
  }
  requireConfigurer(viewer, partnerId);
}

export function earnRulesResolvers(earnRules: EarnRulesService, simulation: EarnSimulationService) {
  return {
    Query: {
      simulateEarn: (
        _: unknown,
        args: { partnerId: string; input: SimulateEarnInput },
        ctx: PartnerContext,
      ) => {
        const partnerId = parseId(args.partnerId, 'partnerId');
        requireSimulator(ctx.viewer, partnerId, args.input.storeId);
        return simulation.simulate(partnerId, args.input);
      },
    },
    Mutation: {
      publishEarnRules: (
        _: unknown,
        args: { partnerId: string; input: PublishEarnRulesInput },
        ctx: PartnerContext,
      ) => {
        const partnerId = parseId(args.partnerId, 'partnerId');
        requireConfigurer(ctx.viewer, partnerId);
        return earnRules.publish(partnerId, args.input, ctx.viewer.sub);
      },
      withdrawEarnRules: (
        _: unknown,
        args: { partnerId: string; version: number },
        ctx: PartnerContext,
      ) => {
        const partnerId = parseId(args.partnerId, 'partnerId');
        requireConfigurer(ctx.viewer, partnerId);
        return earnRules.withdraw(partnerId, args.version, ctx.viewer.sub);
      },
    },
    Partner: {
      // Public, like the partner's name: what a member earns there before any bonus.
      pointsPerCurrencyUnit: async (partner: Partner, _: unknown, ctx: PartnerContext) =>
        (await ctx.loaders.earnRulesInForce.load(partner.id))?.rules.basePointsPerUnit ??
        partner.pointsPerCurrencyUnit,
      earnRules: async (partner: Partner, _: unknown, ctx: PartnerContext) =>
        mayConfigurePartner(ctx.viewer, partner.id)
          ? ((await ctx.loaders.earnRulesInForce.load(partner.id)) ?? null)
          : null,
      earnRuleVersions: async (partner: Partner, args: PageArgs, ctx: PartnerContext) => {
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
