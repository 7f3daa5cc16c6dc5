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
import { cycleCursor, type CyclesService } from './cycles.service';
import { statementCsv, type StatementsService } from './statements.service';

type CyclesContext = ContextWith<CyclesLoaders>;

export interface CyclesServices {
  cycles: CyclesService;
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

function queries({ cycles, memberFeed }: CyclesServices): QueryResolvers<CyclesContext> {
  return {
    settlementCycles: async (_, args, ctx) => {
      operatorOnly(ctx);
      const page = pageOf(args);
      return connectionOf(await cycles.list(page), page, cycleCursor);
    },
    settlementCycle: async (_, args, ctx) => {
      operatorOnly(ctx);
      return (await cycles.byId(parseId(args.id, 'id'))) ?? null;
    },
    currentSettlementCycle: (_, __, ctx) => {
      operatorOnly(ctx);
      return cycles.current();
    },
    verifySettlementCycle: (_, args, ctx) => {
      operatorOnly(ctx);
      return cycles.verify(parseId(args.id, 'id'));
    },
    memberFeedStatus: (_, __, ctx) => {
      operatorOnly(ctx);
      return memberFeed.status();
    },
  };
}

function mutations({ cycles }: CyclesServices): MutationResolvers<CyclesContext> {
  return {
    closeSettlementCycle: (_, args, ctx) => {
      const operator = operatorOnly(ctx);
      return cycles.close(
        args.input ?? {},
        operator.sub,
        args.id ? parseId(args.id, 'id') : undefined,
      );
    },
    approveSettlementCycle: (_, args, ctx) => {
      const operator = operatorOnly(ctx);
      return cycles.approve(parseId(args.id, 'id'), operator.sub);
    },
    markSettlementCyclePaid: (_, args, ctx) => {
      const operator = operatorOnly(ctx);
      return cycles.markPaid(parseId(args.id, 'id'), args.input, operator.sub);
    },
  };
}

function cycleFields({
  cycles,
  statements,
}: CyclesServices): SettlementCycleResolvers<CyclesContext> {
  return {
    __resolveReference: async (ref, ctx) => {
      operatorOnly(ctx);
      return isId(ref.id) ? ((await cycles.byId(ref.id)) ?? null) : null;
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

function partnerFields({ cycles, statements }: CyclesServices): PartnerResolvers<CyclesContext> {
  return {
    __resolveReference: (ref) => ({ id: ref.id }),
    settlementCycles: async (partner, args, ctx) => {
      if (!mayReadStatement(ctx.viewer, partner.id))
        throw forbidden('Only the partner itself and operators see its settlement cycles.');
      const page = pageOf(args);
      return connectionOf(
        await ctx.loaders.cyclesOfPartner.load({ partnerId: partner.id, args }),
        page,
        cycleCursor,
      );
    },
    settlementStatement: async (partner, args, ctx) => {
      if (!mayReadStatement(ctx.viewer, partner.id))
        throw forbidden('Only the partner itself and operators see its statements.');
      const cycle = await cycles.byId(parseId(args.cycleId, 'cycleId'));
      if (!cycle) throw notFound('Settlement cycle');
      const [statement] = await statements.statements(cycle.id, [partner.id]);
      return statement ?? null;
    },
  };
}

export function cyclesResolvers(services: CyclesServices): Resolvers<CyclesContext> {
  const { cycles, statements } = services;
  return {
    Query: queries(services),
    Mutation: mutations(services),
    SettlementCycle: cycleFields(services),
    Partner: partnerFields(services),
    Statement: {
      cycle: (statement) => referencedCycle(cycles, statement.cycleId),
      party: (statement) => party(statement.party),
      csv: async (statement) =>
        statementCsv(statement, (await cycles.byId(statement.cycleId))?.number ?? null),
    },
    StatementLine: {
      originalCycle: (line) =>
        line.originalCycleId ? referencedCycle(cycles, line.originalCycleId) : null,
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
