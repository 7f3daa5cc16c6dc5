import type { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { badInput } from '@coalition/shared/errors';
import { factsStatement } from '@coalition/shared/feed/outbox';
import { pointsEarned } from '@coalition/shared/feed/facts/member-feed';
import type { Statement } from '@coalition/shared/db/write-batch';
import { isUniqueViolation } from '@coalition/shared/db/transaction';
import {
  evaluateEarn,
  type Basket,
  type EarnComponent,
  type EarnEvaluation,
} from '@coalition/shared/earn-rules/evaluate-earn';
import { limits } from '@coalition/shared/limits';
import { parseInput } from '@coalition/shared/validation';
import type { Batched, Wire } from './idempotency';
import { evaluateWithOffers, offerAwardStatements } from '../offers/offer-awards';
import { qualifyingPoints, tierEarnWrites } from '../tiers/tier-earn';
import type { EarnRulesReplica } from '../partner-replica/earn-rules.replica';
import { writeWalletBatched } from './wallet-write';
import { account, transactionStatements } from './ledger';
import { lotStatement, type NewLot } from './lots';
import { assertAccepting, memberIdOf, tillFor, type Till } from './point-of-sale';
import { fundingAfterDebt, type DebtSplit } from './earn-funding';
import { viewOf, type LockedWallet, type WalletView } from './wallet-state';
import { WalletError, WalletErrorCode } from './wallet.errors';
import { earnInput, type EarnInput } from './wallet.inputs';

const DAY_MS = 86_400_000;

export interface EarnResult {
  transactionId: string;
  pointsEarned: bigint;
  rulesVersion: number;
  breakdown: EarnComponent[];
  availableAt: Date | null;
  expiresAt: Date | null;
  wallet: WalletView;
}

export class EarnService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly rules: EarnRulesReplica,
  ) {}

  /**
   * Records a purchase and the points the partner's rules in force give it: pending lots, available
   * when the return window ends, one issued by the partner for the points it funds and one for
   * the points the operator funds (tier bonuses, its share of co-funded promotions). One
   * transaction, the member's rows the only ones locked.
   */
  async earn(viewer: Viewer, raw: unknown): Promise<Wire<EarnResult>> {
    const input = parseInput(earnInput, raw);
    const till = await tillFor(this.dataSource, viewer, input.storeId);
    if (input.currency !== till.currency)
      throw badInput(`This partner takes purchases in ${till.currency}.`, 'currency');
    const memberId = await memberIdOf(this.dataSource, input);
    const { idempotencyKey, ...request } = input;
    try {
      return await writeWalletBatched(this.dataSource, {
        viewer,
        memberId,
        idempotencyKey,
        operation: 'earn',
        request,
        work: (manager, wallet) => this.record(manager, wallet, till, input),
      });
    } catch (error) {
      if (isUniqueViolation(error, 'ledger_transaction_receipt')) throw duplicateReceipt();
      throw error;
    }
  }

  private async record(
    manager: EntityManager,
    wallet: LockedWallet,
    till: Till,
    input: EarnInput,
  ): Promise<Batched<EarnResult>> {
    assertAccepting(till, 'earn', wallet.now);
    const context = await this.rules.earnContext(manager, {
      memberId: wallet.memberId,
      partnerId: till.partnerId,
      receiptId: input.receiptId,
      occurredAt: input.occurredAt,
      now: wallet.now,
      timeZone: till.timeZone,
    });
    if (context.receiptTaken) throw duplicateReceipt();
    const { version, rules } = context;
    const basket = basketOf(input, till);
    const evaluation = await evaluateWithOffers(manager, context.offers, (offers) =>
      evaluateEarn({
        rules,
        currency: till.currency,
        basket,
        member: context.member,
        tierBonuses: context.tierBonuses,
        offers,
      }),
    );
    const split = fundingAfterDebt(evaluation, wallet.debt);
    const now = wallet.now;
    const availableAt = new Date(
      Math.max(now.getTime(), input.occurredAt.getTime() + till.returnWindowDays * DAY_MS),
    );
    const expiresAt = new Date(now.getTime() + limits.pointsLifetimeDays * DAY_MS);
    const purchase = {
      total: input.total.toString(),
      currency: input.currency,
      occurredAt: input.occurredAt.toISOString(),
      lines: input.lines.map((l) => ({ ...l, amount: l.amount.toString() })),
    };
    const earn = earnRecord(version, evaluation, split);
    const tiers = tierEarnWrites(context.tiers, {
      memberId: wallet.memberId,
      partnerId: till.partnerId,
      qualifyingPoints: qualifyingPoints(evaluation),
      spend: input.currency === context.tiers?.currency ? input.total : 0n,
      heldTier: context.member.tier,
      now,
    });
    const { id: transactionId, statements: transactionWrites } = transactionStatements({
      memberId: wallet.memberId,
      kind: 'EARN',
      points: evaluation.points,
      partnerId: till.partnerId,
      storeId: till.storeId,
      receiptId: input.receiptId,
      rulesVersion: version,
      details: {
        purchase,
        debtRepaid: split.debtRepaid.toString(),
        earn,
        ...(tiers.record ? { tiers: tiers.record } : {}),
      },
      at: now,
      postings: [
        { account: account.issuance(till.partnerId), points: -evaluation.partnerPoints },
        { account: account.promotions, points: -evaluation.operatorPoints },
        { account: account.member(wallet.memberId), points: evaluation.points },
      ].filter((p) => p.points !== 0n),
    });
    const lots = earnLots(
      { memberId: wallet.memberId, transactionId, availableAt, expiresAt, createdAt: now },
      till.partnerId,
      split,
      earn.components,
    );
    const anyLot = lots.created.length > 0;
    const fact = {
      transactionId,
      memberId: wallet.memberId,
      partnerId: till.partnerId,
      storeId: till.storeId,
      receiptId: input.receiptId,
      points: evaluation.points.toString(),
      partnerPoints: evaluation.partnerPoints.toString(),
      operatorPoints: evaluation.operatorPoints.toString(),
      debtRepaid: split.debtRepaid.toString(),
      operatorDebtRepaid: split.operatorDebtRepaid.toString(),
      rulesVersion: version,
      components: earn.components,
      ...lotsForFact(lots.created, till.partnerId),
      availableAt: anyLot ? availableAt.toISOString() : null,
      expiresAt: anyLot ? expiresAt.toISOString() : null,
      purchase,
      at: now.toISOString(),
    };
    // The balances the earn leaves, from the lots the lock read and the ones it adds: nothing is read back.
    const view = viewOf(
      now,
      wallet.memberId,
      {
        lifetimeEarned: wallet.lifetimeEarned + evaluation.points,
        debt: wallet.debt - split.debtRepaid,
      },
      [
        ...wallet.lots,
        ...lots.created.map((lot) => ({
          id: lot.lotId,
          remaining: BigInt(lot.points),
          availableAt,
          expiresAt,
          createdAt: now,
          issuerPartnerId: lot.issuerPartnerId,
        })),
      ],
      wallet.held,
      0n,
    );
    return {
      result: {
        transactionId,
        pointsEarned: evaluation.points,
        rulesVersion: version,
        breakdown: evaluation.components,
        availableAt: anyLot ? availableAt : null,
        expiresAt: anyLot ? expiresAt : null,
        wallet: view,
      },
      // Every write of the earn, sent in one round trip with its idempotency record: none of them
      // reads or changes another's rows.
      writes: [
        ...transactionWrites,
        ...lots.statements,
        ...offerAwardStatements(wallet.memberId, evaluation),
        ...stampStatements(wallet.memberId, till.partnerId, evaluation, now),
        ...walletStatements(wallet.memberId, evaluation.points, split.debtRepaid, now),
        ...tiers.statements,
        factsStatement([pointsEarned.build(fact), ...tiers.facts]),
      ],
    };
  }
}

