import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minorUnitsPerUnit } from '../currency';
import { baseRules, categoryKey, earnRulesSchema, type EarnChannel, type EarnRules, type Multiplier, type StampCard, type TierBonus } from './earn-rules';
import {
  evaluateEarn,
  versionAt,
  type BasketLine,
  type EarnComponent,
  type EarnComponentKind,
  type EarnEvaluation,
  type EarnInputs,
  type MemberEarnState,
} from './evaluate-earn';

const storeA = '3f1c9a52-8d3e-4b7a-9c1e-2a4b6c8d0e1f';
const storeB = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const saturdayNoon = new Date('2025-06-14T12:00:00Z');
const promotionStart = new Date('2025-06-13T00:00:00Z');
const promotionEnd = new Date('2025-06-16T00:00:00Z');

const line = (category: string, amountMinor: bigint): BasketLine => ({ sku: `${category}-${amountMinor}`, category, amountMinor });
const sum = (values: readonly bigint[]) => values.reduce((total, value) => total + value, 0n);

const multiplier = (overrides: Partial<Multiplier> = {}): Multiplier => ({
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

const coffeeCard = (overrides: Partial<StampCard> = {}): StampCard => ({
  id: 'coffee-card',
  name: 'Tenth coffee free',
  stampsRequired: 5,
  rewardPoints: 100n,
  categories: ['Coffee'],
  lineMinimumMinor: 200n,
  ...overrides,
});

interface Purchase {
  rules?: Partial<EarnRules>;
  lines: BasketLine[];
  currency?: string;
  at?: Date;
  storeId?: string;
  channel?: EarnChannel;
  member?: Partial<MemberEarnState>;
  tierBonuses?: TierBonus[];
}

function inputsOf(purchase: Purchase): EarnInputs {
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
    member: { tier: null, firstPurchaseAtPartner: false, cappedPointsToday: 0n, stamps: 0, ...purchase.member },
    tierBonuses: purchase.tierBonuses ?? [],
  };
}

/**
 * Evaluates a purchase and checks the bookkeeping every evaluation owes its caller, whatever the
 * rules: the totals are the sums of the components, each component is funded exactly once, and no
 * component is zero. The wallet posts these numbers to the ledger, so they are checked on every case.
 */
function earn(purchase: Purchase): EarnEvaluation {
  const evaluation = evaluateEarn(inputsOf(purchase));
  expectBalanced(evaluation);
  return evaluation;
}

function expectBalanced(evaluation: EarnEvaluation): void {
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
  expect(evaluation.cappedPoints).toBe(sum(components.filter((c) => ['BASE', 'CATEGORY', 'MULTIPLIER'].includes(c.kind)).map((c) => c.points)));
}

const pointsOf = (evaluation: EarnEvaluation, kind: EarnComponentKind) => evaluation.components.find((c) => c.kind === kind)?.points ?? 0n;
const kindsOf = (evaluation: EarnEvaluation) => evaluation.components.map((c) => c.kind);
/** A table keyed by the sentence each case reads as: vitest shortens a long $name in a title, never a %s. */
const cases = <T>(table: Record<string, T>): [string, T][] => Object.entries(table);

const partnerFunded = (kind: EarnComponentKind, points: bigint, ruleId: string | null = null): EarnComponent => ({ kind, ruleId, points, partnerPoints: points, operatorPoints: 0n });

describe('the base rate', () => {
  it.each(cases({
    '9.99 EUR at 1 point per euro earns 9, rounded down': { currency: 'EUR', rate: 1, amounts: [999n], points: 9n },
    '10.00 EUR at 1 point per euro earns 10': { currency: 'EUR', rate: 1, amounts: [1_000n], points: 10n },
    '10.01 EUR at 1 point per euro earns 10': { currency: 'EUR', rate: 1, amounts: [1_001n], points: 10n },
    '0.99 EUR at 1 point per euro earns nothing': { currency: 'EUR', rate: 1, amounts: [99n], points: 0n },
    '9.99 EUR at 3 points per euro earns 29 (29.97 rounded down)': { currency: 'EUR', rate: 3, amounts: [999n], points: 29n },
    '0.01 EUR at 1000 points per euro earns 10': { currency: 'EUR', rate: 1000, amounts: [1n], points: 10n },
    '1000.00 EUR at a base rate of 0 earns nothing': { currency: 'EUR', rate: 0, amounts: [100_000n], points: 0n },
    '999 JPY (no minor unit) at 1 point per yen earns 999': { currency: 'JPY', rate: 1, amounts: [999n], points: 999n },
    '1 JPY at 7 points per yen earns 7': { currency: 'JPY', rate: 7, amounts: [1n], points: 7n },
    '9.999 BHD (three decimals) at 1 point per dinar earns 9': { currency: 'BHD', rate: 1, amounts: [9_999n], points: 9n },
    '10.000 BHD at 1 point per dinar earns 10': { currency: 'BHD', rate: 1, amounts: [10_000n], points: 10n },
    '1.999 KWD at 5 points per dinar earns 9 (9.995 rounded down)': { currency: 'KWD', rate: 5, amounts: [1_999n], points: 9n },
    'two lines of 0.50 EUR at 1 point per euro earn 1: rounded once over the basket, not per line': { currency: 'EUR', rate: 1, amounts: [50n, 50n], points: 1n },
    'ten lines of 0.99 EUR at 1 point per euro earn 9, not 0': { currency: 'EUR', rate: 1, amounts: Array.from({ length: 10 }, () => 99n), points: 9n },
    'three lines of 0.333 BHD and one of 0.001 BHD earn 1': { currency: 'BHD', rate: 1, amounts: [333n, 333n, 333n, 1n], points: 1n },
  }))('%s', (_, { currency, rate, amounts, points }) => {
    const evaluation = earn({ currency, rules: { basePointsPerUnit: rate }, lines: amounts.map((amount) => line('Books', amount)) });
    expect(evaluation.points).toBe(points);
    expect(evaluation.components).toEqual(points > 0n ? [partnerFunded('BASE', points)] : []);
    expect(evaluation.eligibleMinor).toBe(sum(amounts));
    expect(evaluation.belowMinimum).toBe(false);
    expect(evaluation.capApplied).toBeNull();
  });
});

describe('category rates', () => {
  const rules: Partial<EarnRules> = {
    basePointsPerUnit: 1,
    categoryRates: [
      { category: 'Electronics', pointsPerUnit: 2 },
      { category: 'GROCERY', pointsPerUnit: 5 },
      { category: 'Lottery', pointsPerUnit: 0 },
    ],
  };

  it.each(cases({
    'a grocery line earns the grocery rate instead of the base rate': { lines: [line('GROCERY', 1_000n)], base: 0n, category: 50n },
    'a category matches case-insensitively and ignoring surrounding spaces': { lines: [line('  grocery ', 1_000n)], base: 0n, category: 50n },
    '9.99 EUR of electronics at 2 points earns 19 (19.98 rounded down)': { lines: [line('ELECTRONICS', 999n)], base: 0n, category: 19n },
    'a line in a category without a rate earns the base rate': { lines: [line('Books', 1_000n)], base: 10n, category: 0n },
    'base and category lines are rounded together: 9.99 + 49.95 = 59.94 earns 59': { lines: [line('Books', 999n), line('Grocery', 999n)], base: 9n, category: 50n },
    'the rounding remainder of the basket falls to the category part': { lines: [line('Books', 50n), line('Electronics', 25n)], base: 0n, category: 1n },
    'a rate-0 category earns nothing': { lines: [line('Lottery', 5_000n)], base: 0n, category: 0n },
  }))('%s', (_, { lines, base, category }) => {
    const evaluation = earn({ rules, lines });
    expect(pointsOf(evaluation, 'BASE')).toBe(base);
    expect(pointsOf(evaluation, 'CATEGORY')).toBe(category);
    expect(evaluation.points).toBe(base + category);
    expect(evaluation.eligibleMinor).toBe(sum(lines.map((l) => l.amountMinor)));
  });

  it.each(cases({
    '5.00 in a rate-0 category and 5.00 at the base rate reach a 10.00 minimum': { lines: [line('Lottery', 500n), line('Books', 500n)], belowMinimum: false, points: 5n },
    '5.00 in a rate-0 category and 4.99 at the base rate stay below a 10.00 minimum': { lines: [line('Lottery', 500n), line('Books', 499n)], belowMinimum: true, points: 0n },
    '10.00 in a rate-0 category alone reaches the minimum and earns nothing': { lines: [line('Lottery', 1_000n)], belowMinimum: false, points: 0n },
  }))('%s', (_, { lines, belowMinimum, points }) => {
    const evaluation = earn({ rules: { ...rules, minimumPurchaseMinor: 1_000n }, lines });
    expect(evaluation.belowMinimum).toBe(belowMinimum);
    expect(evaluation.points).toBe(points);
  });
});

describe('excluded categories', () => {
  const rules: Partial<EarnRules> = { basePointsPerUnit: 1, excludedCategories: ['Gift Cards', 'TOBACCO'] };

  it.each(cases({
    'an excluded line earns nothing and is not eligible': { lines: [line('Gift Cards', 5_000n), line('Books', 1_000n)], eligible: 1_000n, points: 10n },
    'exclusions match case-insensitively and ignoring surrounding spaces': { lines: [line(' gift cards', 5_000n), line('tobacco', 999n)], eligible: 0n, points: 0n },
    'a basket of excluded lines only earns nothing': { lines: [line('Tobacco', 10_000n)], eligible: 0n, points: 0n },
    'a category merely containing an excluded name is not excluded': { lines: [line('Tobacco accessories', 1_000n)], eligible: 1_000n, points: 10n },
  }))('%s', (_, { lines, eligible, points }) => {
    const evaluation = earn({ rules, lines });
    expect(evaluation.eligibleMinor).toBe(eligible);
    expect(evaluation.points).toBe(points);
  });

  it('an excluded line does not count toward the minimum purchase', () => {
    const evaluation = earn({ rules: { ...rules, minimumPurchaseMinor: 1_000n }, lines: [line('Books', 999n), line('gift cards', 5_000n)] });
    expect(evaluation).toMatchObject({ belowMinimum: true, eligibleMinor: 999n, points: 0n, components: [] });
  });
});

describe('the minimum purchase', () => {
  it.each(cases({
    'exactly the 20.00 EUR minimum earns': { currency: 'EUR', minimum: 2_000n, amounts: [2_000n], belowMinimum: false, points: 20n },
    '1 cent below the 20.00 EUR minimum earns nothing': { currency: 'EUR', minimum: 2_000n, amounts: [1_999n], belowMinimum: true, points: 0n },
    'the minimum is reached over several lines': { currency: 'EUR', minimum: 2_000n, amounts: [1_000n, 999n, 1n], belowMinimum: false, points: 20n },
    'exactly the 500 JPY minimum earns': { currency: 'JPY', minimum: 500n, amounts: [500n], belowMinimum: false, points: 500n },
    '1 yen below the 500 JPY minimum earns nothing': { currency: 'JPY', minimum: 500n, amounts: [499n], belowMinimum: true, points: 0n },
    '1 fils below the 5.000 BHD minimum earns nothing': { currency: 'BHD', minimum: 5_000n, amounts: [4_999n], belowMinimum: true, points: 0n },
    'with no minimum, 1 cent is not below it': { currency: 'EUR', minimum: 0n, amounts: [1n], belowMinimum: false, points: 0n },
  }))('%s', (_, { currency, minimum, amounts, belowMinimum, points }) => {
    const evaluation = earn({ currency, rules: { minimumPurchaseMinor: minimum }, lines: amounts.map((a) => line('Books', a)) });
    expect(evaluation.belowMinimum).toBe(belowMinimum);
    expect(evaluation.points).toBe(points);
    expect(evaluation.eligibleMinor).toBe(sum(amounts));
  });

  it('below the minimum, no multiplier, first-purchase bonus, stamp or tier bonus is given either', () => {
    const evaluation = earn({
      rules: { minimumPurchaseMinor: 2_000n, multipliers: [multiplier()], firstPurchaseBonusPoints: 500n, stampCard: coffeeCard() },
      lines: [line('Coffee', 1_999n)],
      member: { tier: 'GOLD', firstPurchaseAtPartner: true, stamps: 4 },
      tierBonuses: [{ tier: 'GOLD', bonusPercent: 50 }],
    });
    expect(evaluation).toEqual({
      points: 0n,
      partnerPoints: 0n,
      operatorPoints: 0n,
      components: [],
      eligibleMinor: 1_999n,
      cappedPoints: 0n,
      capApplied: null,
      belowMinimum: true,
      stamps: { cardId: 'coffee-card', before: 4, after: 4, completed: 0 },
    });
  });
});

describe('the caps', () => {
  // 10.00 EUR at 1 point per euro: 10 rate points before the caps.
  const tenPoints = [line('Books', 1_000n)];

  it.each(cases({
    'no cap earns everything': { perTransaction: null, perDay: null, today: 0n, capped: 10n, capApplied: null },
    'a transaction cap exactly equal to the points takes nothing': { perTransaction: 10n, perDay: null, today: 0n, capped: 10n, capApplied: null },
    'a transaction cap 1 below the points trims 1': { perTransaction: 9n, perDay: null, today: 0n, capped: 9n, capApplied: 'TRANSACTION' },
    'a transaction cap above the points takes nothing': { perTransaction: 11n, perDay: null, today: 0n, capped: 10n, capApplied: null },
    'a day cap with exactly the points left takes nothing': { perTransaction: null, perDay: 100n, today: 90n, capped: 10n, capApplied: null },
    'a day cap with 1 point less left trims 1': { perTransaction: null, perDay: 100n, today: 91n, capped: 9n, capApplied: 'MEMBER_DAY' },
    'a day already exhausted earns nothing': { perTransaction: null, perDay: 100n, today: 100n, capped: 0n, capApplied: 'MEMBER_DAY' },
    'a day overspent (under earlier rules) earns nothing, never less': { perTransaction: null, perDay: 100n, today: 150n, capped: 0n, capApplied: 'MEMBER_DAY' },
    'a day cap tighter than the transaction cap applies, as the day cap': { perTransaction: 8n, perDay: 100n, today: 95n, capped: 5n, capApplied: 'MEMBER_DAY' },
    'a transaction cap tighter than the day cap applies, as the transaction cap': { perTransaction: 8n, perDay: 100n, today: 50n, capped: 8n, capApplied: 'TRANSACTION' },
    'a day cap leaving exactly the transaction cap is reported as the transaction cap': { perTransaction: 5n, perDay: 100n, today: 95n, capped: 5n, capApplied: 'TRANSACTION' },
  } as const))('%s', (_, { perTransaction, perDay, today, capped, capApplied }) => {
    const evaluation = earn({ rules: { capPerTransactionPoints: perTransaction, capPerMemberDayPoints: perDay }, lines: tenPoints, member: { cappedPointsToday: today } });
    expect(evaluation.cappedPoints).toBe(capped);
    expect(evaluation.points).toBe(capped);
    expect(evaluation.capApplied).toBe(capApplied);
    expect(evaluation.components).toEqual(capped > 0n ? [partnerFunded('BASE', capped)] : []);
  });

  describe('trim the multiplier bonus first, then category points, then base points', () => {
    // 10.00 EUR of books at 1 point (10 base) + 10.00 EUR of grocery at 2 points (20 category), doubled (30 bonus): 60.
    const rules: Partial<EarnRules> = { categoryRates: [{ category: 'Grocery', pointsPerUnit: 2 }], multipliers: [multiplier()] };
    const lines = [line('Books', 1_000n), line('Grocery', 1_000n)];

    it.each([
      // cap, base, category, bonus
      [60, 10, 20, 30],
      [45, 10, 20, 15],
      [31, 10, 20, 1],
      [30, 10, 20, 0],
      [25, 10, 15, 0],
      [11, 10, 1, 0],
      [10, 10, 0, 0],
      [4, 4, 0, 0],
    ])('a cap of %i, per transaction or per day, leaves %i base, %i category and %i bonus points', (cap, base, category, bonus) => {
      for (const caps of [{ capPerTransactionPoints: BigInt(cap) }, { capPerMemberDayPoints: BigInt(cap) }]) {
        const evaluation = earn({ rules: { ...rules, ...caps }, lines });
        expect([pointsOf(evaluation, 'BASE'), pointsOf(evaluation, 'CATEGORY'), pointsOf(evaluation, 'MULTIPLIER')]).toEqual([base, category, bonus].map(BigInt));
        expect(evaluation.cappedPoints).toBe(BigInt(base + category + bonus));
      }
    });
  });

  it('a trimmed co-funded bonus is shared on what is left of it', () => {
    // 10 rate points doubled: 10 bonus, capped to 3; the operator funds half of 3, rounded down.
    const evaluation = earn({ rules: { capPerTransactionPoints: 13n, multipliers: [multiplier({ operatorSharePercent: 50 })] }, lines: tenPoints });
    expect(evaluation.components).toContainEqual({ kind: 'MULTIPLIER', ruleId: 'double', points: 3n, partnerPoints: 2n, operatorPoints: 1n });
  });

  it('the first-purchase bonus and stamp rewards are never capped, even on an exhausted day', () => {
    const evaluation = earn({
      rules: { capPerTransactionPoints: 1n, capPerMemberDayPoints: 100n, firstPurchaseBonusPoints: 500n, stampCard: coffeeCard() },
      lines: [line('Coffee', 1_000n)],
      member: { firstPurchaseAtPartner: true, cappedPointsToday: 100n, stamps: 4 },
    });
    expect(evaluation.components).toEqual([partnerFunded('FIRST_PURCHASE', 500n), partnerFunded('STAMP_CARD', 100n, 'coffee-card')]);
    expect(evaluation).toMatchObject({ points: 600n, cappedPoints: 0n, capApplied: 'MEMBER_DAY' });
  });
});

describe('multipliers', () => {
  // 10.00 EUR at 1 point per euro: 10 rate points, so a 200% multiplier adds 10.
  const tenPoints = [line('Books', 1_000n)];
  const bonusOf = (purchase: Omit<Purchase, 'lines'>) => pointsOf(earn({ ...purchase, lines: tenPoints }), 'MULTIPLIER');

  it.each(cases({
    'a purchase one millisecond before startsAt gets no bonus': { at: new Date(promotionStart.getTime() - 1), bonus: 0n },
    'a purchase exactly at startsAt gets the bonus (inclusive)': { at: promotionStart, bonus: 10n },
    'a purchase one millisecond before endsAt gets the bonus': { at: new Date(promotionEnd.getTime() - 1), bonus: 10n },
    'a purchase exactly at endsAt gets no bonus (exclusive)': { at: promotionEnd, bonus: 0n },
  }))('%s', (_, { at, bonus }) => {
    expect(bonusOf({ rules: { multipliers: [multiplier()] }, at })).toBe(bonus);
  });

  it.each(cases({
    'applies in a store it names': { storeIds: [storeA, storeB], channels: null, storeId: storeA, channel: 'PHYSICAL', bonus: 10n },
    'does not apply in a store it does not name': { storeIds: [storeB], channels: null, storeId: storeA, channel: 'PHYSICAL', bonus: 0n },
    'applies in any store when it names none': { storeIds: null, channels: null, storeId: storeB, channel: 'ONLINE', bonus: 10n },
    'applies on the channel it names': { storeIds: null, channels: ['ONLINE'], storeId: storeA, channel: 'ONLINE', bonus: 10n },
    'does not apply on a channel it does not name': { storeIds: null, channels: ['ONLINE'], storeId: storeA, channel: 'PHYSICAL', bonus: 0n },
    'applies on either channel when it names both': { storeIds: null, channels: ['PHYSICAL', 'ONLINE'], storeId: storeA, channel: 'PHYSICAL', bonus: 10n },
    'does not apply in the right store on the wrong channel': { storeIds: [storeA], channels: ['ONLINE'], storeId: storeA, channel: 'PHYSICAL', bonus: 0n },
    'does not apply on the right channel in the wrong store': { storeIds: [storeB], channels: ['ONLINE'], storeId: storeA, channel: 'ONLINE', bonus: 0n },
  } as const))('%s', (_, { storeIds, channels, storeId, channel, bonus }) => {
    expect(bonusOf({ rules: { multipliers: [multiplier({ storeIds: storeIds && [...storeIds], channels: channels && [...channels] })] }, storeId, channel })).toBe(bonus);
  });

  it.each([
    // percent, rate points, bonus
    [200, 10, 10],
    [150, 10, 5],
    [150, 9, 4],
    [101, 99, 0],
    [101, 100, 1],
    [1000, 10, 90],
    [333, 7, 16],
  ])('%i% on %i rate points adds %i, rounded down', (percent, ratePoints, bonus) => {
    const evaluation = earn({ rules: { multipliers: [multiplier({ percent })] }, lines: [line('Books', BigInt(ratePoints) * 100n)] });
    expect(pointsOf(evaluation, 'MULTIPLIER')).toBe(BigInt(bonus));
    expect(evaluation.points).toBe(BigInt(ratePoints + bonus));
    expect(kindsOf(evaluation)).toEqual(bonus > 0 ? ['BASE', 'MULTIPLIER'] : ['BASE']);
  });

  it('multiplies category points as well as base points', () => {
    // 10.00 EUR of grocery at 5 points: 50, at 150%: 25 more.
    const evaluation = earn({ rules: { categoryRates: [{ category: 'Grocery', pointsPerUnit: 5 }], multipliers: [multiplier({ percent: 150 })] }, lines: [line('Grocery', 1_000n)] });
    expect(kindsOf(evaluation)).toEqual(['CATEGORY', 'MULTIPLIER']);
    expect(pointsOf(evaluation, 'MULTIPLIER')).toBe(25n);
  });

  it.each(cases({
    'the highest percent wins': { multipliers: [multiplier({ id: 'plus-half', percent: 150 }), multiplier({ id: 'triple', percent: 300 }), multiplier({ id: 'double', percent: 200 })], winner: 'triple', bonus: 20n },
    'multipliers never stack: 200% and 150% give 200%, not 250%': { multipliers: [multiplier({ id: 'double', percent: 200 }), multiplier({ id: 'plus-half', percent: 150 })], winner: 'double', bonus: 10n },
    'an inactive multiplier does not compete': { multipliers: [multiplier({ id: 'triple', percent: 300, storeIds: [storeB] }), multiplier({ id: 'double', percent: 200 })], winner: 'double', bonus: 10n },
    'an ended multiplier does not compete': { multipliers: [multiplier({ id: 'triple', percent: 300, endsAt: saturdayNoon }), multiplier({ id: 'double', percent: 200 })], winner: 'double', bonus: 10n },
    'on equal percent, the lowest operator share wins': {
      multipliers: [multiplier({ id: 'a-cofunded', operatorSharePercent: 50 }), multiplier({ id: 'z-partner', operatorSharePercent: 0 }), multiplier({ id: 'm-cofunded', operatorSharePercent: 20 })],
      winner: 'z-partner',
      bonus: 10n,
    },
    'on equal percent and share, the lowest id wins, listed last': { multipliers: [multiplier({ id: 'b' }), multiplier({ id: 'a' })], winner: 'a', bonus: 10n },
    'on equal percent and share, the lowest id wins, listed first': { multipliers: [multiplier({ id: 'a' }), multiplier({ id: 'b' })], winner: 'a', bonus: 10n },
  }))('%s', (_, { multipliers, winner, bonus }) => {
    const evaluation = earn({ rules: { multipliers }, lines: tenPoints });
    expect(evaluation.components.filter((c) => c.kind === 'MULTIPLIER')).toEqual([expect.objectContaining({ ruleId: winner, points: bonus })]);
  });
});

describe('co-funded multipliers', () => {
  it.each([
    // share, percent, rate points, operator, partner
    [0, 200, 10, 0, 10],
    [50, 200, 10, 5, 5],
    [50, 200, 9, 4, 5],
    [33, 200, 10, 3, 7],
    [99, 200, 10, 9, 1],
    [100, 200, 10, 10, 0],
    [100, 150, 7, 3, 0],
  ])('an operator share of %i% of a %i% bonus on %i rate points: the operator funds %i of it (rounded down), the partner %i', (share, percent, ratePoints, operator, partner) => {
    const evaluation = earn({ rules: { multipliers: [multiplier({ percent, operatorSharePercent: share })] }, lines: [line('Books', BigInt(ratePoints) * 100n)] });
    expect(evaluation.components.find((c) => c.kind === 'MULTIPLIER')).toEqual({ kind: 'MULTIPLIER', ruleId: 'double', points: BigInt(operator + partner), partnerPoints: BigInt(partner), operatorPoints: BigInt(operator) });
    expect(evaluation.operatorPoints).toBe(BigInt(operator));
    expect(evaluation.partnerPoints).toBe(BigInt(ratePoints + partner));
  });
});

describe('the first-purchase bonus', () => {
  it.each(cases({
    'is given, partner-funded, on the member’s first purchase at the partner': { first: true, bonusPoints: 500n, given: 500n },
    'is not given when the member has bought at the partner before': { first: false, bonusPoints: 500n, given: 0n },
    'is not listed when the partner offers none': { first: true, bonusPoints: 0n, given: 0n },
  }))('%s', (_, { first, bonusPoints, given }) => {
    const evaluation = earn({ rules: { firstPurchaseBonusPoints: bonusPoints }, lines: [line('Books', 1_000n)], member: { firstPurchaseAtPartner: first } });
    expect(evaluation.components).toEqual([partnerFunded('BASE', 10n), ...(given > 0n ? [partnerFunded('FIRST_PURCHASE', given)] : [])]);
  });

  it('is not given for a basket of excluded lines only (a gift card earns nothing, not even a welcome)', () => {
    const evaluation = earn({ rules: { excludedCategories: ['gift cards'], firstPurchaseBonusPoints: 500n }, lines: [line('Gift Cards', 5_000n)], member: { firstPurchaseAtPartner: true } });
    expect(evaluation).toMatchObject({ points: 0n, components: [], belowMinimum: true, eligibleMinor: 0n });
  });

  it.each(cases({
    'is given on a purchase of exactly the minimum': { amount: 1_000n, points: 510n },
    'is not given on a purchase 1 cent below the minimum': { amount: 999n, points: 0n },
  }))('%s', (_, { amount, points }) => {
    const evaluation = earn({ rules: { minimumPurchaseMinor: 1_000n, firstPurchaseBonusPoints: 500n }, lines: [line('Books', amount)], member: { firstPurchaseAtPartner: true } });
    expect(evaluation.points).toBe(points);
  });

  it('is not capped and does not count toward the daily cap', () => {
    const evaluation = earn({ rules: { capPerTransactionPoints: 3n, firstPurchaseBonusPoints: 500n }, lines: [line('Books', 1_000n)], member: { firstPurchaseAtPartner: true } });
    expect(evaluation).toMatchObject({ points: 503n, cappedPoints: 3n, capApplied: 'TRANSACTION' });
  });
});

describe('the stamp card', () => {
  // Five stamps complete the card for 100 points; a coffee line of 2.00 EUR or more earns a stamp.
  const coffee = (count: number) => Array.from({ length: count }, () => line('Coffee', 300n));

  it.each(cases({
    'one coffee line of 3.00 earns one stamp': { lines: coffee(1), before: 0, after: 1, completed: 0 },
    'a coffee line of exactly the 2.00 line minimum earns a stamp': { lines: [line('Coffee', 200n)], before: 0, after: 1, completed: 0 },
    'a coffee line 1 cent below the line minimum earns none': { lines: [line('Coffee', 199n)], before: 0, after: 0, completed: 0 },
    'a line in another category earns none': { lines: [line('Books', 1_000n)], before: 2, after: 2, completed: 0 },
    'categories match case-insensitively': { lines: [line(' COFFEE ', 300n)], before: 0, after: 1, completed: 0 },
    'each qualifying line earns one stamp': { lines: [...coffee(2), line('Coffee', 100n), line('Books', 300n)], before: 0, after: 2, completed: 0 },
    'the fifth stamp completes the card exactly': { lines: coffee(1), before: 4, after: 0, completed: 1 },
    'stamps beyond a completed card carry over': { lines: coffee(3), before: 4, after: 2, completed: 1 },
    'a basket can complete the card twice': { lines: coffee(7), before: 3, after: 0, completed: 2 },
    'a basket can complete the card twice and carry stamps over': { lines: coffee(8), before: 3, after: 1, completed: 2 },
  }))('%s', (_, { lines, before, after, completed }) => {
    const evaluation = earn({ rules: { stampCard: coffeeCard() }, lines, member: { stamps: before } });
    expect(evaluation.stamps).toEqual({ cardId: 'coffee-card', before, after, completed });
    expect(evaluation.components.filter((c) => c.kind === 'STAMP_CARD')).toEqual(completed > 0 ? [partnerFunded('STAMP_CARD', 100n * BigInt(completed), 'coffee-card')] : []);
  });

  it('stamps any amount when the line minimum is 0', () => {
    const evaluation = earn({ rules: { stampCard: coffeeCard({ lineMinimumMinor: 0n }) }, lines: [line('Coffee', 1n)] });
    expect(evaluation.stamps).toMatchObject({ before: 0, after: 1 });
  });

  it('never stamps a line in an excluded category', () => {
    const evaluation = earn({ rules: { excludedCategories: ['coffee'], stampCard: coffeeCard() }, lines: [line('Coffee', 300n), line('Books', 1_000n)], member: { stamps: 4 } });
    expect(evaluation.stamps).toEqual({ cardId: 'coffee-card', before: 4, after: 4, completed: 0 });
  });

  it('stamps a line whose category earns no rate points', () => {
    const evaluation = earn({ rules: { categoryRates: [{ category: 'Coffee', pointsPerUnit: 0 }], stampCard: coffeeCard() }, lines: [line('Coffee', 300n)], member: { stamps: 4 } });
    expect(evaluation).toMatchObject({ points: 100n, stamps: { after: 0, completed: 1 } });
  });

  it('reports no stamps when the partner has no card', () => {
    expect(earn({ lines: coffee(1) }).stamps).toBeNull();
  });
});

describe('the tier bonus, funded by the operator', () => {
  const tierBonuses: TierBonus[] = [
    { tier: 'GOLD', bonusPercent: 25 },
    { tier: 'SILVER', bonusPercent: 1 },
    { tier: 'DIAMOND', bonusPercent: 500 },
  ];

  it.each(cases({
    'GOLD (25%) on 10 points adds 2 (2.5 rounded down)': { tier: 'GOLD', rules: {}, euros: 10n, bonus: 2n },
    'GOLD (25%) on 40 points adds 10': { tier: 'GOLD', rules: {}, euros: 40n, bonus: 10n },
    'SILVER (1%) on 99 points adds nothing': { tier: 'SILVER', rules: {}, euros: 99n, bonus: 0n },
    'SILVER (1%) on 100 points adds 1': { tier: 'SILVER', rules: {}, euros: 100n, bonus: 1n },
    'DIAMOND (500%) on 3 points adds 15': { tier: 'DIAMOND', rules: {}, euros: 3n, bonus: 15n },
    'GOLD on 10 points doubled by a multiplier adds 25% of the 20 capped points': { tier: 'GOLD', rules: { multipliers: [multiplier()] }, euros: 10n, bonus: 5n },
    'GOLD on 40 points capped to 8 adds 25% of the 8': { tier: 'GOLD', rules: { capPerTransactionPoints: 8n }, euros: 40n, bonus: 2n },
    'GOLD on 40 points and a first-purchase bonus adds 25% of the 40 only': { tier: 'GOLD', rules: { firstPurchaseBonusPoints: 1_000n }, euros: 40n, bonus: 10n },
    'a tier without a bonus adds nothing': { tier: 'BRONZE', rules: {}, euros: 40n, bonus: 0n },
    'a tier named in another case adds nothing': { tier: 'gold', rules: {}, euros: 40n, bonus: 0n },
    'a member without a tier gets nothing': { tier: null, rules: {}, euros: 40n, bonus: 0n },
  }))('%s', (_, { tier, rules, euros, bonus }) => {
    const evaluation = earn({ rules, lines: [line('Books', euros * 100n)], member: { tier, firstPurchaseAtPartner: true }, tierBonuses });
    expect(evaluation.components.filter((c) => c.kind === 'TIER')).toEqual(bonus > 0n ? [{ kind: 'TIER', ruleId: tier, points: bonus, partnerPoints: 0n, operatorPoints: bonus }] : []);
    expect(evaluation.operatorPoints).toBe(bonus);
  });
});

describe('the evaluation as a whole', () => {
  it('lists every non-zero part in order, and the totals add them up', () => {
    const evaluation = earn({
      rules: {
        basePointsPerUnit: 1,
        categoryRates: [{ category: 'Grocery', pointsPerUnit: 3 }],
        excludedCategories: ['Gift cards'],
        multipliers: [multiplier({ id: 'summer', percent: 150, operatorSharePercent: 40 })],
        firstPurchaseBonusPoints: 250n,
        stampCard: coffeeCard(),
      },
      // 12.34 at 1 + 5.00 at 3 + 3.00 at 1 = 30.34: 30 rate points (15 base, 15 category); 150%: 15 bonus.
      lines: [line('Books', 1_234n), line('Grocery', 500n), line('Coffee', 300n), line('Gift cards', 5_000n)],
      member: { tier: 'GOLD', firstPurchaseAtPartner: true, stamps: 4 },
      tierBonuses: [{ tier: 'GOLD', bonusPercent: 10 }],
    });
    expect(evaluation.components).toEqual([
      partnerFunded('BASE', 15n),
      partnerFunded('CATEGORY', 15n),
      { kind: 'MULTIPLIER', ruleId: 'summer', points: 15n, partnerPoints: 9n, operatorPoints: 6n },
      partnerFunded('FIRST_PURCHASE', 250n),
      partnerFunded('STAMP_CARD', 100n, 'coffee-card'),
      { kind: 'TIER', ruleId: 'GOLD', points: 4n, partnerPoints: 0n, operatorPoints: 4n },
    ]);
    expect(evaluation).toMatchObject({
      points: 399n,
      partnerPoints: 389n,
      operatorPoints: 10n,
      eligibleMinor: 2_034n,
      cappedPoints: 45n,
      capApplied: null,
      belowMinimum: false,
      stamps: { cardId: 'coffee-card', before: 4, after: 0, completed: 1 },
    });
  });

  it('lists no component when nothing is earned', () => {
    const evaluation = earn({
      rules: { basePointsPerUnit: 0, multipliers: [multiplier()], firstPurchaseBonusPoints: 0n },
      lines: [line('Books', 10_000n)],
      member: { tier: 'GOLD', firstPurchaseAtPartner: true },
      tierBonuses: [{ tier: 'GOLD', bonusPercent: 50 }],
    });
    expect(evaluation).toMatchObject({ points: 0n, components: [], belowMinimum: false });
  });

  it.each([
    ['JPY', 'EUR'],
    ['EUR', 'BHD'],
  ])('refuses a basket in %s under rules in %s', (basket, rules) => {
    const inputs = inputsOf({ currency: rules, lines: [line('Books', 1_000n)] });
    expect(() => evaluateEarn({ ...inputs, basket: { ...inputs.basket, currency: basket } })).toThrow(new RangeError(`a basket in ${basket} cannot earn under rules in ${rules}`));
  });
});

describe('the rules version in force', () => {
  const versions = [
    { version: 2, effectiveFrom: new Date('2025-03-01T00:00:00Z') },
    { version: 3, effectiveFrom: new Date('2025-06-01T00:00:00Z') },
    { version: 1, effectiveFrom: new Date('2025-01-01T00:00:00Z') },
  ];

  it.each(cases({
    'a millisecond before the first version starts, is none': { at: '2024-12-31T23:59:59.999Z', version: undefined },
    'exactly when the first version starts, is the first': { at: '2025-01-01T00:00:00.000Z', version: 1 },
    'between the first and second versions, is the first': { at: '2025-02-28T12:00:00.000Z', version: 1 },
    'a millisecond before the second version starts, is still the first': { at: '2025-02-28T23:59:59.999Z', version: 1 },
    'exactly when the second version starts, is the second': { at: '2025-03-01T00:00:00.000Z', version: 2 },
    'long after the last version starts, is the last': { at: '2030-01-01T00:00:00.000Z', version: 3 },
  }))('%s', (_, { at, version }) => {
    expect(versionAt(versions, new Date(at))?.version).toBe(version);
  });

  it('is none when there are no versions', () => {
    expect(versionAt([], saturdayNoon)).toBeUndefined();
  });
});

/**
 * Random valid rules and baskets: each category is at the base rate, rated or excluded (never both,
 * as the schema requires), promotions fall around the purchase time, and the member may be close
 * to the day's cap. The invariants below are what the wallet relies on when it posts an earn.
 */
describe('any evaluation of random valid rules and baskets', () => {
  const categories = ['GROCERY', 'ELECTRONICS', 'COFFEE', 'GIFT_CARDS', 'BOOKS'];
  const epochMs = Date.parse('2025-06-01T00:00:00Z');
  const dayMs = 86_400_000;
  type Role = { role: 'base' } | { role: 'rated'; pointsPerUnit: number } | { role: 'excluded' };
  const role: fc.Arbitrary<Role> = fc.oneof(
    fc.constant({ role: 'base' as const }),
    fc.record({ role: fc.constant('rated' as const), pointsPerUnit: fc.integer({ min: 0, max: 1000 }) }),
    fc.constant({ role: 'excluded' as const }),
  );
  const roles = fc.record(Object.fromEntries(categories.map((c) => [c, role])) as Record<string, fc.Arbitrary<Role>>);
  const points = (max: bigint) => fc.option(fc.bigInt({ min: 1n, max }), { nil: null });
  const multiplierArb: fc.Arbitrary<Multiplier> = fc
    .record({
      id: fc.constantFrom('m1', 'm2', 'm3', 'm4'),
      percent: fc.oneof(fc.constantFrom(150, 200), fc.integer({ min: 101, max: 1000 })),
      startMs: fc.integer({ min: 0, max: 20 * dayMs }),
      lengthMs: fc.integer({ min: 1, max: 10 * dayMs }),
      storeIds: fc.option(fc.subarray([storeA, storeB], { minLength: 1 }), { nil: null }),
      channels: fc.option(fc.subarray<EarnChannel>(['PHYSICAL', 'ONLINE'], { minLength: 1 }), { nil: null }),
      operatorSharePercent: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 })),
    })
    .map(({ startMs, lengthMs, ...m }) => ({ ...m, name: 'Promotion', startsAt: new Date(epochMs + startMs), endsAt: new Date(epochMs + startMs + lengthMs) }));
  const stampCardArb: fc.Arbitrary<StampCard> = fc.record({
    id: fc.constant('card'),
    name: fc.constant('Card'),
    stampsRequired: fc.integer({ min: 2, max: 100 }),
    rewardPoints: fc.bigInt({ min: 1n, max: 1_000_000n }),
    categories: fc.subarray(categories, { minLength: 1 }),
    lineMinimumMinor: fc.bigInt({ min: 0n, max: 5_000n }),
  });
  const rulesArb: fc.Arbitrary<EarnRules> = fc
    .record({
      basePointsPerUnit: fc.integer({ min: 0, max: 1000 }),
      roles,
      minimumPurchaseMinor: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 50_000n })),
      capPerTransactionPoints: points(20_000n),
      capPerMemberDayPoints: points(50_000n),
      multipliers: fc.uniqueArray(multiplierArb, { maxLength: 4, selector: (m) => m.id }),
      firstPurchaseBonusPoints: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 1_000_000n })),
      stampCard: fc.option(stampCardArb, { nil: null }),
    })
    .map(({ roles: byCategory, ...rules }) => {
      const entries = Object.entries(byCategory);
      const excludedCategories = entries.flatMap(([category, r]) => (r.role === 'excluded' ? [category] : []));
      // The schema refuses a stamp card whose every category is excluded: it could never stamp.
      const stampCard = rules.stampCard && rules.stampCard.categories.every((c) => excludedCategories.includes(c)) ? null : rules.stampCard;
      return {
        ...rules,
        stampCard,
        categoryRates: entries.flatMap(([category, r]) => (r.role === 'rated' ? [{ category, pointsPerUnit: r.pointsPerUnit }] : [])),
        excludedCategories,
      };
    });
  const lineArb: fc.Arbitrary<BasketLine> = fc.record({
    sku: fc.constant('sku'),
    category: fc.constantFrom(...categories, 'coffee', ' Books ', 'Toys'),
    amountMinor: fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: 500_000n })),
  });
  const scenarios: fc.Arbitrary<EarnInputs> = fc
    .record({
      rules: rulesArb,
      currency: fc.constantFrom('EUR', 'JPY', 'BHD'),
      lines: fc.array(lineArb, { minLength: 1, maxLength: 20 }),
      occurredMs: fc.integer({ min: 0, max: 30 * dayMs }),
      storeId: fc.constantFrom(storeA, storeB),
      channel: fc.constantFrom<EarnChannel>('PHYSICAL', 'ONLINE'),
      member: fc.record({
        tier: fc.option(fc.constantFrom('GOLD', 'SILVER', 'BRONZE'), { nil: null }),
        firstPurchaseAtPartner: fc.boolean(),
        cappedPointsToday: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 60_000n })),
        stamps: fc.integer({ min: 0, max: 99 }),
      }),
      tierBonuses: fc.uniqueArray(fc.record({ tier: fc.constantFrom('GOLD', 'SILVER'), bonusPercent: fc.integer({ min: 1, max: 500 }) }), { selector: (t) => t.tier }),
    })
    .map(({ rules, currency, lines, occurredMs, storeId, channel, member, tierBonuses }) => ({
      rules,
      currency,
      basket: { currency, totalMinor: sum(lines.map((l) => l.amountMinor)), occurredAt: new Date(epochMs + occurredMs), storeId, channel, lines },
      // A member's card never holds a full set of stamps between purchases: completing it resets it.
      member: rules.stampCard ? { ...member, stamps: member.stamps % rules.stampCard.stampsRequired } : member,
      tierBonuses,
    }));
  const uncapped = (inputs: EarnInputs): EarnInputs => ({ ...inputs, rules: { ...inputs.rules, capPerTransactionPoints: null, capPerMemberDayPoints: null } });
  const runs = { numRuns: 500 };

  it('uses rules the schema accepts', () => {
    fc.assert(
      fc.property(rulesArb, (rules) => {
        expect(earnRulesSchema.parse(rules)).toEqual(rules);
      }),
      runs,
    );
  });

  it('balances: points = partnerPoints + operatorPoints = the sum of the components, none zero or negative', () => {
    fc.assert(
      fc.property(scenarios, (inputs) => {
        expectBalanced(evaluateEarn(inputs));
      }),
      runs,
    );
  });

  it('keeps the capped points within both caps', () => {
    fc.assert(
      fc.property(scenarios, (inputs) => {
        const { cappedPoints, capApplied } = evaluateEarn(inputs);
        const { capPerTransactionPoints, capPerMemberDayPoints } = inputs.rules;
        expect(cappedPoints).toBeGreaterThanOrEqual(0n);
        if (capPerTransactionPoints !== null) expect(cappedPoints).toBeLessThanOrEqual(capPerTransactionPoints);
        if (capPerMemberDayPoints !== null) {
          const left = capPerMemberDayPoints - inputs.member.cappedPointsToday;
          expect(cappedPoints).toBeLessThanOrEqual(left > 0n ? left : 0n);
        }
        if (capApplied === 'TRANSACTION') expect(cappedPoints).toBe(capPerTransactionPoints);
      }),
      runs,
    );
  });

  it('never earns more than the same purchase without caps, part by part, and equals it when no cap applied', () => {
    fc.assert(
      fc.property(scenarios, (inputs) => {
        const capped = evaluateEarn(inputs);
        const free = evaluateEarn(uncapped(inputs));
        expect(capped.points).toBeLessThanOrEqual(free.points);
        expect(capped.cappedPoints).toBeLessThanOrEqual(free.cappedPoints);
        for (const kind of ['BASE', 'CATEGORY', 'MULTIPLIER', 'FIRST_PURCHASE', 'STAMP_CARD', 'TIER'] as const) {
          expect(pointsOf(capped, kind)).toBeLessThanOrEqual(pointsOf(free, kind));
        }
        if (capped.capApplied === null) expect(capped).toEqual(free);
      }),
      runs,
    );
  });

  it('earns exactly the basket rate points, rounded down once, when nothing caps or multiplies them', () => {
    fc.assert(
      fc.property(scenarios, (inputs) => {
        const evaluation = evaluateEarn(uncapped({ ...inputs, rules: { ...inputs.rules, multipliers: [] } }));
        const excluded = new Set(inputs.rules.excludedCategories.map(categoryKey));
        const rates = new Map(inputs.rules.categoryRates.map((c) => [categoryKey(c.category), c.pointsPerUnit]));
        const eligible = inputs.basket.lines.filter((l) => !excluded.has(categoryKey(l.category)));
        const weighted = sum(eligible.map((l) => l.amountMinor * BigInt(rates.get(categoryKey(l.category)) ?? inputs.rules.basePointsPerUnit)));
        const eligibleMinor = sum(eligible.map((l) => l.amountMinor));
        expect(evaluation.eligibleMinor).toBe(eligibleMinor);
        expect(evaluation.cappedPoints).toBe(eligibleMinor < inputs.rules.minimumPurchaseMinor ? 0n : weighted / minorUnitsPerUnit(inputs.currency));
      }),
      runs,
    );
  });

  it('keeps every stamp: stamps before plus stamps earned = stamps after plus cards completed × stamps required', () => {
    fc.assert(
      fc.property(scenarios, (inputs) => {
        const { stamps, belowMinimum } = evaluateEarn(inputs);
        const card = inputs.rules.stampCard;
        if (!card) {
          expect(stamps).toBeNull();
          return;
        }
        const excluded = new Set(inputs.rules.excludedCategories.map(categoryKey));
        const stamping = new Set(card.categories.map(categoryKey));
        const earned = belowMinimum ? 0 : inputs.basket.lines.filter((l) => stamping.has(categoryKey(l.category)) && !excluded.has(categoryKey(l.category)) && l.amountMinor >= card.lineMinimumMinor).length;
        expect(stamps).not.toBeNull();
        if (!stamps) return;
        expect(stamps.before + earned).toBe(stamps.after + stamps.completed * card.stampsRequired);
        expect(stamps.after).toBeGreaterThanOrEqual(0);
        expect(stamps.after).toBeLessThan(card.stampsRequired);
      }),
      runs,
    );
  });

  it('gives the same result twice and leaves its inputs untouched', () => {
    fc.assert(
      fc.property(scenarios, (inputs) => {
        const before = structuredClone(inputs);
        expect(evaluateEarn(inputs)).toEqual(evaluateEarn(inputs));
        expect(inputs).toEqual(before);
      }),
      runs,
    );
  });
});
