/**
 * What the evaluate-earn suites share: a base rules set, baskets, and `earn`, which evaluates a
 * purchase and checks the bookkeeping every evaluation owes its caller.
 */
import { expect } from 'vitest';
import {
  baseRules,
  type EarnChannel,
  type EarnRules,
  type Multiplier,
  type StampCard,
  type TierBonus,
} from './earn-rules';
import {
  evaluateEarn,
  type BasketLine,
  type EarnComponent,
  type EarnComponentKind,
  type EarnEvaluation,
  type EarnInputs,
  type MemberEarnState,
} from './evaluate-earn';

export const storeA = '3f1c9a52-8d3e-4b7a-9c1e-2a4b6c8d0e1f';
export const storeB = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
export const saturdayNoon = new Date('2025-06-14T12:00:00Z');
export const promotionStart = new Date('2025-06-13T00:00:00Z');
export const promotionEnd = new Date('2025-06-16T00:00:00Z');

export const line = (category: string, amountMinor: bigint): BasketLine => ({
  sku: `${category}-${amountMinor}`,
  category,
  amountMinor,
});
export const sum = (values: readonly bigint[]) =>
  values.reduce((total, value) => total + value, 0n);

export const multiplier = (overrides: Partial<Multiplier> = {}): Multiplier => ({
  id: 'double',
  name: 'Double points weekend',
  percent: 200,
  startsAt: promotionStart,
  endsAt: promotionEnd,
  storeIds: null,
  channels: null,
  operatorSharePercent: 0,
  ...overrides,
});

export const coffeeCard = (overrides: Partial<StampCard> = {}): StampCard => ({
  id: 'coffee-card',
  name: 'Tenth coffee free',
  stampsRequired: 5,
  rewardPoints: 100n,
  categories: ['Coffee'],
  lineMinimumMinor: 200n,
  ...overrides,
});

export interface Purchase {
  rules?: Partial<EarnRules>;
  lines: BasketLine[];
  currency?: string;
  at?: Date;
  storeId?: string;
  channel?: EarnChannel;
  member?: Partial<MemberEarnState>;
  tierBonuses?: TierBonus[];
}

export function inputsOf(purchase: Purchase): EarnInputs {
  const currency = purchase.currency ?? 'EUR';
  return {
    rules: { ...baseRules(1), ...purchase.rules },
    currency,
    basket: {
      currency,
      totalMinor: sum(purchase.lines.map((l) => l.amountMinor)),
      occurredAt: purchase.at ?? saturdayNoon,
      storeId: purchase.storeId ?? storeA,
      channel: purchase.channel ?? 'PHYSICAL',
      lines: purchase.lines,
    },
    member: {
      tier: null,
      firstPurchaseAtPartner: false,
      cappedPointsToday: 0n,
      stamps: 0,
      ...purchase.member,
    },
    tierBonuses: purchase.tierBonuses ?? [],
  };
}

/**
 * Evaluates a purchase and checks the bookkeeping every evaluation owes its caller, whatever the
 * rules: the totals are the sums of the components, each component is funded exactly once, and no
 * component is zero. The wallet posts these numbers to the ledger, so they are checked on every case.
 */
export function earn(purchase: Purchase): EarnEvaluation {
  const evaluation = evaluateEarn(inputsOf(purchase));
  expectBalanced(evaluation);
  return evaluation;
}

export function expectBalanced(evaluation: EarnEvaluation): void {
  const { components } = evaluation;
  expect(evaluation.points).toBe(evaluation.partnerPoints + evaluation.operatorPoints);
  expect(evaluation.points).toBe(sum(components.map((c) => c.points)));
  expect(evaluation.partnerPoints).toBe(sum(components.map((c) => c.partnerPoints)));
  expect(evaluation.operatorPoints).toBe(sum(components.map((c) => c.operatorPoints)));
  for (const c of components) {
    expect(c.points).toBeGreaterThan(0n);
    expect(c.partnerPoints).toBeGreaterThanOrEqual(0n);
    expect(c.operatorPoints).toBeGreaterThanOrEqual(0n);
    expect(c.partnerPoints + c.operatorPoints).toBe(c.points);
  }
  expect(evaluation.cappedPoints).toBe(
    sum(
      components
        .filter((c) => ['BASE', 'CATEGORY', 'MULTIPLIER'].includes(c.kind))
        .map((c) => c.points),
    ),
  );
}

export const pointsOf = (evaluation: EarnEvaluation, kind: EarnComponentKind) =>
  evaluation.components.find((c) => c.kind === kind)?.points ?? 0n;
export const kindsOf = (evaluation: EarnEvaluation) => evaluation.components.map((c) => c.kind);
/** A table keyed by the sentence each case reads as: vitest shortens a long $name in a title, never a %s. */
export const cases = <T>(table: Record<string, T>): [string, T][] => Object.entries(table);

export const partnerFunded = (
  kind: EarnComponentKind,
  points: bigint,
  ruleId: string | null = null,
): EarnComponent => ({ kind, ruleId, points, partnerPoints: points, operatorPoints: 0n });