interface CreatedLot {
  lotId: string;
  issuerPartnerId: string | null;
  points: string;
}

/** One lot per funder: the partner's, and one with no issuer for the points the operator funds; each records what funds it. */
function earnLots(
  lot: Pick<NewLot, 'memberId' | 'transactionId' | 'availableAt' | 'expiresAt' | 'createdAt'>,
  partnerId: string,
  split: DebtSplit,
  components: ReturnType<typeof earnRecord>['components'],
): { created: CreatedLot[]; statements: Statement[] } {
  const funders = [
    { issuerPartnerId: partnerId, points: split.partnerLotPoints, share: 'partnerPoints' as const },
    { issuerPartnerId: null, points: split.operatorLotPoints, share: 'operatorPoints' as const },
  ];
  const created: CreatedLot[] = [];
  const statements: Statement[] = [];
  for (const { issuerPartnerId, points, share } of funders) {
    if (points === 0n) continue;
    const funder = issuerPartnerId ? { partnerId: issuerPartnerId } : { operator: true };
    const fundedBy = [
      {
        ...funder,
        points: points.toString(),
        components: components.filter((c) => BigInt(c[share]) > 0n).map((c) => c.kind),
      },
    ];
    const { id, statement } = lotStatement({ ...lot, issuerPartnerId, points, fundedBy });
    created.push({ lotId: id, issuerPartnerId, points: points.toString() });
    statements.push(statement);
  }
  return { created, statements };
}

