import { describe, expect, it } from 'vitest';
import type { TierBonus } from './earn-rules';
import { evaluateEarn, versionAt } from './evaluate-earn';
import {
  cases,
  coffeeCard,
  earn,
  inputsOf,
  line,
  multiplier,
  partnerFunded,
  saturdayNoon,
} from './evaluate-earn.fixtures';

describe('the first-purchase bonus', () => {
  it.each(
    cases({
      'is given, partner-funded, on the member’s first purchase at the partner': {
        first: true,
        bonusPoints: 500n,
        given: 500n,
      },
      'is not given when the member has bought at the partner before': {
        first: false,
        bonusPoints: 500n,
        given: 0n,
      },
      'is not listed when the partner offers none': { first: true, bonusPoints: 0n, given: 0n },
    }),
  )('%s', (_, { first, bonusPoints, given }) => {
    const evaluation = earn({
      rules: { firstPurchaseBonusPoints: bonusPoints },
      lines: [line('Books', 1_000n)],
      member: { firstPurchaseAtPartner: first },
    });
    expect(evaluation.components).toEqual([
      partnerFunded('BASE', 10n),
      ...(given > 0n ? [partnerFunded('FIRST_PURCHASE', given)] : []),
    ]);
  });

  it('is not given for a basket of excluded lines only (a gift card earns nothing, not even a welcome)', () => {
    const evaluation = earn({
      rules: { excludedCategories: ['gift cards'], firstPurchaseBonusPoints: 500n },
      lines: [line('Gift Cards', 5_000n)],
      member: { firstPurchaseAtPartner: true },
    });
    expect(evaluation).toMatchObject({
      points: 0n,
      components: [],
      belowMinimum: true,
      eligibleMinor: 0n,
    });
  });

  it.each(
    cases({
      'is given on a purchase of exactly the minimum': { amount: 1_000n, points: 510n },
      'is not given on a purchase 1 cent below the minimum': { amount: 999n, points: 0n },
    }),
  )('%s', (_, { amount, points }) => {
    const evaluation = earn({
      rules: { minimumPurchaseMinor: 1_000n, firstPurchaseBonusPoints: 500n },
      lines: [line('Books', amount)],
      member: { firstPurchaseAtPartner: true },
    });
    expect(evaluation.points).toBe(points);
  });

  it('is not capped and does not count toward the daily cap', () => {
    const evaluation = earn({
      rules: { capPerTransactionPoints: 3n, firstPurchaseBonusPoints: 500n },
      lines: [line('Books', 1_000n)],
      member: { firstPurchaseAtPartner: true },
    });
    expect(evaluation).toMatchObject({ points: 503n, cappedPoints: 3n, capApplied: 'TRANSACTION' });
  });
});

