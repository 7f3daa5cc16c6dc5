import { schemaPart } from '@coalition/shared/graphql/module';
import { reportsResolvers } from './reports.resolvers';
import type { ReportsService } from './reports.service';

const typeDefs = schemaPart(new URL('./reports.graphql', import.meta.url));

/** The operator's report over everything settlement has taken in: float, issuers, breakage. */
export function reportsModule(reports: ReportsService, intakePosition: () => Promise<string>) {
  return { name: 'reports', typeDefs, resolvers: reportsResolvers(reports, intakePosition) };
}