/** The lots as the points.earned fact names them: every lot, and the partner's under the names facts had before operator-funded bonuses. */
function lotsForFact(created: CreatedLot[], partnerId: string) {
  const partnerLot = created.find((c) => c.issuerPartnerId !== null);
  return {
    lotId: partnerLot?.lotId ?? null,
    lotPoints: partnerLot?.points ?? '0',
    issuerPartnerId: partnerId,
    lots: created,
  };
}

const basketOf = (input: EarnInput, till: Till): Basket => ({
  currency: input.currency,
  totalMinor: input.total,
  occurredAt: input.occurredAt,
  storeId: till.storeId,
  channel: till.channel,
  lines: input.lines.map((line) => ({
    sku: line.sku,
    category: line.category,
    amountMinor: line.amount,
  })),
});

/** What the transaction records of the rules it applied: enough to recompute its points. */
function earnRecord(version: number, evaluation: EarnEvaluation, split: DebtSplit) {
  return {
    rulesVersion: version,
    partnerPoints: evaluation.partnerPoints.toString(),
    operatorPoints: evaluation.operatorPoints.toString(),
    operatorDebtRepaid: split.operatorDebtRepaid.toString(),
    cappedPoints: evaluation.cappedPoints.toString(),
    capApplied: evaluation.capApplied,
    belowMinimum: evaluation.belowMinimum,
    stamps: evaluation.stamps,
    components: evaluation.components.map((c) => ({
      kind: c.kind,
      ruleId: c.ruleId,
      points: c.points.toString(),
      partnerPoints: c.partnerPoints.toString(),
      operatorPoints: c.operatorPoints.toString(),
    })),
  };
}

/** The stamp card as the purchase left it, when it changed. */
function stampStatements(
  memberId: string,
  partnerId: string,
  evaluation: EarnEvaluation,
  now: Date,
): Statement[] {
  const stamps = evaluation.stamps;
  if (!stamps || stamps.after === stamps.before) return [];
  return [
    {
      text: `INSERT INTO stamp_card_state (member_id, partner_id, card_id, stamps, updated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (member_id, partner_id, card_id) DO UPDATE SET stamps = excluded.stamps, updated_at = excluded.updated_at`,
      values: [memberId, partnerId, stamps.cardId, stamps.after, now],
    },
  ];
}

/** The wallet row's cached balance and lifetime earnings, and the debt the earn repaid. */
function walletStatements(
  memberId: string,
  points: bigint,
  debtRepaid: bigint,
  now: Date,
): Statement[] {
  if (points === 0n) return [];
  return [
    {
      text: 'UPDATE wallet SET balance = balance + $2, lifetime_earned = lifetime_earned + $2, debt = debt - $3, updated_at = $4 WHERE member_id = $1',
      values: [memberId, points.toString(), debtRepaid.toString(), now],
    },
  ];
}

const duplicateReceipt = () =>
  new WalletError(
    WalletErrorCode.DUPLICATE_RECEIPT,
    'This receipt has already earned points at this partner.',
  );
