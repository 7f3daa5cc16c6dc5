import { requireRole } from '@coalition/shared/auth/authorize';
import type { BaseContext } from '@coalition/shared/graphql/context';
import type { Resolvers } from '../../generated/graphql';
import { OPERATOR } from '../journal/netting';
import type { ReportsService } from './reports.service';

const partnerOrOperator = (issuer: string) => (issuer === OPERATOR ? null : { id: issuer });

export function reportsResolvers(
  reports: ReportsService,
  intakePosition: () => Promise<string>,
): Resolvers<BaseContext> {
  return {
    Query: {
      settlementReport: async (_, __, ctx) => {
        requireRole(ctx.viewer, 'operator');
        const position = await intakePosition();
        const asOf = await reports.lastFactAt();
        return {
          asOf,
          intakePosition: position,
          outstanding: (await reports.outstanding(asOf ?? new Date())).map((o) => ({
            ...o,
            issuer: partnerOrOperator(o.issuer),
          })),
          issuers: (await reports.issuers()).map((i) => ({
            ...i,
            issuer: partnerOrOperator(i.issuer),
            redemptionRateBasisPoints: i.redemptionRateBps,
          })),
        };
      },
    },
  };
}
