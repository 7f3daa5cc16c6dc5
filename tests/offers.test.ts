import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerClean } from './support/audit';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import {
  codesOf,
  eventually,
  gql,
  operatorToken,
  tokenFor,
  type GraphQLResponse,
} from './support/graphql';
import { HOUR_MS, ledgerClock } from './support/ledger-clock';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase, type Database } from './support/sql';
import { earnInput } from './support/wallet';

/**
 * Activate-to-earn offers end to end: a partner publishes an offer, the partner feed carries it to
 * the wallet, a member sees it and activates it, and a purchase at the partner earns its bonus,
 * within its per-member limit and its budget.
 */

let network: TestNetwork;
let url: string;
let memberDb: Database;
let shop: OnboardedPartner;
let shopToken: string;
let other: OnboardedPartner;
let otherToken: string;

interface MemberOfferView {
  id: string;
  name: string;
  activated: boolean;
  usesLeft: number;
  pointsAwarded: string;
  partner: { id: string };
}

const memberToken = (memberId: string) =>
  tokenFor({ role: 'member', sub: `member:${memberId}`, memberId });

async function createOffer(
  token: string,
  partnerId: string,
  input: Record<string, unknown>,
): Promise<string> {
  const now = Date.now();
  const response = await gql<{ createOffer: { id: string } }>(
    url,
    `mutation O($p: ID!, $i: OfferInput!) { createOffer(partnerId: $p, input: $i) { id } }`,
    {
      p: partnerId,
      i: {
        name: 'Spend 20, get 200',
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + HOUR_MS).toISOString(),
        ...input,
      },
    },
    token,
  );
  expect(response.errors).toBeUndefined();
  const id = response.data!.createOffer.id;
  await eventually(
    async () => (await memberDb.rows('SELECT 1 FROM offer_replica WHERE id = $1', [id])).length > 0,
    15_000,
    'the offer at the wallet',
  );
  return id;
}

const activate = (token: string, memberId: string, offerId: string) =>
  gql<{ activateOffer: MemberOfferView }>(
    url,
    `mutation A($m: ID!, $o: ID!) { activateOffer(memberId: $m, offerId: $o) { id name activated usesLeft pointsAwarded partner { id } } }`,
    { m: memberId, o: offerId },
    token,
  );

const offersOf = async (token: string, memberId: string) => {
  const response = await gql<{
    member: { offers: { edges: { node: MemberOfferView }[] } | null } | null;
  }>(
    url,
    `query M($m: ID!) { member(id: $m) { offers(first: 50) { edges { node { id name activated usesLeft pointsAwarded partner { id } } } } } }`,
    { m: memberId },
    token,
  );
  expect(response.errors).toBeUndefined();
  return response.data?.member?.offers?.edges.map((e) => e.node) ?? null;
};

