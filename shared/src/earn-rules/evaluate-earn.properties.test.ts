import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minorUnitsPerUnit } from '../currency';
import {
  categoryKey,
  earnRulesSchema,
  type EarnChannel,
  type EarnRules,
  type Multiplier,
  type StampCard,
} from './earn-rules';
import { evaluateEarn, type BasketLine, type EarnInputs } from './evaluate-earn';
import { expectBalanced, pointsOf, storeA, storeB, sum } from './evaluate-earn.fixtures';

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
    fc.record({
      role: fc.constant('rated' as const),
      pointsPerUnit: fc.integer({ min: 0, max: 1000 }),
    }),
    fc.constant({ role: 'excluded' as const }),
  );
  const roles = fc.record(
    Object.fromEntries(categories.map((c) => [c, role])) as Record<string, fc.Arbitrary<Role>>,
  );
  const points = (max: bigint) => fc.option(fc.bigInt({ min: 1n, max }), { nil: null });
  const multiplierArb: fc.Arbitrary<Multiplier> = fc
    .record({
      id: fc.constantFrom('m1', 'm2', 'm3', 'm4'),
      percent: fc.oneof(fc.constantFrom(150, 200), fc.integer({ min: 101, max: 1000 })),
      startMs: fc.integer({ min: 0, max: 20 * dayMs }),
      lengthMs: fc.integer({ min: 1, max: 10 * dayMs }),
      storeIds: fc.option(fc.subarray([storeA, storeB], { minLength: 1 }), { nil: null }),
      channels: fc.option(fc.subarray<EarnChannel>(['PHYSICAL', 'ONLINE'], { minLength: 1 }), {
        nil: null,
      }),
      operatorSharePercent: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 })),
    })
    .map(({ startMs, lengthMs, ...m }) => ({
      ...m,
      name: 'Promotion',
      startsAt: new Date(epochMs + startMs),
      endsAt: new Date(epochMs + startMs + lengthMs),
    }));
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
      const excludedCategories = entries.flatMap(([category, r]) =>
        r.role === 'excluded' ? [category] : [],
      );
      // The schema refuses a stamp card whose every category is excluded: it could never stamp.
      const stampCard =
        rules.stampCard && rules.stampCard.categories.every((c) => excludedCategories.includes(c))
          ? null
          : rules.stampCard;
      return {
        ...rules,
        stampCard,
        categoryRates: entries.flatMap(([category, r]) =>
          r.role === 'rated' ? [{ category, pointsPerUnit: r.pointsPerUnit }] : [],
        ),
        excludedCategories,
      };
    });
  const lineArb: fc.Arbitrary<BasketLine> = fc.record({
    sku: fc.constant('sku'),
    category: fc.constantFrom(...categories, 'coffee', ' Books ', 'Toys'),
    amountMinor: fc.oneof(
      fc.bigInt({ min: 1n, max: 1_000n }),
      fc.bigInt({ min: 1n, max: 500_000n }),
    ),
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
      tierBonuses: fc.uniqueArray(
        fc.record({
          tier: fc.constantFrom('GOLD', 'SILVER'),
          bonusPercent: fc.integer({ min: 1, max: 500 }),
        }),
        { selector: (t) => t.tier },
      ),
    })
    .map(({ rules, currency, lines, occurredMs, storeId, channel, member, tierBonuses }) => ({
      rules,
      currency,
      basket: {
        currency,
        totalMinor: sum(lines.map((l) => l.amountMinor)),
        occurredAt: new Date(epochMs + occurredMs),
        storeId,
        channel,
        lines,
      },
      // A member's card never holds a full set of stamps between purchases: completing it resets it.
      member: rules.stampCard
        ? { ...member, stamps: member.stamps % rules.stampCard.stampsRequired }
        : member,
      tierBonuses,
    }));
  const uncapped = (inputs: EarnInputs): EarnInputs => ({
    ...inputs,
    rules: { ...inputs.rules, capPerTransactionPoints: null, capPerMemberDayPoints: null },
  });
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
        if (capPerTransactionPoints !== null)
          expect(cappedPoints).toBeLessThanOrEqual(capPerTransactionPoints);
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
        for (const kind of [
          'BASE',
          'CATEGORY',
          'MULTIPLIER',
          'FIRST_PURCHASE',
          'STAMP_CARD',
          'TIER',
        ] as const) {
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
        const evaluation = evaluateEarn(
          uncapped({ ...inputs, rules: { ...inputs.rules, multipliers: [] } }),
        );
        const excluded = new Set(inputs.rules.excludedCategories.map(categoryKey));
        const rates = new Map(
          inputs.rules.categoryRates.map((c) => [categoryKey(c.category), c.pointsPerUnit]),
        );
        const eligible = inputs.basket.lines.filter((l) => !excluded.has(categoryKey(l.category)));
        const weighted = sum(
          eligible.map(
            (l) =>
              l.amountMinor *
              BigInt(rates.get(categoryKey(l.category)) ?? inputs.rules.basePointsPerUnit),
          ),
        );
        const eligibleMinor = sum(eligible.map((l) => l.amountMinor));
        expect(evaluation.eligibleMinor).toBe(eligibleMinor);
        expect(evaluation.cappedPoints).toBe(
          eligibleMinor < inputs.rules.minimumPurchaseMinor
            ? 0n
            : weighted / minorUnitsPerUnit(inputs.currency),
        );
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
        const earned = belowMinimum
          ? 0
          : inputs.basket.lines.filter(
              (l) =>
                stamping.has(categoryKey(l.category)) &&
                !excluded.has(categoryKey(l.category)) &&
                l.amountMinor >= card.lineMinimumMinor,
            ).length;
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
