import { requireRole } from '@coalition/shared/auth/authorize';
import type { SettlementContext } from '../../context';
import { OPERATOR } from '../journal/netting';
import type { IssuerSummary, OutstandingPoints, ReportsService } from './reports.service';

const partnerOrOperator = (issuer: string) => (issuer === OPERATOR ? null : { id: issuer });

export function reportsResolvers(reports: ReportsService, intakePosition: () => Promise<string>) {
  return {
    Query: {
      settlementReport: async (_: unknown, __: unknown, ctx: SettlementContext) => {
        requireRole(ctx.viewer, 'operator');
        const position = await intakePosition();
        const asOf = await reports.lastFactAt();
        return {
          asOf,
          intakePosition: position,
          outstanding: (await reports.outstanding(asOf ?? new Date())).map(
            (o: OutstandingPoints) => ({ ...o, issuer: partnerOrOperator(o.issuer) }),
          ),
          issuers: (await reports.issuers()).map((i: IssuerSummary) => ({
            ...i,
            issuer: partnerOrOperator(i.issuer),
            redemptionRateBasisPoints: i.redemptionRateBps,
          })),
        };
      },
    },
  };
}
