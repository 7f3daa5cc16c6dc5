import { describe, expect, it } from 'vitest';
import type { EarnRules } from './earn-rules';
import {
  cases,
  coffeeCard,
  earn,
  kindsOf,
  line,
  multiplier,
  partnerFunded,
  pointsOf,
  promotionEnd,
  promotionStart,
  saturdayNoon,
  storeA,
  storeB,
  sum,
  type Purchase,
} from './evaluate-earn.fixtures';

describe('the base rate', () => {
  it.each(
    cases({
      '9.99 EUR at 1 point per euro earns 9, rounded down': {
        currency: 'EUR',
        rate: 1,
        amounts: [999n],
        points: 9n,
      },
      '10.00 EUR at 1 point per euro earns 10': {
        currency: 'EUR',
        rate: 1,
        amounts: [1_000n],
        points: 10n,
      },
      '10.01 EUR at 1 point per euro earns 10': {
        currency: 'EUR',
        rate: 1,
        amounts: [1_001n],
        points: 10n,
      },
      '0.99 EUR at 1 point per euro earns nothing': {
        currency: 'EUR',
        rate: 1,
        amounts: [99n],
        points: 0n,
      },
      '9.99 EUR at 3 points per euro earns 29 (29.97 rounded down)': {
        currency: 'EUR',
        rate: 3,
        amounts: [999n],
        points: 29n,
      },
      '0.01 EUR at 1000 points per euro earns 10': {
        currency: 'EUR',
        rate: 1000,
        amounts: [1n],
        points: 10n,
      },
      '1000.00 EUR at a base rate of 0 earns nothing': {
        currency: 'EUR',
        rate: 0,
        amounts: [100_000n],
        points: 0n,
      },
      '999 JPY (no minor unit) at 1 point per yen earns 999': {
        currency: 'JPY',
        rate: 1,
        amounts: [999n],
        points: 999n,
      },
      '1 JPY at 7 points per yen earns 7': { currency: 'JPY', rate: 7, amounts: [1n], points: 7n },
      '9.999 BHD (three decimals) at 1 point per dinar earns 9': {
        currency: 'BHD',
        rate: 1,
        amounts: [9_999n],
        points: 9n,
      },
      '10.000 BHD at 1 point per dinar earns 10': {
        currency: 'BHD',
        rate: 1,
        amounts: [10_000n],
        points: 10n,
      },
      '1.999 KWD at 5 points per dinar earns 9 (9.995 rounded down)': {
        currency: 'KWD',
        rate: 5,
        amounts: [1_999n],
        points: 9n,
      },
      'two lines of 0.50 EUR at 1 point per euro earn 1: rounded once over the basket, not per line':
        { currency: 'EUR', rate: 1, amounts: [50n, 50n], points: 1n },
      'ten lines of 0.99 EUR at 1 point per euro earn 9, not 0': {
        currency: 'EUR',
        rate: 1,
        amounts: Array.from({ length: 10 }, () => 99n),
        points: 9n,
      },
      'three lines of 0.333 BHD and one of 0.001 BHD earn 1': {
        currency: 'BHD',
        rate: 1,
        amounts: [333n, 333n, 333n, 1n],
        points: 1n,
      },
    }),
  )('%s', (_, { currency, rate, amounts, points }) => {
    const evaluation = earn({
      currency,
      rules: { basePointsPerUnit: rate },
      lines: amounts.map((amount) => line('Books', amount)),
    });
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

  it.each(
    cases({
      'a grocery line earns the grocery rate instead of the base rate': {
        lines: [line('GROCERY', 1_000n)],
        base: 0n,
        category: 50n,
      },
      'a category matches case-insensitively and ignoring surrounding spaces': {
        lines: [line('  grocery ', 1_000n)],
        base: 0n,
        category: 50n,
      },
      '9.99 EUR of electronics at 2 points earns 19 (19.98 rounded down)': {
        lines: [line('ELECTRONICS', 999n)],
        base: 0n,
        category: 19n,
      },
      'a line in a category without a rate earns the base rate': {
        lines: [line('Books', 1_000n)],
        base: 10n,
        category: 0n,
      },
      'base and category lines are rounded together: 9.99 + 49.95 = 59.94 earns 59': {
        lines: [line('Books', 999n), line('Grocery', 999n)],
        base: 9n,
        category: 50n,
      },
      'the rounding remainder of the basket falls to the category part': {
        lines: [line('Books', 50n), line('Electronics', 25n)],
        base: 0n,
        category: 1n,
      },
      'a rate-0 category earns nothing': {
        lines: [line('Lottery', 5_000n)],
        base: 0n,
        category: 0n,
      },
    }),
  )('%s', (_, { lines, base, category }) => {
    const evaluation = earn({ rules, lines });
    expect(pointsOf(evaluation, 'BASE')).toBe(base);
    expect(pointsOf(evaluation, 'CATEGORY')).toBe(category);
    expect(evaluation.points).toBe(base + category);
    expect(evaluation.eligibleMinor).toBe(sum(lines.map((l) => l.amountMinor)));
  });

  it.each(
    cases({
      '5.00 in a rate-0 category and 5.00 at the base rate reach a 10.00 minimum': {
        lines: [line('Lottery', 500n), line('Books', 500n)],
        belowMinimum: false,
        points: 5n,
      },
      '5.00 in a rate-0 category and 4.99 at the base rate stay below a 10.00 minimum': {
        lines: [line('Lottery', 500n), line('Books', 499n)],
        belowMinimum: true,
        points: 0n,
      },
      '10.00 in a rate-0 category alone reaches the minimum and earns nothing': {
        lines: [line('Lottery', 1_000n)],
        belowMinimum: false,
        points: 0n,
      },
    }),
  )('%s', (_, { lines, belowMinimum, points }) => {
    const evaluation = earn({ rules: { ...rules, minimumPurchaseMinor: 1_000n }, lines });
    expect(evaluation.belowMinimum).toBe(belowMinimum);
    expect(evaluation.points).toBe(points);
  });
});

describe('excluded categories', () => {
  const rules: Partial<EarnRules> = {
    basePointsPerUnit: 1,
    excludedCategories: ['Gift Cards', 'TOBACCO'],
  };

  it.each(
    cases({
      'an excluded line earns nothing and is not eligible': {
        lines: [line('Gift Cards', 5_000n), line('Books', 1_000n)],
        eligible: 1_000n,
        points: 10n,
      },
      'exclusions match case-insensitively and ignoring surrounding spaces': {
        lines: [line(' gift cards', 5_000n), line('tobacco', 999n)],
        eligible: 0n,
        points: 0n,
      },
      'a basket of excluded lines only earns nothing': {
        lines: [line('Tobacco', 10_000n)],
        eligible: 0n,
        points: 0n,
      },
      'a category merely containing an excluded name is not excluded': {
        lines: [line('Tobacco accessories', 1_000n)],
        eligible: 1_000n,
        points: 10n,
      },
    }),
  )('%s', (_, { lines, eligible, points }) => {
    const evaluation = earn({ rules, lines });
    expect(evaluation.eligibleMinor).toBe(eligible);
    expect(evaluation.points).toBe(points);
  });

  it('an excluded line does not count toward the minimum purchase', () => {
    const evaluation = earn({
      rules: { ...rules, minimumPurchaseMinor: 1_000n },
      lines: [line('Books', 999n), line('gift cards', 5_000n)],
    });
    expect(evaluation).toMatchObject({
      belowMinimum: true,
      eligibleMinor: 999n,
      points: 0n,
      components: [],
    });
  });
});

describe('the minimum purchase', () => {
  it.each(
    cases({
      'exactly the 20.00 EUR minimum earns': {
        currency: 'EUR',
        minimum: 2_000n,
        amounts: [2_000n],
        belowMinimum: false,
        points: 20n,
      },
      '1 cent below the 20.00 EUR minimum earns nothing': {
        currency: 'EUR',
        minimum: 2_000n,
        amounts: [1_999n],
        belowMinimum: true,
        points: 0n,
      },
      'the minimum is reached over several lines': {
        currency: 'EUR',
        minimum: 2_000n,
        amounts: [1_000n, 999n, 1n],
        belowMinimum: false,
        points: 20n,
      },
      'exactly the 500 JPY minimum earns': {
        currency: 'JPY',
        minimum: 500n,
        amounts: [500n],
        belowMinimum: false,
        points: 500n,
      },
      '1 yen below the 500 JPY minimum earns nothing': {
        currency: 'JPY',
        minimum: 500n,
        amounts: [499n],
        belowMinimum: true,
        points: 0n,
      },
      '1 fils below the 5.000 BHD minimum earns nothing': {
        currency: 'BHD',
        minimum: 5_000n,
        amounts: [4_999n],
        belowMinimum: true,
        points: 0n,
      },
      'with no minimum, 1 cent is not below it': {
        currency: 'EUR',
        minimum: 0n,
        amounts: [1n],
        belowMinimum: false,
        points: 0n,
      },
    }),
  )('%s', (_, { currency, minimum, amounts, belowMinimum, points }) => {
    const evaluation = earn({
      currency,
      rules: { minimumPurchaseMinor: minimum },
      lines: amounts.map((a) => line('Books', a)),
    });
    expect(evaluation.belowMinimum).toBe(belowMinimum);
    expect(evaluation.points).toBe(points);
    expect(evaluation.eligibleMinor).toBe(sum(amounts));
  });

  it('below the minimum, no multiplier, first-purchase bonus, stamp or tier bonus is given either', () => {
    const evaluation = earn({
      rules: {
        minimumPurchaseMinor: 2_000n,
        multipliers: [multiplier()],
        firstPurchaseBonusPoints: 500n,
        stampCard: coffeeCard(),
      },
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

  it.each(
    cases({
      'no cap earns everything': {
        perTransaction: null,
        perDay: null,
        today: 0n,
        capped: 10n,
        capApplied: null,
      },
      'a transaction cap exactly equal to the points takes nothing': {
        perTransaction: 10n,
        perDay: null,
        today: 0n,
        capped: 10n,
        capApplied: null,
      },
      'a transaction cap 1 below the points trims 1': {
        perTransaction: 9n,
        perDay: null,
        today: 0n,
        capped: 9n,
        capApplied: 'TRANSACTION',
      },
      'a transaction cap above the points takes nothing': {
        perTransaction: 11n,
        perDay: null,
        today: 0n,
        capped: 10n,
        capApplied: null,
      },
      'a day cap with exactly the points left takes nothing': {
        perTransaction: null,
        perDay: 100n,
        today: 90n,
        capped: 10n,
        capApplied: null,
      },
      'a day cap with 1 point less left trims 1': {
        perTransaction: null,
        perDay: 100n,
        today: 91n,
        capped: 9n,
        capApplied: 'MEMBER_DAY',
      },
      'a day already exhausted earns nothing': {
        perTransaction: null,
        perDay: 100n,
        today: 100n,
        capped: 0n,
        capApplied: 'MEMBER_DAY',
      },
      'a day overspent (under earlier rules) earns nothing, never less': {
        perTransaction: null,
        perDay: 100n,
        today: 150n,
        capped: 0n,
        capApplied: 'MEMBER_DAY',
      },
      'a day cap tighter than the transaction cap applies, as the day cap': {
        perTransaction: 8n,
        perDay: 100n,
        today: 95n,
        capped: 5n,
        capApplied: 'MEMBER_DAY',
      },
      'a transaction cap tighter than the day cap applies, as the transaction cap': {
        perTransaction: 8n,
        perDay: 100n,
        today: 50n,
        capped: 8n,
        capApplied: 'TRANSACTION',
      },
      'a day cap leaving exactly the transaction cap is reported as the transaction cap': {
        perTransaction: 5n,
        perDay: 100n,
        today: 95n,
        capped: 5n,
        capApplied: 'TRANSACTION',
      },
    } as const),
  )('%s', (_, { perTransaction, perDay, today, capped, capApplied }) => {
    const evaluation = earn({
      rules: { capPerTransactionPoints: perTransaction, capPerMemberDayPoints: perDay },
      lines: tenPoints,
      member: { cappedPointsToday: today },
    });
    expect(evaluation.cappedPoints).toBe(capped);
    expect(evaluation.points).toBe(capped);
    expect(evaluation.capApplied).toBe(capApplied);
    expect(evaluation.components).toEqual(capped > 0n ? [partnerFunded('BASE', capped)] : []);
  });

  describe('trim the multiplier bonus first, then category points, then base points', () => {
    // 10.00 EUR of books at 1 point (10 base) + 10.00 EUR of grocery at 2 points (20 category), doubled (30 bonus): 60.
    const rules: Partial<EarnRules> = {
      categoryRates: [{ category: 'Grocery', pointsPerUnit: 2 }],
      multipliers: [multiplier()],
    };
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
    ])(
      'a cap of %i, per transaction or per day, leaves %i base, %i category and %i bonus points',
      (cap, base, category, bonus) => {
        for (const caps of [
          { capPerTransactionPoints: BigInt(cap) },
          { capPerMemberDayPoints: BigInt(cap) },
        ]) {
          const evaluation = earn({ rules: { ...rules, ...caps }, lines });
          expect([
            pointsOf(evaluation, 'BASE'),
            pointsOf(evaluation, 'CATEGORY'),
            pointsOf(evaluation, 'MULTIPLIER'),
          ]).toEqual([base, category, bonus].map(BigInt));
          expect(evaluation.cappedPoints).toBe(BigInt(base + category + bonus));
        }
      },
    );
  });

  it('a trimmed co-funded bonus is shared on what is left of it', () => {
    // 10 rate points doubled: 10 bonus, capped to 3; the operator funds half of 3, rounded down.
    const evaluation = earn({
      rules: {
        capPerTransactionPoints: 13n,
        multipliers: [multiplier({ operatorSharePercent: 50 })],
      },
      lines: tenPoints,
    });
    expect(evaluation.components).toContainEqual({
      kind: 'MULTIPLIER',
      ruleId: 'double',
      points: 3n,
      partnerPoints: 2n,
      operatorPoints: 1n,
    });
  });

  it('the first-purchase bonus and stamp rewards are never capped, even on an exhausted day', () => {
    const evaluation = earn({
      rules: {
        capPerTransactionPoints: 1n,
        capPerMemberDayPoints: 100n,
        firstPurchaseBonusPoints: 500n,
        stampCard: coffeeCard(),
      },
      lines: [line('Coffee', 1_000n)],
      member: { firstPurchaseAtPartner: true, cappedPointsToday: 100n, stamps: 4 },
    });
    expect(evaluation.components).toEqual([
      partnerFunded('FIRST_PURCHASE', 500n),
      partnerFunded('STAMP_CARD', 100n, 'coffee-card'),
    ]);
    expect(evaluation).toMatchObject({ points: 600n, cappedPoints: 0n, capApplied: 'MEMBER_DAY' });
  });
});

describe('multipliers', () => {
  // 10.00 EUR at 1 point per euro: 10 rate points, so a 200% multiplier adds 10.
  const tenPoints = [line('Books', 1_000n)];
  const bonusOf = (purchase: Omit<Purchase, 'lines'>) =>
    pointsOf(earn({ ...purchase, lines: tenPoints }), 'MULTIPLIER');

  it.each(
    cases({
      'a purchase one millisecond before startsAt gets no bonus': {
        at: new Date(promotionStart.getTime() - 1),
        bonus: 0n,
      },
      'a purchase exactly at startsAt gets the bonus (inclusive)': {
        at: promotionStart,
        bonus: 10n,
      },
      'a purchase one millisecond before endsAt gets the bonus': {
        at: new Date(promotionEnd.getTime() - 1),
        bonus: 10n,
      },
      'a purchase exactly at endsAt gets no bonus (exclusive)': { at: promotionEnd, bonus: 0n },
    }),
  )('%s', (_, { at, bonus }) => {
    expect(bonusOf({ rules: { multipliers: [multiplier()] }, at })).toBe(bonus);
  });

  it.each(
    cases({
      'applies in a store it names': {
        storeIds: [storeA, storeB],
        channels: null,
        storeId: storeA,
        channel: 'PHYSICAL',
        bonus: 10n,
      },
      'does not apply in a store it does not name': {
        storeIds: [storeB],
        channels: null,
        storeId: storeA,
        channel: 'PHYSICAL',
        bonus: 0n,
      },
      'applies in any store when it names none': {
        storeIds: null,
        channels: null,
        storeId: storeB,
        channel: 'ONLINE',
        bonus: 10n,
      },
      'applies on the channel it names': {
        storeIds: null,
        channels: ['ONLINE'],
        storeId: storeA,
        channel: 'ONLINE',
        bonus: 10n,
      },
      'does not apply on a channel it does not name': {
        storeIds: null,
        channels: ['ONLINE'],
        storeId: storeA,
        channel: 'PHYSICAL',
        bonus: 0n,
      },
      'applies on either channel when it names both': {
        storeIds: null,
        channels: ['PHYSICAL', 'ONLINE'],
        storeId: storeA,
        channel: 'PHYSICAL',
        bonus: 10n,
      },
      'does not apply in the right store on the wrong channel': {
        storeIds: [storeA],
        channels: ['ONLINE'],
        storeId: storeA,
        channel: 'PHYSICAL',
        bonus: 0n,
      },
      'does not apply on the right channel in the wrong store': {
        storeIds: [storeB],
        channels: ['ONLINE'],
        storeId: storeA,
        channel: 'ONLINE',
        bonus: 0n,
      },
    } as const),
  )('%s', (_, { storeIds, channels, storeId, channel, bonus }) => {
    expect(
      bonusOf({
        rules: {
          multipliers: [
            multiplier({
              storeIds: storeIds && [...storeIds],
              channels: channels && [...channels],
            }),
          ],
        },
        storeId,
        channel,
      }),
    ).toBe(bonus);
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
    const evaluation = earn({
      rules: { multipliers: [multiplier({ percent })] },
      lines: [line('Books', BigInt(ratePoints) * 100n)],
    });
    expect(pointsOf(evaluation, 'MULTIPLIER')).toBe(BigInt(bonus));
    expect(evaluation.points).toBe(BigInt(ratePoints + bonus));
    expect(kindsOf(evaluation)).toEqual(bonus > 0 ? ['BASE', 'MULTIPLIER'] : ['BASE']);
  });

  it('multiplies category points as well as base points', () => {
    // 10.00 EUR of grocery at 5 points: 50, at 150%: 25 more.
    const evaluation = earn({
      rules: {
        categoryRates: [{ category: 'Grocery', pointsPerUnit: 5 }],
        multipliers: [multiplier({ percent: 150 })],
      },
      lines: [line('Grocery', 1_000n)],
    });
    expect(kindsOf(evaluation)).toEqual(['CATEGORY', 'MULTIPLIER']);
    expect(pointsOf(evaluation, 'MULTIPLIER')).toBe(25n);
  });

  it.each(
    cases({
      'the highest percent wins': {
        multipliers: [
          multiplier({ id: 'plus-half', percent: 150 }),
          multiplier({ id: 'triple', percent: 300 }),
          multiplier({ id: 'double', percent: 200 }),
        ],
        winner: 'triple',
        bonus: 20n,
      },
      'multipliers never stack: 200% and 150% give 200%, not 250%': {
        multipliers: [
          multiplier({ id: 'double', percent: 200 }),
          multiplier({ id: 'plus-half', percent: 150 }),
        ],
        winner: 'double',
        bonus: 10n,
      },
      'an inactive multiplier does not compete': {
        multipliers: [
          multiplier({ id: 'triple', percent: 300, storeIds: [storeB] }),
          multiplier({ id: 'double', percent: 200 }),
        ],
        winner: 'double',
        bonus: 10n,
      },
      'an ended multiplier does not compete': {
        multipliers: [
          multiplier({ id: 'triple', percent: 300, endsAt: saturdayNoon }),
          multiplier({ id: 'double', percent: 200 }),
        ],
        winner: 'double',
        bonus: 10n,
      },
      'on equal percent, the lowest operator share wins': {
        multipliers: [
          multiplier({ id: 'a-cofunded', operatorSharePercent: 50 }),
          multiplier({ id: 'z-partner', operatorSharePercent: 0 }),
          multiplier({ id: 'm-cofunded', operatorSharePercent: 20 }),
        ],
        winner: 'z-partner',
        bonus: 10n,
      },
      'on equal percent and share, the lowest id wins, listed last': {
        multipliers: [multiplier({ id: 'b' }), multiplier({ id: 'a' })],
        winner: 'a',
        bonus: 10n,
      },
      'on equal percent and share, the lowest id wins, listed first': {
        multipliers: [multiplier({ id: 'a' }), multiplier({ id: 'b' })],
        winner: 'a',
        bonus: 10n,
      },
    }),
  )('%s', (_, { multipliers, winner, bonus }) => {
    const evaluation = earn({ rules: { multipliers }, lines: tenPoints });
    expect(evaluation.components.filter((c) => c.kind === 'MULTIPLIER')).toEqual([
      expect.objectContaining({ ruleId: winner, points: bonus }),
    ]);
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
  ])(
    'an operator share of %i% of a %i% bonus on %i rate points: the operator funds %i of it (rounded down), the partner %i',
    (share, percent, ratePoints, operator, partner) => {
      const evaluation = earn({
        rules: { multipliers: [multiplier({ percent, operatorSharePercent: share })] },
        lines: [line('Books', BigInt(ratePoints) * 100n)],
      });
      expect(evaluation.components.find((c) => c.kind === 'MULTIPLIER')).toEqual({
        kind: 'MULTIPLIER',
        ruleId: 'double',
        points: BigInt(operator + partner),
        partnerPoints: BigInt(partner),
        operatorPoints: BigInt(operator),
      });
      expect(evaluation.operatorPoints).toBe(BigInt(operator));
      expect(evaluation.partnerPoints).toBe(BigInt(ratePoints + partner));
    },
  );
});
