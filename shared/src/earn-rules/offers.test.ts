import { describe, expect, it } from 'vitest';
import { baseRules } from './earn-rules';
import { evaluateEarn, type BasketLine } from './evaluate-earn';
import { offerAwards, offerSchema, type OfferInEffect } from './offers';

const line = (category: string, amountMinor: bigint): BasketLine => ({
  sku: category,
  category,
  amountMinor,
});
const offer = (overrides: Partial<OfferInEffect> = {}): OfferInEffect => ({
  id: 'offer-a',
  bonusPoints: 100n,
  bonusPercent: null,
  minimumSpendMinor: 0n,
  categories: null,
  budgetLeftPoints: null,
  ...overrides,
});
const none = new Set<string>();

describe('an activated offer at earn time', () => {
  it.each([
    ['gives its fixed points on any qualifying spend', offer(), [line('Books', 1_000n)], 40n, 100n],
    [
      'gives a percent of the capped rate points, rounded down',
      offer({ bonusPoints: null, bonusPercent: 33 }),
      [line('Books', 1_000n)],
      40n,
      13n,
    ],
    [
      'gives nothing one cent below its minimum spend',
      offer({ minimumSpendMinor: 1_001n }),
      [line('Books', 1_000n)],
      40n,
      0n,
    ],
    [
      'gives its points at exactly the minimum spend',
      offer({ minimumSpendMinor: 1_000n }),
      [line('Books', 1_000n)],
      40n,
      100n,
    ],
    [
      'counts only the lines in its categories, case-insensitively',
      offer({ categories: ['coffee'], minimumSpendMinor: 500n }),
      [line('Books', 5_000n), line('Coffee ', 499n)],
      40n,
      0n,
    ],
    [
      'qualifies on its categories alone',
      offer({ categories: ['coffee'], minimumSpendMinor: 500n }),
      [line('Books', 5_000n), line('COFFEE', 500n)],
      40n,
      100n,
    ],
    [
      'stops at what is left of its budget',
      offer({ budgetLeftPoints: 30n }),
      [line('Books', 1_000n)],
      40n,
      30n,
    ],
    [
      'gives nothing once its budget is spent',
      offer({ budgetLeftPoints: 0n }),
      [line('Books', 1_000n)],
      40n,
      0n,
    ],
  ])('%s', (_, o, lines, cappedPoints, points) => {
    const awards = offerAwards([o], lines, none, cappedPoints);
    expect(awards).toEqual(points > 0n ? [{ offerId: o.id, points }] : []);
  });

  it('ignores excluded lines when it adds up the qualifying spend', () => {
    expect(
      offerAwards(
        [offer({ minimumSpendMinor: 1n })],
        [line('Tobacco', 5_000n)],
        new Set(['TOBACCO']),
        0n,
      ),
    ).toEqual([]);
  });

  it('applies several offers in id order, each on its own terms', () => {
    const awards = offerAwards(
      [offer({ id: 'b', bonusPoints: 5n }), offer({ id: 'a', bonusPoints: 7n })],
      [line('Books', 100n)],
      none,
      1n,
    );
    expect(awards).toEqual([
      { offerId: 'a', points: 7n },
      { offerId: 'b', points: 5n },
    ]);
  });

  it('adds its points to the evaluation as a partner-funded OFFER part, outside the caps', () => {
    const evaluation = evaluateEarn({
      rules: { ...baseRules(1), capPerTransactionPoints: 5n },
      currency: 'EUR',
      basket: {
        currency: 'EUR',
        totalMinor: 1_000n,
        occurredAt: new Date(),
        storeId: 'store',
        channel: 'PHYSICAL',
        lines: [line('Books', 1_000n)],
      },
      member: { tier: null, firstPurchaseAtPartner: false, cappedPointsToday: 0n, stamps: 0 },
      tierBonuses: [],
      offers: [offer({ bonusPercent: 100, bonusPoints: null })],
    });
    expect(evaluation.components.map((c) => [c.kind, c.ruleId, c.points, c.partnerPoints])).toEqual(
      [
        ['BASE', null, 5n, 5n],
        ['OFFER', 'offer-a', 5n, 5n],
      ],
    );
    expect(evaluation.points).toBe(10n);
  });
});

describe('the offer schema', () => {
  const valid = {
    name: 'Spend 20, get 200',
    bonusPoints: '200',
    minimumSpendMinor: '2000',
    startsAt: '2026-12-01T00:00:00Z',
    endsAt: '2026-12-31T00:00:00Z',
  };

  it('fills in defaults: everyone, once per member, no budget', () => {
    expect(offerSchema.parse(valid)).toMatchObject({
      bonusPoints: 200n,
      bonusPercent: null,
      audience: 'EVERYONE',
      perMemberLimit: 1,
      budgetPoints: null,
      categories: null,
    });
  });

  it('keeps each listed member once, in lower case', () => {
    const id = '3F1C9A52-8D3E-4B7A-9C1E-2A4B6C8D0E1F';
    expect(
      offerSchema.parse({
        ...valid,
        audience: 'MEMBERS',
        audienceMemberIds: [id, id.toLowerCase()],
      }).audienceMemberIds,
    ).toEqual([id.toLowerCase()]);
  });

  it.each([
    ['both a fixed and a percent bonus', { ...valid, bonusPercent: 10 }, 'bonusPoints'],
    ['neither bonus', { ...valid, bonusPoints: undefined }, 'bonusPoints'],
    ['reversed dates', { ...valid, endsAt: '2026-11-30T00:00:00Z' }, 'endsAt'],
    ['a TIERS audience without tiers', { ...valid, audience: 'TIERS' }, 'audienceTiers'],
    ['a MEMBERS audience without members', { ...valid, audience: 'MEMBERS' }, 'audienceMemberIds'],
    [
      'a member id that is not an id',
      { ...valid, audience: 'MEMBERS', audienceMemberIds: ['42'] },
      'audienceMemberIds.0',
    ],
    ['a negative minimum spend', { ...valid, minimumSpendMinor: '-1' }, 'minimumSpendMinor'],
    ['a budget of 0', { ...valid, budgetPoints: '0' }, 'budgetPoints'],
    ['a per-member limit of 0', { ...valid, perMemberLimit: 0 }, 'perMemberLimit'],
    [
      'a lower-case tier',
      { ...valid, audience: 'TIERS', audienceTiers: ['gold'] },
      'audienceTiers.0',
    ],
    ['tiers for an EVERYONE audience', { ...valid, audienceTiers: ['GOLD'] }, 'audienceTiers'],
    [
      'members for a TIERS audience',
      {
        ...valid,
        audience: 'TIERS',
        audienceTiers: ['GOLD'],
        audienceMemberIds: ['3f1c9a52-8d3e-4b7a-9c1e-2a4b6c8d0e1f'],
      },
      'audienceMemberIds',
    ],
    ['an offer running longer than a year', { ...valid, endsAt: '2027-12-03T00:00:00Z' }, 'endsAt'],
  ])('refuses %s', (_, input, path) => {
    const result = offerSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path.join('.')).toBe(path);
  });
});
