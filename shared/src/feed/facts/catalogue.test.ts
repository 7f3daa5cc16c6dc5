import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineFact,
  defineFeed,
  MalformedFactError,
  UnknownFactError,
  type FactDefinition,
  type FeedCatalogue,
} from './catalogue';
import { at, ids, memberFacts, partnerFacts } from './facts.fixtures';
import { memberFeed, pointsEarned, purchaseRefunded } from './member-feed';
import { partnerFeed, partnerOnboarded } from './partner-feed';

// Widened: these tests hand the definitions payloads of any shape, as a feed may.
const feeds: { catalogue: FeedCatalogue; samples: Record<string, Record<string, unknown>> }[] = [
  { catalogue: memberFeed, samples: memberFacts },
  { catalogue: partnerFeed, samples: partnerFacts },
];
const definitionOf = (type: string): FactDefinition => {
  const feed = feeds.find((f) => f.catalogue.types.includes(type));
  if (!feed) throw new Error(`no feed carries ${type}`);
  return feed.catalogue.definition({ type, position: '1.1' });
};
const sampleOf = (type: string): Record<string, unknown> => {
  const sample = memberFacts[type] ?? partnerFacts[type];
  if (!sample) throw new Error(`no sample of ${type}`);
  return structuredClone(sample);
};
/** A sample as facts were before some of its fields existed. */
const without = (type: string, ...fields: string[]): Record<string, unknown> => {
  const payload = sampleOf(type);
  for (const field of fields) delete payload[field];
  return payload;
};
/** A points.earned fact as the first wallet wrote it: one lot, the partner's, no debts, no bonuses. */
const firstEarned = {
  transactionId: ids.transaction,
  memberId: ids.member,
  partnerId: ids.partner,
  storeId: ids.store,
  receiptId: 'r-1',
  points: '100',
  lotId: ids.lot,
  issuerPartnerId: ids.partner,
  availableAt: at,
  expiresAt: at,
  purchase: { total: '100', currency: 'EUR', occurredAt: at, lines: [] },
  at,
};
const allSamples = feeds.flatMap(({ samples }) => Object.keys(samples));

