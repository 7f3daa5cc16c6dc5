import { assert, badInput } from '@coalition/shared/errors';
import { limits } from '@coalition/shared/limits';

const DAY_MS = 86_400_000;

/** A half-open period of ledger time, [from, to). */
export interface Period {
  from: Date;
  to: Date;
}

/** A period for totals: from before to, at most partnerViewPeriodDaysMax long (the cost of a total grows with it). */
export function periodOf(from: Date, to: Date): Period {
  if (from.getTime() >= to.getTime())
    throw badInput('from must be before to: a period is [from, to).', 'from');
  if (to.getTime() - from.getTime() > limits.partnerViewPeriodDaysMax * DAY_MS) {
    throw badInput(`A period covers at most ${limits.partnerViewPeriodDaysMax} days.`, 'to');
  }
  return { from, to };
}

/** A time filter on a list, either end open; a page bounds what it costs, so its length is free. */
export function windowOf(
  from: Date | null | undefined,
  to: Date | null | undefined,
): { from?: Date; to?: Date } {
  if (from && to && from.getTime() >= to.getTime())
    throw badInput('from must be before to: a period is [from, to).', 'from');
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** One group of a partner's transactions in a period: a kind, for a refund the kind it reverses. */
export interface TransactionGroup {
  kind: string;
  reversesKind: string | null;
  transactions: bigint;
  points: bigint;
}

export interface PointsSummary extends Period {
  pointsIssued: bigint;
  earnCount: number;
  pointsRedeemed: bigint;
  burnCount: number;
  /** Taken back by purchase refunds (refunds of earns). */
  pointsClawedBack: bigint;
  purchaseRefundCount: number;
  /** Given back by burn refunds. */
  pointsGivenBack: bigint;
  burnRefundCount: number;
  netPointsIssued: bigint;
  netPointsRedeemed: bigint;
  transactionCount: number;
}

type Line = 'issued' | 'redeemed' | 'clawedBack' | 'givenBack';

function lineOf(group: TransactionGroup): Line {
  if (group.kind === 'EARN') return 'issued';
  if (group.kind === 'BURN') return 'redeemed';
  assert(
    group.kind === 'REFUND',
    `a partner's ledger holds earns, burns and refunds, not ${group.kind}`,
  );
  if (group.reversesKind === 'EARN') return 'clawedBack';
  assert(
    group.reversesKind === 'BURN',
    `a refund reverses an earn or a burn, not ${String(group.reversesKind)}`,
  );
  return 'givenBack';
}

const countOf = (value: bigint): number => {
  assert(value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER), `a count out of range: ${value}`);
  return Number(value);
};

/** Adds a partner's transaction groups up into its summary for the period; reversals stay apart from what they reverse. */
export function pointsSummaryOf(
  period: Period,
  groups: readonly TransactionGroup[],
): PointsSummary {
  const points: Record<Line, bigint> = { issued: 0n, redeemed: 0n, clawedBack: 0n, givenBack: 0n };
  const counts: Record<Line, bigint> = { issued: 0n, redeemed: 0n, clawedBack: 0n, givenBack: 0n };
  for (const group of groups) {
    assert(group.points >= 0n, 'ledger transactions carry positive points');
    const line = lineOf(group);
    points[line] += group.points;
    counts[line] += group.transactions;
  }
  return {
    ...period,
    pointsIssued: points.issued,
    earnCount: countOf(counts.issued),
    pointsRedeemed: points.redeemed,
    burnCount: countOf(counts.redeemed),
    pointsClawedBack: points.clawedBack,
    purchaseRefundCount: countOf(counts.clawedBack),
    pointsGivenBack: points.givenBack,
    burnRefundCount: countOf(counts.givenBack),
    netPointsIssued: points.issued - points.clawedBack,
    netPointsRedeemed: points.redeemed - points.givenBack,
    transactionCount: countOf(
      counts.issued + counts.redeemed + counts.clawedBack + counts.givenBack,
    ),
  };
}

export interface ReachCounts {
  members: number;
  membersAlsoElsewhere: number;
}

/**
 * What a partner may learn of its reach. Among few members, "how many also shop elsewhere" would
 * tell a partner about a customer it knows (it chose the period around their visit): below
 * limits.memberReachMembersMin members the partner gets the member count only. Operators see all.
 */
export function reachForViewer<R extends ReachCounts>(
  reach: R,
  operator: boolean,
): Omit<R, 'membersAlsoElsewhere'> & { membersAlsoElsewhere: number | null } {
  if (operator || reach.members >= limits.memberReachMembersMin) return reach;
  return { ...reach, membersAlsoElsewhere: null };
}