type EarnResponse = GraphQLResponse<{
  earnPoints: {
    pointsEarned: string;
    breakdown: { kind: string; ruleId: string | null; points: string }[];
  };
}>;
const buy = async (
  memberId: string,
  total: string,
  lines?: { sku: string; category: string; amount: string }[],
) => {
  const response: EarnResponse = await gql(
    url,
    `mutation E($input: EarnPointsInput!) { earnPoints(input: $input) { pointsEarned breakdown { kind ruleId points } } }`,
    {
      input: earnInput({
        memberId,
        storeId: shop.stores[0]!.id,
        total,
        ...(lines ? { lines } : {}),
      }),
    },
    shopToken,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.earnPoints;
};
const offerPoints = (
  earned: { breakdown: { kind: string; ruleId: string | null; points: string }[] },
  offerId: string,
) => earned.breakdown.find((c) => c.kind === 'OFFER' && c.ruleId === offerId)?.points ?? '0';

beforeAll(async () => {
  network = await startTestNetwork('offers');
  url = network.graphqlUrl;
  memberDb = openDatabase(network.databaseUrls.member);
  shop = await onboardPartner(url, 'Offer Shop', ['High Street'], undefined, {
    returnWindowDays: 0,
  });
  other = await onboardPartner(url, 'Offer Other', ['Elsewhere'], undefined, {
    returnWindowDays: 0,
  });
  shopToken = tokenFor({ role: 'partner', sub: 'partner:offer-shop', partnerId: shop.id });
  otherToken = tokenFor({ role: 'partner', sub: 'partner:offer-other', partnerId: other.id });
});

afterEach(async () => {
  await expectLedgerClean(network.databaseUrls.member);
});

afterAll(async () => {
  await memberDb?.close();
  await network?.stop();
});

describe('activate-to-earn offers', () => {
  it('earns nothing before activation, its bonus once activated, and only up to the per-member limit', async () => {
    const offer = await createOffer(shopToken, shop.id, {
      bonusPoints: '200',
      minimumSpendMinor: '2000',
      perMemberLimit: 2,
    });
    const m = (await enrolMember(url, 'Olly Offer')).id;
    expect(offerPoints(await buy(m, '2500'), offer)).toBe('0');
    const activated = await activate(memberToken(m), m, offer);
    expect(activated.data?.activateOffer).toMatchObject({
      id: offer,
      activated: true,
      usesLeft: 2,
      pointsAwarded: '0',
      partner: { id: shop.id },
    });
    // Activating again changes nothing.
    expect((await activate(memberToken(m), m, offer)).data?.activateOffer.usesLeft).toBe(2);
    expect(offerPoints(await buy(m, '1999'), offer)).toBe('0');
    const first = await buy(m, '2000');
    expect(first).toMatchObject({ pointsEarned: '220' });
    expect(offerPoints(first, offer)).toBe('200');
    expect(offerPoints(await buy(m, '5000'), offer)).toBe('200');
    expect(offerPoints(await buy(m, '5000'), offer)).toBe('0');
    const listed = (await offersOf(memberToken(m), m))?.find((o) => o.id === offer);
    expect(listed).toMatchObject({ activated: true, usesLeft: 0, pointsAwarded: '400' });
  });

  it('counts a purchase the till timed a moment before activation (its clock may trail ours), not one from before the member had it', async () => {
    const offer = await createOffer(shopToken, shop.id, { bonusPoints: '70' });
    const skewed = (await enrolMember(url, 'Skewed Sam')).id;
    const late = (await enrolMember(url, 'Late Liz')).id;
    const earnNow = async (memberId: string) => {
      const response: EarnResponse = await gql(
        url,
        `mutation E($input: EarnPointsInput!) { earnPoints(input: $input) { pointsEarned breakdown { kind ruleId points } } }`,
        {
          input: earnInput({
            memberId,
            storeId: shop.stores[0]!.id,
            total: '1000',
            occurredAt: new Date().toISOString(),
          }),
        },
        shopToken,
      );
      expect(response.errors).toBeUndefined();
      return response.data!.earnPoints;
    };
    // The wallet's clock runs ahead of the till's: by 2 seconds, then by an hour.
    const clock = ledgerClock(memberDb);
    try {
      await clock.freezeAt(new Date(Date.now() + 2_000));
      await activate(memberToken(skewed), skewed, offer);
      expect(offerPoints(await earnNow(skewed), offer)).toBe('70');
      await clock.freezeAt(new Date(Date.now() + HOUR_MS));
      await activate(memberToken(late), late, offer);
      expect(offerPoints(await earnNow(late), offer)).toBe('0');
    } finally {
      await clock.thaw();
    }
  });

  it('gives a percent bonus on its categories only, and stops at its budget across members', async () => {
    const offer = await createOffer(shopToken, shop.id, {
      bonusPercent: 100,
      categories: ['coffee'],
      budgetPoints: '150',
      perMemberLimit: 10,
    });
    const a = (await enrolMember(url, 'Budget Ann')).id;
    const b = (await enrolMember(url, 'Budget Ben')).id;
    await activate(memberToken(a), a, offer);
    await activate(memberToken(b), b, offer);
    expect(
      offerPoints(
        await buy(a, '5000', [{ sku: 'bread', category: 'bakery', amount: '5000' }]),
        offer,
      ),
    ).toBe('0');
    expect(
      offerPoints(
        await buy(a, '10000', [{ sku: 'beans', category: 'Coffee', amount: '10000' }]),
        offer,
      ),
    ).toBe('100');
    // 100 of the budget spent: Ben's 100 become the 50 left, then nothing.
    expect(
      offerPoints(
        await buy(b, '10000', [{ sku: 'beans', category: 'coffee', amount: '10000' }]),
        offer,
      ),
    ).toBe('50');
    expect(
      offerPoints(
        await buy(b, '10000', [{ sku: 'beans', category: 'coffee', amount: '10000' }]),
        offer,
      ),
    ).toBe('0');
    const spent = await memberDb.rows<{ points_awarded: string }>(
      'SELECT points_awarded FROM offer_spend WHERE offer_id = $1',
      [offer],
    );
    expect(spent[0]?.points_awarded).toBe('150');
  });

  it('is listed to and activated by only the members it is meant for', async () => {
    const gold = (await enrolMember(url, 'Gold Gil')).id;
    const plain = (await enrolMember(url, 'Plain Pat')).id;
    const named = (await enrolMember(url, 'Named Ned')).id;
    expect(
      (
        await gql(
          url,
          `mutation T($m: ID!) { setMemberTier(memberId: $m, tier: "GOLD") { tier } }`,
          { m: gold },
          operatorToken(),
        )
      ).errors,
    ).toBeUndefined();
    const forGold = await createOffer(shopToken, shop.id, {
      bonusPoints: '10',
      audience: 'TIERS',
      audienceTiers: ['GOLD'],
    });
    const forNed = await createOffer(shopToken, shop.id, {
      bonusPoints: '10',
      audience: 'MEMBERS',
      audienceMemberIds: [named],
    });
    const ids = async (m: string) => (await offersOf(memberToken(m), m))!.map((o) => o.id);
    expect(await ids(gold)).toContain(forGold);
    expect(await ids(gold)).not.toContain(forNed);
    expect(await ids(named)).toContain(forNed);
    expect(await ids(plain)).not.toContain(forGold);
    expect(codesOf(await activate(memberToken(plain), plain, forGold))).toEqual([
      'OFFER_NOT_AVAILABLE',
    ]);
    expect(codesOf(await activate(memberToken(plain), plain, forNed))).toEqual([
      'OFFER_NOT_AVAILABLE',
    ]);
    expect((await activate(memberToken(named), named, forNed)).errors).toBeUndefined();
  });

  it('cannot be activated once ended, and an ended offer earns nothing', async () => {
    const offer = await createOffer(shopToken, shop.id, { bonusPoints: '300' });
    const early = (await enrolMember(url, 'Early Eve')).id;
    const late = (await enrolMember(url, 'Late Lou')).id;
    await activate(memberToken(early), early, offer);
    const ended = await gql(
      url,
      `mutation E($o: ID!) { endOffer(offerId: $o) { id } }`,
      { o: offer },
      shopToken,
    );
    expect(ended.errors).toBeUndefined();
    await eventually(
      async () =>
        (
          await memberDb.rows(
            'SELECT 1 FROM offer_replica WHERE id = $1 AND ended_at IS NOT NULL',
            [offer],
          )
        ).length > 0,
      15_000,
      'the end at the wallet',
    );
    expect(codesOf(await activate(memberToken(late), late, offer))).toEqual([
      'OFFER_NOT_AVAILABLE',
    ]);
    expect(offerPoints(await buy(early, '1000'), offer)).toBe('0');
  });

  it("lets a partner's app activate its own offers for a member who linked it, never another partner's", async () => {
    const offer = await createOffer(shopToken, shop.id, { bonusPoints: '5' });
    const m = (await enrolMember(url, 'App Abe')).id;
    // Without the member's consent the partner cannot reach them.
    expect(codesOf(await activate(shopToken, m, offer))).toEqual(['NOT_FOUND']);
    await linkPartner(url, m, shop.id);
    await linkPartner(url, m, other.id);
    expect((await activate(shopToken, m, offer)).data?.activateOffer.activated).toBe(true);
    expect(codesOf(await activate(otherToken, m, offer))).toEqual(['NOT_FOUND']);
    // Each partner lists only its own offers for the member.
    expect((await offersOf(otherToken, m))!.map((o) => o.partner.id)).not.toContain(shop.id);
    // Another member cannot activate offers for them.
    const stranger = (await enrolMember(url, 'Stranger Sue')).id;
    expect(codesOf(await activate(memberToken(stranger), m, offer))).toEqual(['FORBIDDEN']);
    expect(codesOf(await activate(memberToken(m), m, randomUUID()))).toEqual(['NOT_FOUND']);
  });
});