describe('the catalogue of feed facts', () => {
  it('has a sample payload of every fact each feed carries, and no other', () => {
    for (const { catalogue, samples } of feeds)
      expect(Object.keys(samples).sort()).toEqual([...catalogue.types].sort());
  });

  it.each(allSamples)(
    'builds a %s fact as its producer writes it, keyed by its aggregate, and parses it back',
    (type) => {
      const definition = definitionOf(type);
      const payload = sampleOf(type);
      const built = definition.build(payload);
      expect(built).toEqual({ type, key: built.key, payload });
      const key =
        type === 'programme.tier-bonuses-set'
          ? 'programme'
          : feeds[0]?.catalogue.types.includes(type)
            ? ids.member
            : ids.partner;
      expect(built.key).toBe(key);
      expect(() => definition.parse(payload)).not.toThrow();
    },
  );

  it('parses points and money into bigints, from integer strings only', () => {
    const earned = pointsEarned.parse(sampleOf('points.earned'));
    expect(earned).toMatchObject({ points: 61n, partnerPoints: 51n, operatorPoints: 10n });
    expect(earned.lots.map((lot) => lot.points)).toEqual([51n, 10n]);
    expect(earned.components[1]).toMatchObject({ points: 10n, operatorPoints: 10n });
    expect(earned.purchase.total).toBe(5_100n);
    expect(earned.purchase.lines[0]?.amount).toBe(5_100n);
  });

  it.each<[string, string, (p: Record<string, unknown>) => void, string]>([
    ['points.earned', 'points as a JSON number', (p) => (p.points = 61), 'points'],
    ['points.earned', 'points with a fraction', (p) => (p.points = '61.5'), 'points'],
    ['points.earned', 'negative points', (p) => (p.points = '-1'), 'points'],
    ['points.earned', 'points in exponent form', (p) => (p.points = '1e3'), 'points'],
    ['points.earned', 'a lot without its points', (p) => (p.lots = [{ lotId: ids.lot }]), 'lots.0'],
    ['points.earned', 'a component of no known kind', (p) => (p.components = [{}]), 'components'],
    ['points.burned', 'a member id that is no id', (p) => (p.memberId = 'm-secret'), 'memberId'],
    ['points.burned', 'links that are not a list', (p) => (p.links = '20'), 'links'],
    ['points.expired', 'an instant that is not ISO 8601', (p) => (p.at = 'yesterday'), 'at'],
    ['points.adjusted', 'no direction', (p) => (p.direction = 'SIDEWAYS'), 'direction'],
    [
      'points.adjusted',
      'a debit without the debt it recorded',
      (p) => Object.assign(p, { direction: 'DEBIT', links: [] }),
      'debtRecorded',
    ],
    ['debt.repaid', 'a cause no hold has', (p) => (p.cause = 'FORGIVEN'), 'cause'],
    ['member.enrolled', 'no member', (p) => delete p.memberId, 'memberId'],
    ['member.tier-changed', 'no one who changed it', (p) => (p.changedBy = ''), 'changedBy'],
    ['member.tier-changed', 'a reason tiers never have', (p) => (p.reason = 'BOUGHT'), 'reason'],
    [
      'partner.onboarded',
      'a currency that is none',
      (p) => (p.settlementCurrency = 'EURO'),
      'settlementCurrency',
    ],
    ['partner.onboarded', 'a status partners never have', (p) => (p.status = 'GONE'), 'status'],
    [
      'partner.onboarded',
      'a fractional rate',
      (p) => (p.pointsPerCurrencyUnit = 1.5),
      'pointsPerCurrencyUnit',
    ],
    ['store.added', 'a kind of store no till has', (p) => (p.kind = 'KIOSK'), 'kind'],
    [
      'earn-rules.published',
      'rules the rules schema refuses',
      (p) => (p.rules = { basePointsPerUnit: -1 }),
      'rules.basePointsPerUnit',
    ],
    [
      'offer.published',
      'an offer with both a fixed and a percent bonus',
      (p) => Object.assign(p.offer as object, { bonusPercent: 10 }),
      'offer.bonusPoints',
    ],
    ['offer.ended', 'no end', (p) => delete p.endedAt, 'endedAt'],
    [
      'programme.tier-bonuses-set',
      'a tier in lower case',
      (p) => (p.bonuses = [{ tier: 'gold', bonusPercent: 20 }]),
      'bonuses.0.tier',
    ],
  ])('refuses a %s fact with %s, to build and to read', (type, _what, spoil, field) => {
    const definition = definitionOf(type);
    const payload = sampleOf(type);
    spoil(payload);
    expect(() => definition.build(payload)).toThrow(MalformedFactError);
    expect(() => definition.build(payload)).toThrow(field);
    expect(() => definition.parse(payload)).toThrow(MalformedFactError);
  });

  it('says which field is wrong without repeating its value', () => {
    const payload = { ...sampleOf('points.burned'), memberId: 'member-of-a-secret-name' };
    expect(() => definitionOf('points.burned').parse(payload)).toThrow(/memberId/);
    expect(() => definitionOf('points.burned').parse(payload)).not.toThrow(/secret/);
  });

  it.each<[string, string, Record<string, unknown>, Record<string, unknown>]>([
    [
      'points.earned',
      'debts and operator funding: the partner funded every point, in one lot',
      firstEarned,
      {
        partnerPoints: 100n,
        operatorPoints: 0n,
        debtRepaid: 0n,
        operatorDebtRepaid: 0n,
        rulesVersion: null,
        components: [],
        lotPoints: 100n,
        lots: [{ lotId: ids.lot, issuerPartnerId: ids.partner, points: 100n }],
      },
    ],
    [
      'points.earned',
      'operator funding, with a debt repaid: the lot held what the debt left',
      { ...firstEarned, debtRepaid: '30', lotPoints: '70' },
      {
        partnerPoints: 100n,
        debtRepaid: 30n,
        lots: [{ lotId: ids.lot, issuerPartnerId: ids.partner, points: 70n }],
      },
    ],
    [
      'points.earned',
      'operator funding, all of it repaying a debt: no lot',
      { ...firstEarned, debtRepaid: '100', lotId: null, lotPoints: '0', availableAt: null },
      { lots: [] },
    ],
    [
      'purchase.refunded',
      'operator funding and excusal: the partner funded every point, none was excused',
      without('purchase.refunded', 'issuancePoints', 'pointsExcused'),
      { issuancePoints: 30n, pointsExcused: 0n },
    ],
    [
      'partner.onboarded',
      'earn terms, burn limits and versioned rules: the defaults of then, no rules version',
      without(
        'partner.onboarded',
        'pointsPerCurrencyUnit',
        'returnWindowDays',
        'burnPointsMin',
        'burnPointsMax',
        'earnRules',
      ),
      {
        pointsPerCurrencyUnit: 1,
        returnWindowDays: 14,
        burnPointsMin: 1,
        burnPointsMax: null,
      },
    ],
    [
      'store.added',
      'online stores: a physical one',
      without('store.added', 'kind'),
      { kind: 'PHYSICAL' },
    ],
    [
      'burn.refunded',
      'restored lots were named: none',
      without('burn.refunded', 'restored'),
      { restored: [] },
    ],
    [
      'points.transferred',
      'received lots were named: none',
      without('points.transferred', 'received'),
      { received: [] },
    ],
    [
      'member.tier-changed',
      'tier ladders: set by hand, under no ladder',
      without('member.tier-changed', 'reason', 'ladderVersion'),
      { reason: 'MANUAL', ladderVersion: null },
    ],
  ])('reads a %s fact from before %s', (type, _before, payload, filled) => {
    expect(definitionOf(type).parse(payload)).toMatchObject(filled);
  });

  it('fills in nothing a fact carries: the defaults are for older facts only', () => {
    expect(pointsEarned.parse(sampleOf('points.earned'))).toMatchObject({
      partnerPoints: 51n,
      operatorPoints: 10n,
      lots: [{ points: 51n }, { points: 10n }],
    });
    expect(purchaseRefunded.parse(sampleOf('purchase.refunded')).issuancePoints).toBe(25n);
    expect(partnerOnboarded.parse(sampleOf('partner.onboarded')).earnRules?.version).toBe(1);
  });

  it("reads a newer producer's added field without choking on it, and leaves it out", () => {
    const parsed = pointsEarned.parse({ ...sampleOf('points.earned'), channel: 'APP' });
    expect(parsed).not.toHaveProperty('channel');
    expect(parsed.points).toBe(61n);
  });

  it('puts a version after the first in the wire type, so an older consumer cannot mistake it', () => {
    const schema = z.object({ memberId: z.string() });
    const key = (p: { memberId: string }) => p.memberId;
    expect(defineFact({ name: 'points.gifted', version: 1, schema, key }).type).toBe(
      'points.gifted',
    );
    expect(defineFact({ name: 'points.gifted', version: 2, schema, key }).type).toBe(
      'points.gifted@2',
    );
    expect(() => defineFact({ name: 'PointsGifted', version: 1, schema, key })).toThrow(/name/);
    expect(() => defineFact({ name: 'points.gifted', version: 0, schema, key })).toThrow(/version/);
  });

  it('defines each wire type of a feed once, and names the feed and position of one it lacks', () => {
    const schema = z.object({ memberId: z.string() });
    const gifted = defineFact({ name: 'points.gifted', version: 1, schema, key: () => 'm' });
    expect(() => defineFeed('test', [gifted, gifted])).toThrow(/once/);
    const fact = { type: 'points.gifted', key: 'm', payload: {}, position: '7.3', recordedAt: at };
    expect(() => memberFeed.parse(fact)).toThrow(UnknownFactError);
    expect(() => memberFeed.parse(fact)).toThrow(/member feed .* "points.gifted" at 7.3/);
  });
});
