import { describe, expect, it } from 'vitest';
import { tierEarnWrites, type TierEarnState } from './tier-earn';
import { tierAfterReview, tierLadderInput, tierReached, type TierDefinition } from './tier-ladder';

const tiers: TierDefinition[] = [
  { code: 'SILVER', name: 'Silver', threshold: 100n },
  { code: 'GOLD', name: 'Gold', threshold: 500n },
  { code: 'PLATINUM', name: 'Platinum', threshold: 2000n },
];

describe('the tier a metric reaches', () => {
  it.each([
    [0n, null],
    [99n, null],
    [100n, 'SILVER'],
    [499n, 'SILVER'],
    [500n, 'GOLD'],
    [1_000_000n, 'PLATINUM'],
  ])('%s reaches %s', (value, code) => {
    expect(tierReached(tiers, value)?.code ?? null).toBe(code);
  });
});

describe('the tier kept at a review', () => {
  it.each([
    ['PLATINUM', 0n, 'GOLD', 'one step down, however far the metric fell'],
    ['PLATINUM', 600n, 'GOLD', 'one step, when the metric reaches exactly that'],
    ['PLATINUM', 2000n, 'PLATINUM', 'kept when requalified'],
    ['GOLD', 2500n, 'PLATINUM', 'up to what the metric reaches'],
    ['SILVER', 0n, null, 'off the ladder from its first tier'],
    ['DIAMOND', 600n, 'GOLD', 'a tier the ladder no longer has: what the metric reaches'],
    [null, 0n, null, 'nothing for nothing'],
  ])('%s with %s keeps %s: %s', (held, value, kept, _why) => {
    expect(tierAfterReview(tiers, held, value)).toBe(kept);
  });
});

describe('a ladder definition', () => {
  const valid = {
    metric: 'SPEND',
    period: 'CALENDAR_YEAR',
    currency: 'EUR',
    graceDays: 30,
    tiers: [
      { code: 'SILVER', name: 'Silver', threshold: '0' },
      { code: 'GOLD', name: 'Gold', threshold: '100000' },
    ],
  };

  it('accepts strictly increasing thresholds from 0, in UTC unless told', () => {
    const parsed = tierLadderInput.parse(valid);
    expect(parsed.timeZone).toBe('UTC');
    expect(parsed.tiers.map((t) => t.threshold)).toEqual([0n, 100000n]);
  });

  it.each([
    ['an equal threshold', { tiers: [valid.tiers[0], { ...valid.tiers[1], threshold: '0' }] }],
    ['a lower threshold', { tiers: [valid.tiers[1], valid.tiers[0]] }],
    ['no tiers', { tiers: [] }],
    ['a fractional threshold', { tiers: [{ code: 'GOLD', name: 'Gold', threshold: '1.5' }] }],
    ['a lower-case code', { tiers: [{ code: 'gold', name: 'Gold', threshold: '1' }] }],
    ['a negative grace period', { graceDays: -1 }],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }],
    ['an unknown currency', { currency: 'EURO' }],
  ])('refuses %s', (_what, change) => {
    expect(tierLadderInput.safeParse({ ...valid, ...change }).success).toBe(false);
  });
});

describe("an earn's tier writes", () => {
  const state = (over: Partial<TierEarnState> = {}): TierEarnState => ({
    ladderVersion: 1,
    metric: 'QUALIFYING_POINTS',
    currency: 'EUR',
    tiers,
    month: '2027-03-01',
    periodEndsAt: new Date('2028-01-01T00:00:00Z'),
    before: { points: 90n, spend: 0n, partners: 1n },
    partnerSeen: true,
    computed: null,
    override: null,
    ...over,
  });
  const delta = {
    memberId: '00000000-0000-4000-8000-000000000001',
    partnerId: '00000000-0000-4000-8000-000000000002',
    qualifyingPoints: 10n,
    spend: 1000n,
    heldTier: null,
    now: new Date('2027-03-10T12:00:00Z'),
  };

  it('writes nothing without a ladder', () => {
    expect(tierEarnWrites(null, delta)).toEqual({ record: null, statements: [], facts: [] });
  });

  it('counts below a threshold: the counter alone', () => {
    const writes = tierEarnWrites(state(), { ...delta, qualifyingPoints: 9n });
    expect(writes.statements).toHaveLength(1);
    expect(writes.facts).toEqual([]);
    expect(writes.record).toEqual({ month: '2027-03-01', points: '9', spend: '1000' });
  });

  it('upgrades on the earn that reaches the threshold exactly', () => {
    const writes = tierEarnWrites(state(), delta);
    expect(writes.statements.map((s) => s.text.split(' ').slice(0, 3).join(' '))).toEqual([
      'INSERT INTO tier_activity',
      'INSERT INTO tier_status',
      'UPDATE member SET',
      'INSERT INTO tier_history',
    ]);
    expect(writes.facts[0]?.payload).toMatchObject({ from: null, to: 'SILVER', reason: 'UPGRADE' });
  });

  it('records the earned tier but changes nothing held while a higher override lasts', () => {
    const writes = tierEarnWrites(state({ override: 'GOLD' }), { ...delta, heldTier: 'GOLD' });
    expect(writes.statements).toHaveLength(2);
    expect(writes.facts).toEqual([]);
  });

  it('counts a new partner once for the distinct-partners metric', () => {
    const partners = state({
      metric: 'DISTINCT_PARTNERS',
      before: { points: 0n, spend: 0n, partners: 99n },
    });
    expect(tierEarnWrites(partners, delta).facts).toEqual([]);
    expect(tierEarnWrites({ ...partners, partnerSeen: false }, delta).facts).toHaveLength(1);
  });
});