describe('the stamp card', () => {
  // Five stamps complete the card for 100 points; a coffee line of 2.00 EUR or more earns a stamp.
  const coffee = (count: number) => Array.from({ length: count }, () => line('Coffee', 300n));

  it.each(
    cases({
      'one coffee line of 3.00 earns one stamp': {
        lines: coffee(1),
        before: 0,
        after: 1,
        completed: 0,
      },
      'a coffee line of exactly the 2.00 line minimum earns a stamp': {
        lines: [line('Coffee', 200n)],
        before: 0,
        after: 1,
        completed: 0,
      },
      'a coffee line 1 cent below the line minimum earns none': {
        lines: [line('Coffee', 199n)],
        before: 0,
        after: 0,
        completed: 0,
      },
      'a line in another category earns none': {
        lines: [line('Books', 1_000n)],
        before: 2,
        after: 2,
        completed: 0,
      },
      'categories match case-insensitively': {
        lines: [line(' COFFEE ', 300n)],
        before: 0,
        after: 1,
        completed: 0,
      },
      'each qualifying line earns one stamp': {
        lines: [...coffee(2), line('Coffee', 100n), line('Books', 300n)],
        before: 0,
        after: 2,
        completed: 0,
      },
      'the fifth stamp completes the card exactly': {
        lines: coffee(1),
        before: 4,
        after: 0,
        completed: 1,
      },
      'stamps beyond a completed card carry over': {
        lines: coffee(3),
        before: 4,
        after: 2,
        completed: 1,
      },
      'a basket can complete the card twice': {
        lines: coffee(7),
        before: 3,
        after: 0,
        completed: 2,
      },
      'a basket can complete the card twice and carry stamps over': {
        lines: coffee(8),
        before: 3,
        after: 1,
        completed: 2,
      },
    }),
  )('%s', (_, { lines, before, after, completed }) => {
    const evaluation = earn({
      rules: { stampCard: coffeeCard() },
      lines,
      member: { stamps: before },
    });
    expect(evaluation.stamps).toEqual({ cardId: 'coffee-card', before, after, completed });
    expect(evaluation.components.filter((c) => c.kind === 'STAMP_CARD')).toEqual(
      completed > 0 ? [partnerFunded('STAMP_CARD', 100n * BigInt(completed), 'coffee-card')] : [],
    );
  });

  it('stamps any amount when the line minimum is 0', () => {
    const evaluation = earn({
      rules: { stampCard: coffeeCard({ lineMinimumMinor: 0n }) },
      lines: [line('Coffee', 1n)],
    });
    expect(evaluation.stamps).toMatchObject({ before: 0, after: 1 });
  });

  it('never stamps a line in an excluded category', () => {
    const evaluation = earn({
      rules: { excludedCategories: ['coffee'], stampCard: coffeeCard() },
      lines: [line('Coffee', 300n), line('Books', 1_000n)],
      member: { stamps: 4 },
    });
    expect(evaluation.stamps).toEqual({ cardId: 'coffee-card', before: 4, after: 4, completed: 0 });
  });

  it('stamps a line whose category earns no rate points', () => {
    const evaluation = earn({
      rules: { categoryRates: [{ category: 'Coffee', pointsPerUnit: 0 }], stampCard: coffeeCard() },
      lines: [line('Coffee', 300n)],
      member: { stamps: 4 },
    });
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

  it.each(
    cases({
      'GOLD (25%) on 10 points adds 2 (2.5 rounded down)': {
        tier: 'GOLD',
        rules: {},
        euros: 10n,
        bonus: 2n,
      },
      'GOLD (25%) on 40 points adds 10': { tier: 'GOLD', rules: {}, euros: 40n, bonus: 10n },
      'SILVER (1%) on 99 points adds nothing': { tier: 'SILVER', rules: {}, euros: 99n, bonus: 0n },
      'SILVER (1%) on 100 points adds 1': { tier: 'SILVER', rules: {}, euros: 100n, bonus: 1n },
      'DIAMOND (500%) on 3 points adds 15': { tier: 'DIAMOND', rules: {}, euros: 3n, bonus: 15n },
      'GOLD on 10 points doubled by a multiplier adds 25% of the 20 capped points': {
        tier: 'GOLD',
        rules: { multipliers: [multiplier()] },
        euros: 10n,
        bonus: 5n,
      },
      'GOLD on 40 points capped to 8 adds 25% of the 8': {
        tier: 'GOLD',
        rules: { capPerTransactionPoints: 8n },
        euros: 40n,
        bonus: 2n,
      },
      'GOLD on 40 points and a first-purchase bonus adds 25% of the 40 only': {
        tier: 'GOLD',
        rules: { firstPurchaseBonusPoints: 1_000n },
        euros: 40n,
        bonus: 10n,
      },
      'a tier without a bonus adds nothing': { tier: 'BRONZE', rules: {}, euros: 40n, bonus: 0n },
      'a tier named in another case adds nothing': {
        tier: 'gold',
        rules: {},
        euros: 40n,
        bonus: 0n,
      },
      'a member without a tier gets nothing': { tier: null, rules: {}, euros: 40n, bonus: 0n },
    }),
  )('%s', (_, { tier, rules, euros, bonus }) => {
    const evaluation = earn({
      rules,
      lines: [line('Books', euros * 100n)],
      member: { tier, firstPurchaseAtPartner: true },
      tierBonuses,
    });
    expect(evaluation.components.filter((c) => c.kind === 'TIER')).toEqual(
      bonus > 0n
        ? [{ kind: 'TIER', ruleId: tier, points: bonus, partnerPoints: 0n, operatorPoints: bonus }]
        : [],
    );
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
      lines: [
        line('Books', 1_234n),
        line('Grocery', 500n),
        line('Coffee', 300n),
        line('Gift cards', 5_000n),
      ],
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
    expect(() =>
      evaluateEarn({ ...inputs, basket: { ...inputs.basket, currency: basket } }),
    ).toThrow(new RangeError(`a basket in ${basket} cannot earn under rules in ${rules}`));
  });
});

describe('the rules version in force', () => {
  const versions = [
    { version: 2, effectiveFrom: new Date('2025-03-01T00:00:00Z') },
    { version: 3, effectiveFrom: new Date('2025-06-01T00:00:00Z') },
    { version: 1, effectiveFrom: new Date('2025-01-01T00:00:00Z') },
  ];

  it.each(
    cases({
      'a millisecond before the first version starts, is none': {
        at: '2024-12-31T23:59:59.999Z',
        version: undefined,
      },
      'exactly when the first version starts, is the first': {
        at: '2025-01-01T00:00:00.000Z',
        version: 1,
      },
      'between the first and second versions, is the first': {
        at: '2025-02-28T12:00:00.000Z',
        version: 1,
      },
      'a millisecond before the second version starts, is still the first': {
        at: '2025-02-28T23:59:59.999Z',
        version: 1,
      },
      'exactly when the second version starts, is the second': {
        at: '2025-03-01T00:00:00.000Z',
        version: 2,
      },
      'long after the last version starts, is the last': {
        at: '2030-01-01T00:00:00.000Z',
        version: 3,
      },
    }),
  )('%s', (_, { at, version }) => {
    expect(versionAt(versions, new Date(at))?.version).toBe(version);
  });

  it('is none when there are no versions', () => {
    expect(versionAt([], saturdayNoon)).toBeUndefined();
  });
});
