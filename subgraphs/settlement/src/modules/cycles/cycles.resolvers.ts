import { requireRole } from '@coalition/shared/auth/authorize';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { forbidden, notFound } from '@coalition/shared/errors';
import type { FeedConsumer } from '@coalition/shared/feed/consumer';
import { connectionOf, pageOf, type PageArgs } from '@coalition/shared/graphql/pagination';
import { isId, parseId } from '@coalition/shared/validation';
import type { SettlementContext } from '../../context';
import { formatMicros } from '../journal/money';
import { OPERATOR } from '../journal/netting';
import { cycleCursor, type CyclesService } from './cycles.service';
import type { SettlementCycle } from './settlement-cycle.entity';
import {
  statementCsv,
  type JournalEntry,
  type Statement,
  type StatementLine,
  type StatementsService,
} from './statements.service';

const party = (id: string) => ({ id, partner: id === OPERATOR ? null : { id } });

/** Statements are for the partner itself and operators; not for its terminals. */
function mayReadStatement(viewer: Viewer, partnerId: string): boolean {
  return (
    viewer.role === 'operator' || (viewer.role === 'partner' && viewer.partnerId === partnerId)
  );
}

export function cyclesResolvers(
  cycles: CyclesService,
  statements: StatementsService,
  memberFeed: FeedConsumer,
) {
  const operatorOnly = (ctx: SettlementContext) => requireRole(ctx.viewer, 'operator');
  return {
    Query: {
      settlementCycles: async (_: unknown, args: PageArgs, ctx: SettlementContext) => {
        operatorOnly(ctx);
        const page = pageOf(args);
        return connectionOf(await cycles.list(page), page, cycleCursor);
      },
      settlementCycle: async (_: unknown, args: { id: string }, ctx: SettlementContext) => {
        operatorOnly(ctx);
        return (await cycles.byId(parseId(args.id, 'id'))) ?? null;
      },
      currentSettlementCycle: (_: unknown, __: unknown, ctx: SettlementContext) => {
        operatorOnly(ctx);
        return cycles.current();
      },
      verifySettlementCycle: (_: unknown, args: { id: string }, ctx: SettlementContext) => {
        operatorOnly(ctx);
        return cycles.verify(parseId(args.id, 'id'));
      },
      memberFeedStatus: (_: unknown, __: unknown, ctx: SettlementContext) => {
        operatorOnly(ctx);
        return memberFeed.status();
      },
    },
    Mutation: {
      closeSettlementCycle: (
        _: unknown,
        args: { id?: string | null; input?: unknown },
        ctx: SettlementContext,
      ) => {
        const operator = operatorOnly(ctx);
        return cycles.close(
          args.input ?? {},
          operator.sub,
          args.id ? parseId(args.id, 'id') : undefined,
        );
      },
      approveSettlementCycle: (_: unknown, args: { id: string }, ctx: SettlementContext) => {
        const operator = operatorOnly(ctx);
        return cycles.approve(parseId(args.id, 'id'), operator.sub);
      },
      markSettlementCyclePaid: (
        _: unknown,
        args: { id: string; input: unknown },
        ctx: SettlementContext,
      ) => {
        const operator = operatorOnly(ctx);
        return cycles.markPaid(parseId(args.id, 'id'), args.input, operator.sub);
      },
    },
    SettlementCycle: {
      __resolveReference: async (ref: { id: string }, ctx: SettlementContext) => {
        operatorOnly(ctx);
        return isId(ref.id) ? ((await cycles.byId(ref.id)) ?? null) : null;
      },
      positions: async (cycle: SettlementCycle, _: unknown, ctx: SettlementContext) => {
        operatorOnly(ctx);
        return (await statements.positions(cycle.id)).map((p) => ({ ...p, party: party(p.party) }));
      },
      paymentInstructions: async (cycle: SettlementCycle, _: unknown, ctx: SettlementContext) => {
        operatorOnly(ctx);
        return (await statements.instructions(cycle.id)).map((i) => ({
          ...i,
          payer: party(i.payer),
          payee: party(i.payee),
        }));
      },
      liabilityMatrix: async (cycle: SettlementCycle, _: unknown, ctx: SettlementContext) => {
        operatorOnly(ctx);
        return (await statements.matrix(cycle.id)).map((c) => ({
          ...c,
          issuer: c.issuer === OPERATOR ? null : { id: c.issuer },
          redeemer: { id: c.redeemer },
        }));
      },
      statements: (cycle: SettlementCycle, _: unknown, ctx: SettlementContext) => {
        operatorOnly(ctx);
        return statements.statements(cycle.id);
      },
    },
    Statement: {
      cycle: async (statement: Statement) => cycles.byId(statement.cycleId),
      party: (statement: Statement) => party(statement.party),
      csv: async (statement: Statement) =>
        statementCsv(statement, (await cycles.byId(statement.cycleId))?.number ?? null),
    },
    StatementLine: {
      originalCycle: (line: StatementLine) =>
        line.originalCycleId ? cycles.byId(line.originalCycleId) : null,
      exactAmount: (line: StatementLine) => formatMicros(line.exactMicros),
      journal: async (line: StatementLine, args: PageArgs) => {
        const page = pageOf(args);
        return connectionOf(await statements.journalOf(line, page), page, (entry) => entry.cursor);
      },
    },
    JournalEntry: {
      amount: (entry: JournalEntry) => formatMicros(entry.amountMicros),
    },
    Partner: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      settlementCycles: async (partner: { id: string }, args: PageArgs, ctx: SettlementContext) => {
        if (!ctx.viewer || !mayReadStatement(ctx.viewer, partner.id))
          throw forbidden('Only the partner itself and operators see its settlement cycles.');
        const page = pageOf(args);
        return connectionOf(
          await ctx.loaders.cyclesOfPartner.load({ partnerId: partner.id, args }),
          page,
          cycleCursor,
        );
      },
      settlementStatement: async (
        partner: { id: string },
        args: { cycleId: string },
        ctx: SettlementContext,
      ) => {
        if (!ctx.viewer || !mayReadStatement(ctx.viewer, partner.id))
          throw forbidden('Only the partner itself and operators see its statements.');
        const cycle = await cycles.byId(parseId(args.cycleId, 'cycleId'));
        if (!cycle) throw notFound('Settlement cycle');
        const [statement] = await statements.statements(cycle.id, [partner.id]);
        return statement ?? null;
      },
    },
  };
}
