import { requireRole } from '@coalition/shared/auth/authorize';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { forbidden, notFound } from '@coalition/shared/errors';
import type { FeedConsumer } from '@coalition/shared/feed/consumer';
import type { BaseContext } from '@coalition/shared/graphql/context';
import type { ContextWith } from '@coalition/shared/graphql/module';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { isId, parseId } from '@coalition/shared/validation';
import type {
  MutationResolvers,
  PartnerResolvers,
  QueryResolvers,
  Resolvers,
  SettlementCycleResolvers,
} from '../../generated/graphql';
import { formatMicros } from '../journal/money';
import { OPERATOR } from '../journal/netting';
import { referencedCycle, type CyclesLoaders } from './cycles.loaders';
import type { CycleLifecycleService } from './lifecycle/cycle-lifecycle.service';
import type { CycleQueriesService } from './queries/cycle-queries.service';
import { statementCsv } from './queries/statement-csv';
import type { StatementsService } from './queries/statements.service';
import { cycleCursor } from './settlement-cycle.entity';
import type { CycleVerificationService } from './verification/cycle-verification.service';

type CyclesContext = ContextWith<CyclesLoaders>;

export interface CyclesServices {
  lifecycle: CycleLifecycleService;
  queries: CycleQueriesService;
  verification: CycleVerificationService;
  statements: StatementsService;
  memberFeed: FeedConsumer;
}

const party = (id: string) => ({ id, partner: id === OPERATOR ? null : { id } });

const operatorOnly = (ctx: BaseContext) => requireRole(ctx.viewer, 'operator');

/** Statements are for the partner itself and operators; not for its terminals. */
function mayReadStatement(viewer: Viewer, partnerId: string): boolean {
  return (
    viewer.role === 'operator' || (viewer.role === 'partner' && viewer.partnerId === partnerId)
  );
}

function queryFields(services: CyclesServices): QueryResolvers<CyclesContext> {
  const { lifecycle, queries, verification, memberFeed } = services;
  return {
    settlementCycles: async (_, args, ctx) => {
      operatorOnly(ctx);
      const page = pageOf(args);
      return connectionOf(await queries.list(page), page, cycleCursor);
    },
    settlementCycle: async (_, args, ctx) => {
      operatorOnly(ctx);
      return (await ctx.loaders.settlementCycle.load(parseId(args.id, 'id'))) ?? null;
    },
    currentSettlementCycle: (_, __, ctx) => {
      operatorOnly(ctx);
      return lifecycle.current();
    },
    verifySettlementCycle: (_, args, ctx) => {
      operatorOnly(ctx);
      return verification.verify(parseId(args.id, 'id'));
    },
    memberFeedStatus: (_, __, ctx) => {
      operatorOnly(ctx);
      return memberFeed.status();
    },
  };
}

function mutationFields({ lifecycle }: CyclesServices): MutationResolvers<CyclesContext> {
  return {
    closeSettlementCycle: (_, args, ctx) => {
      const operator = operatorOnly(ctx);
      return lifecycle.close(
        args.input ?? {},
        operator.sub,
        args.id ? parseId(args.id, 'id') : undefined,
      );
    },
    approveSettlementCycle: (_, args, ctx) => {
      const operator = operatorOnly(ctx);
      return lifecycle.approve(parseId(args.id, 'id'), operator.sub);
    },
    markSettlementCyclePaid: (_, args, ctx) => {
      const operator = operatorOnly(ctx);
      return lifecycle.markPaid(parseId(args.id, 'id'), args.input, operator.sub);
    },
  };
}

function cycleFields({ statements }: CyclesServices): SettlementCycleResolvers<CyclesContext> {
  return {
    __resolveReference: async (ref, ctx) => {
      operatorOnly(ctx);
      return isId(ref.id) ? ((await ctx.loaders.settlementCycle.load(ref.id)) ?? null) : null;
    },
    positions: async (cycle, _, ctx) => {
      operatorOnly(ctx);
      return (await statements.positions(cycle.id)).map((p) => ({ ...p, party: party(p.party) }));
    },
    paymentInstructions: async (cycle, _, ctx) => {
      operatorOnly(ctx);
      return (await statements.instructions(cycle.id)).map((i) => ({
        ...i,
        payer: party(i.payer),
        payee: party(i.payee),
      }));
    },
    liabilityMatrix: async (cycle, _, ctx) => {
      operatorOnly(ctx);
      return (await statements.matrix(cycle.id)).map((c) => ({
        ...c,
        issuer: c.issuer === OPERATOR ? null : { id: c.issuer },
        redeemer: { id: c.redeemer },
      }));
    },
    statements: (cycle, _, ctx) => {
      operatorOnly(ctx);
      return statements.statements(cycle.id);
    },
  };
}

function partnerFields({ statements }: CyclesServices): PartnerResolvers<CyclesContext> {
  return {
    __resolveReference: (ref) => ({ id: ref.id }),
    settlementCycles: async (partner, args, ctx) => {
      if (!mayReadStatement(ctx.viewer, partner.id))
        throw forbidden('Only the partner itself and operators see its settlement cycles.');
      const page = pageOf(args);
      return connectionOf(
        await ctx.loaders.cyclesOfPartner.load({ partnerId: partner.id, page }),
        page,
        cycleCursor,
      );
    },
    settlementStatement: async (partner, args, ctx) => {
      if (!mayReadStatement(ctx.viewer, partner.id))
        throw forbidden('Only the partner itself and operators see its statements.');
      const cycle = await ctx.loaders.settlementCycle.load(parseId(args.cycleId, 'cycleId'));
      if (!cycle) throw notFound('Settlement cycle');
      const [statement] = await statements.statements(cycle.id, [partner.id]);
      return statement ?? null;
    },
  };
}

export function cyclesResolvers(services: CyclesServices): Resolvers<CyclesContext> {
  const { statements } = services;
  return {
    Query: queryFields(services),
    Mutation: mutationFields(services),
    SettlementCycle: cycleFields(services),
    Partner: partnerFields(services),
    Statement: {
      id: (statement) => `${statement.cycleId}:${statement.party}`,
      cycle: (statement, _, ctx) => referencedCycle(ctx.loaders, statement.cycleId),
      party: (statement) => party(statement.party),
      csv: async (statement, _, ctx) => {
        const originals = [
          ...new Set(statement.lines.flatMap((line) => line.originalCycleId ?? [])),
        ];
        const [cycle, partyName, ...reversed] = await Promise.all([
          referencedCycle(ctx.loaders, statement.cycleId),
          ctx.loaders.partyName.load(statement.party),
          ...originals.map((id) => referencedCycle(ctx.loaders, id)),
        ]);
        return statementCsv(statement, {
          cycleNumber: cycle.number,
          partyName,
          cycleNumbers: new Map(reversed.map((original) => [original.id, original.number])),
        });
      },
    },
    StatementLine: {
      originalCycle: (line, _, ctx) =>
        line.originalCycleId ? referencedCycle(ctx.loaders, line.originalCycleId) : null,
      exactAmount: (line) => formatMicros(line.exactMicros),
      journal: async (line, args) => {
        const page = pageOf(args);
        return connectionOf(await statements.journalOf(line, page), page, (entry) => entry.cursor);
      },
    },
    JournalEntry: {
      amount: (entry) => formatMicros(entry.amountMicros),
    },
  };
}
