import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onboardPartner, type OnboardedPartner } from './support/coalition';
import { codesOf, gql, operatorToken, tokenFor, type GraphQLResponse } from './support/graphql';
import { factsWhere } from './support/partner-feed';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase, type Database } from './support/sql';

/**
 * Activate-to-earn offers on the partner side, through the gateway: a partner (or an operator)
 * publishes an offer, lists and ends it; each change reaches the partner feed with the payload the
 * wallet replicates; nobody else reaches another partner's offers.
 */

const DAY_MS = 86_400_000;
const LIVE_OFFERS_MAX = 100;

let network: TestNetwork;
let url: string;
let partnerDb: Database;

/** The facts of a type about one offer, once the feed serves at least `count` of them. */
const factsAbout = (type: string, offerId: string, count = 1) =>
  factsWhere(
    network.services['partner-merchant'].url,
    `${type} for ${offerId}`,
    (fact) => fact.type === type && fact.payload.offerId === offerId,
    count,
  );

const partnerToken = (partnerId: string) =>
  tokenFor({ role: 'partner', sub: `pc_test${partnerId.slice(0, 8)}`, partnerId });
const terminalToken = (partner: OnboardedPartner) =>
  tokenFor({
    role: 'terminal',
    sub: `tc_test${partner.id.slice(0, 8)}`,
    partnerId: partner.id,
    storeId: partner.stores[0]!.id,
  });
const memberToken = () => {
  const memberId = randomUUID();
  return tokenFor({ role: 'member', sub: `member:${memberId}`, memberId });
};

const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();
const unique = (name: string) => `${name} ${randomUUID().slice(0, 6)}`;
const fieldOf = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.field;

const OFFER = `id partner { id } name description bonusPoints bonusPercent minimumSpendMinor categories audience audienceTiers audienceMemberIds
  startsAt endsAt budgetPoints perMemberLimit status createdAt endedAt`;

interface OfferView {
  id: string;
  partner: { id: string };
  name: string;
  status: 'ACTIVE' | 'ENDED';
  startsAt: string;
  endsAt: string;
  createdAt: string;
  endedAt: string | null;
  audienceMemberIds: string[] | null;
  [field: string]: unknown;
}

/** A small valid offer starting now; overrides replace (or, as undefined, remove) its fields. */
const offerInput = (overrides: Record<string, unknown> = {}) =>
  Object.fromEntries(
    Object.entries({
      name: 'Spend 20, get 200',
      bonusPoints: '200',
      minimumSpendMinor: '2000',
      startsAt: inDays(0),
      endsAt: inDays(30),
      ...overrides,
    }).filter(([, v]) => v !== undefined),
  );

const create = (partnerId: string, input: Record<string, unknown>, token = operatorToken()) =>
  gql<{ createOffer: OfferView }>(
    url,
    `mutation C($p: ID!, $i: OfferInput!) { createOffer(partnerId: $p, input: $i) { ${OFFER} } }`,
    { p: partnerId, i: input },
    token,
  );

const endOffer = (offerId: string, token = operatorToken()) =>
  gql<{ endOffer: OfferView }>(
    url,
    `mutation E($o: ID!) { endOffer(offerId: $o) { ${OFFER} } }`,
    { o: offerId },
    token,
  );

const readOffer = (id: string, token: string | null = operatorToken()) =>
  gql<{ offer: OfferView | null }>(
    url,
    `query O($id: ID!) { offer(id: $id) { ${OFFER} } }`,
    { id },
    token,
  );

/** Creates an offer as the operator and returns it; fails the test on any error. */
async function created(
  partnerId: string,
  overrides: Record<string, unknown> = {},
): Promise<OfferView> {
  const response = await create(partnerId, offerInput(overrides));
  expect(response.errors).toBeUndefined();
  return response.data!.createOffer;
}

type Listing = {
  partner: {
    offers: {
      edges: { cursor: string; node: { id: string; status: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    } | null;
  } | null;
};
const LIST = `query L($id: ID!, $first: Int, $after: String, $ended: Boolean) {
  partner(id: $id) { offers(first: $first, after: $after, includeEnded: $ended) { edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } } }`;

/** Every offer of the partner, page by page; the ids of each page. */
async function pagesOf(
  partnerId: string,
  options: { first: number; includeEnded?: boolean; token?: string },
): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | null = null;
  for (let i = 0; i < 50; i++) {
    const response: GraphQLResponse<Listing> = await gql<Listing>(
      url,
      LIST,
      { id: partnerId, first: options.first, after, ended: options.includeEnded ?? null },
      options.token ?? operatorToken(),
    );
    expect(response.errors).toBeUndefined();
    const connection = response.data!.partner!.offers!;
    pages.push(connection.edges.map((e) => e.node.id));
    if (!connection.pageInfo.hasNextPage) return pages;
    after = connection.pageInfo.endCursor;
  }
  throw new Error('more pages than expected');
}

/** What a refused request must leave alone: the partner's offers and its offer facts. */
const footprint = async (partnerId: string) => ({
  offers: await partnerDb.rows(
    'SELECT id, status, ended_at FROM offer WHERE partner_id = $1 ORDER BY id',
    [partnerId],
  ),
  facts: await partnerDb.rows(
    `SELECT seq FROM outbox WHERE key = $1 AND type LIKE 'offer.%' ORDER BY seq`,
    [partnerId],
  ),
});

beforeAll(async () => {
  network = await startTestNetwork('offers_partner');
  url = network.graphqlUrl;
  partnerDb = openDatabase(network.databaseUrls['partner-merchant']);
});

afterAll(async () => {
  await partnerDb?.close();
  await network?.stop();
});

describe('publishing an offer', () => {
  let cafe: OnboardedPartner;

  beforeAll(async () => {
    cafe = await onboardPartner(url, unique('Offer Cafe'));
  });

  it('publishes a partner its offer, with every field as given, and announces it on the feed exactly as the wallet reads it', async () => {
    const members = [randomUUID(), randomUUID()];
    const input = {
      name: 'Coffee week',
      description: 'Buy two coffees, get 150 points',
      bonusPoints: '150',
      minimumSpendMinor: '600',
      categories: ['coffee', 'bakery'],
      audience: 'MEMBERS',
      audienceMemberIds: members,
      startsAt: inDays(1),
      endsAt: inDays(8),
      budgetPoints: '100000',
      perMemberLimit: 2,
    };
    const response = await create(cafe.id, input, partnerToken(cafe.id));
    expect(response.errors).toBeUndefined();
    const offer = response.data!.createOffer;
    expect(offer).toEqual({
      ...input,
      id: expect.any(String),
      partner: { id: cafe.id },
      bonusPercent: null,
      audienceTiers: [],
      status: 'ACTIVE',
      createdAt: expect.any(String),
      endedAt: null,
    });

    const [fact] = await factsAbout('offer.published', offer.id);
    expect(fact?.key).toBe(cafe.id);
    expect(fact?.payload).toEqual({
      offerId: offer.id,
      partnerId: cafe.id,
      offer: {
        name: 'Coffee week',
        description: 'Buy two coffees, get 150 points',
        bonusPoints: '150',
        bonusPercent: null,
        minimumSpendMinor: '600',
        categories: ['coffee', 'bakery'],
        audience: 'MEMBERS',
        audienceTiers: [],
        audienceMemberIds: members,
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        budgetPoints: '100000',
        perMemberLimit: 2,
      },
    });
    expect((await readOffer(offer.id, partnerToken(cafe.id))).data?.offer).toEqual(offer);
  });

  it('fills in the defaults: everyone, any spend, once per member, no budget', async () => {
    const offer = await created(cafe.id, {
      name: 'Ten percent more',
      bonusPoints: undefined,
      bonusPercent: 10,
      minimumSpendMinor: undefined,
      audienceTiers: undefined,
    });
    expect(offer).toMatchObject({
      bonusPoints: null,
      bonusPercent: 10,
      minimumSpendMinor: '0',
      categories: null,
      audience: 'EVERYONE',
      audienceTiers: [],
      audienceMemberIds: [],
      budgetPoints: null,
      perMemberLimit: 1,
      description: '',
    });
    const [fact] = await factsAbout('offer.published', offer.id);
    expect(fact?.payload.offer).toMatchObject({
      bonusPoints: null,
      bonusPercent: 10,
      minimumSpendMinor: '0',
      audience: 'EVERYONE',
      budgetPoints: null,
      perMemberLimit: 1,
    });
  });

  it('takes a startsAt a few seconds behind as now, so an offer never starts before it existed', async () => {
    const before = Date.now();
    const offer = await created(cafe.id, { startsAt: new Date(before - 2_000).toISOString() });
    expect(Date.parse(offer.startsAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(offer.startsAt)).toBe(Date.parse(offer.createdAt));
    const [fact] = await factsAbout('offer.published', offer.id);
    expect((fact?.payload.offer as Record<string, unknown>).startsAt).toBe(offer.startsAt);
  });

  it.each<[string, () => Record<string, unknown>, string]>([
    ['both a fixed and a percent bonus', () => offerInput({ bonusPercent: 10 }), 'bonusPoints'],
    ['neither bonus', () => offerInput({ bonusPoints: undefined }), 'bonusPoints'],
    [
      'an endsAt before its startsAt',
      () => offerInput({ startsAt: inDays(5), endsAt: inDays(4) }),
      'endsAt',
    ],
    [
      'an endsAt in the past',
      () => offerInput({ startsAt: inDays(-3), endsAt: inDays(-1) }),
      'endsAt',
    ],
    ['a startsAt in the past', () => offerInput({ startsAt: inDays(-1 / 24) }), 'startsAt'],
    ['a TIERS audience without tiers', () => offerInput({ audience: 'TIERS' }), 'audienceTiers'],
    [
      'a lower-case tier',
      () => offerInput({ audience: 'TIERS', audienceTiers: ['gold'] }),
      'audienceTiers.0',
    ],
    [
      'a MEMBERS audience without members',
      () => offerInput({ audience: 'MEMBERS' }),
      'audienceMemberIds',
    ],
    [
      'member ids that are not ids',
      () => offerInput({ audience: 'MEMBERS', audienceMemberIds: [randomUUID(), 'member-42'] }),
      'audienceMemberIds.1',
    ],
    [
      'a negative minimum spend',
      () => offerInput({ minimumSpendMinor: '-1' }),
      'minimumSpendMinor',
    ],
    ['a bonus of 0 points', () => offerInput({ bonusPoints: '0' }), 'bonusPoints'],
    ['a budget of 0', () => offerInput({ budgetPoints: '0' }), 'budgetPoints'],
    ['a per-member limit of 0', () => offerInput({ perMemberLimit: 0 }), 'perMemberLimit'],
    ['an empty name', () => offerInput({ name: '  ' }), 'name'],
  ])('refuses %s, naming the field and writing nothing', async (_case, input, field) => {
    const before = await footprint(cafe.id);
    const refused = await create(cafe.id, input(), partnerToken(cafe.id));
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(refused)).toBe(field);
    expect(await footprint(cafe.id)).toEqual(before);
  });

  it('refuses an offer for a partner that does not exist', async () => {
    expect(codesOf(await create(randomUUID(), offerInput()))).toEqual(['NOT_FOUND']);
  });
});

describe('the live-offer limit', () => {
  it(`keeps a partner to ${LIVE_OFFERS_MAX} live offers, even when the last places are taken at once; an ended offer frees its place`, async () => {
    const busy = await onboardPartner(url, unique('Offer Busy'));
    for (let batch = 0; batch < (LIVE_OFFERS_MAX - 2) / 7; batch++) {
      const count = Math.min(7, LIVE_OFFERS_MAX - 2 - batch * 7);
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          created(busy.id, { name: `Offer ${batch * 7 + i}` }),
        ),
      );
    }
    // Two places left, five asking for them at the same moment: the partner's lock lets exactly two in.
    const racing = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        create(busy.id, offerInput({ name: `Racer ${i}` }), partnerToken(busy.id)),
      ),
    );
    expect(racing.filter((r) => r.errors === undefined)).toHaveLength(2);
    for (const refused of racing.filter((r) => r.errors !== undefined)) {
      expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
      expect(fieldOf(refused)).toBe('partnerId');
    }
    const live = await partnerDb.rows<{ n: number }>(
      `SELECT count(*)::integer AS n FROM offer WHERE partner_id = $1`,
      [busy.id],
    );
    expect(live[0]?.n).toBe(LIVE_OFFERS_MAX);

    const before = await footprint(busy.id);
    const over = await create(busy.id, offerInput());
    expect(fieldOf(over)).toBe('partnerId');
    expect(await footprint(busy.id)).toEqual(before);

    const someOffer = racing.find((r) => r.errors === undefined)!.data!.createOffer;
    expect((await endOffer(someOffer.id)).errors).toBeUndefined();
    expect((await create(busy.id, offerInput())).errors).toBeUndefined();
    expect(codesOf(await create(busy.id, offerInput()))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('ending an offer', () => {
  let deli: OnboardedPartner;

  beforeAll(async () => {
    deli = await onboardPartner(url, unique('Offer Deli'));
  });

  it('ends it now, says so on the feed, and returns it unchanged when ended again', async () => {
    const offer = await created(deli.id, { startsAt: inDays(1) });
    const ended = await endOffer(offer.id, partnerToken(deli.id));
    expect(ended.errors).toBeUndefined();
    const { endedAt } = ended.data!.endOffer;
    expect(ended.data!.endOffer).toEqual({
      ...offer,
      status: 'ENDED',
      endedAt: expect.any(String),
    });
    expect(Math.abs(Date.parse(endedAt!) - Date.now())).toBeLessThan(60_000);

    const [fact] = await factsAbout('offer.ended', offer.id);
    expect(fact?.key).toBe(deli.id);
    expect(fact?.payload).toEqual({ offerId: offer.id, partnerId: deli.id, endedAt });

    const again = await endOffer(offer.id);
    expect(again.errors).toBeUndefined();
    expect(again.data!.endOffer).toEqual(ended.data!.endOffer);
    expect((await readOffer(offer.id)).data?.offer).toEqual(ended.data!.endOffer);
    const facts = await partnerDb.rows(
      `SELECT seq FROM outbox WHERE type = 'offer.ended' AND payload->>'offerId' = $1`,
      [offer.id],
    );
    expect(facts).toHaveLength(1);
  });

  it('counts an offer past its endsAt as ended then: listed only with includeEnded, and ending it changes nothing', async () => {
    const offer = await created(deli.id);
    // Its window moved into the past rather than waited for, content and columns alike.
    const startsAt = new Date(Date.now() - 10 * DAY_MS).toISOString();
    const endsAt = new Date(Date.now() - DAY_MS).toISOString();
    await partnerDb.rows(
      `UPDATE offer SET starts_at = $2, ends_at = $3, content = content || jsonb_build_object('startsAt', $4::text, 'endsAt', $5::text) WHERE id = $1`,
      [offer.id, startsAt, endsAt, startsAt, endsAt],
    );
    const seen = (await readOffer(offer.id)).data?.offer;
    expect(seen).toMatchObject({ status: 'ENDED', endsAt, endedAt: endsAt });
    expect((await pagesOf(deli.id, { first: 100 })).flat()).not.toContain(offer.id);
    expect((await pagesOf(deli.id, { first: 100, includeEnded: true })).flat()).toContain(offer.id);

    const ended = await endOffer(offer.id);
    expect(ended.data?.endOffer).toEqual(seen);
    expect(
      await partnerDb.rows(
        `SELECT seq FROM outbox WHERE type = 'offer.ended' AND payload->>'offerId' = $1`,
        [offer.id],
      ),
    ).toEqual([]);
  });

  it('refuses an id that is not one, and finds no offer behind an unknown one', async () => {
    const malformed = await endOffer('offer-1');
    expect(codesOf(malformed)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(malformed)).toBe('offerId');
    expect(codesOf(await endOffer(randomUUID()))).toEqual(['NOT_FOUND']);
  });
});

describe("listing a partner's offers", () => {
  it('pages through the live offers, newest first, and with includeEnded through the ended ones too', async () => {
    const bistro = await onboardPartner(url, unique('Offer Bistro'));
    const made: OfferView[] = [];
    for (let i = 0; i < 5; i++) made.push(await created(bistro.id, { name: `Offer ${i}` }));
    expect((await endOffer(made[1]!.id)).errors).toBeUndefined();
    const newestFirst = made.map((o) => o.id).reverse();

    const live = await pagesOf(bistro.id, { first: 2, token: partnerToken(bistro.id) });
    expect(live).toEqual([
      [newestFirst[0], newestFirst[1]],
      [newestFirst[2], newestFirst[4]],
    ]);
    const all = await pagesOf(bistro.id, { first: 2, includeEnded: true });
    expect(all).toEqual([
      [newestFirst[0], newestFirst[1]],
      [newestFirst[2], newestFirst[3]],
      [newestFirst[4]],
    ]);

    const rows = await partnerDb.rows<{ id: string }>(
      'SELECT id FROM offer WHERE partner_id = $1 ORDER BY created_at DESC, id DESC',
      [bistro.id],
    );
    expect(all.flat()).toEqual(rows.map((r) => r.id));
    const bad = await gql(url, LIST, {
      id: bistro.id,
      first: 2,
      after: 'not-a-cursor',
      ended: true,
    });
    expect(codesOf(bad)).toEqual(['BAD_USER_INPUT']);
    expect(
      codesOf(await gql(url, LIST, { id: bistro.id, first: 1000, after: null, ended: null })),
    ).toEqual(['BAD_USER_INPUT']);
  });
});

describe('who reaches an offer', () => {
  let owner: OnboardedPartner;
  let rival: OnboardedPartner;
  let offer: OfferView;

  beforeAll(async () => {
    owner = await onboardPartner(url, unique('Offer Owner'));
    rival = await onboardPartner(url, unique('Offer Rival'));
    offer = await created(owner.id, { audience: 'MEMBERS', audienceMemberIds: [randomUUID()] });
  });

  it('gives another partner nothing: NOT_FOUND when ending, exactly as for an unknown id, null when reading, FORBIDDEN when creating', async () => {
    const rivalToken = partnerToken(rival.id);
    const before = await footprint(owner.id);
    const foreign = await endOffer(offer.id, rivalToken);
    const unknown = await endOffer(randomUUID(), rivalToken);
    expect(codesOf(foreign)).toEqual(['NOT_FOUND']);
    expect(foreign.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect(JSON.stringify(foreign.errors)).not.toContain(owner.id);

    const read = await readOffer(offer.id, rivalToken);
    expect(read.errors).toBeUndefined();
    expect(read.data?.offer).toBeNull();
    const listed = await gql<Listing>(
      url,
      LIST,
      { id: owner.id, first: 10, after: null, ended: true },
      rivalToken,
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data?.partner).toBeNull();

    expect(codesOf(await create(owner.id, offerInput(), rivalToken))).toEqual(['FORBIDDEN']);
    expect(await footprint(owner.id)).toEqual(before);
  });

  it("refuses terminals and members any change, and shows them no offer: not even a terminal its own partner's", async () => {
    const before = await footprint(owner.id);
    for (const token of [terminalToken(owner), memberToken()]) {
      expect(codesOf(await create(owner.id, offerInput(), token))).toEqual(['FORBIDDEN']);
      expect(codesOf(await endOffer(offer.id, token))).toEqual(['FORBIDDEN']);
      const read = await readOffer(offer.id, token);
      expect(read.errors).toBeUndefined();
      expect(read.data?.offer).toBeNull();
    }
    const listed = await gql<Listing>(
      url,
      LIST,
      { id: owner.id, first: 10, after: null, ended: true },
      terminalToken(owner),
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data?.partner).toEqual({ offers: null });
    expect(await footprint(owner.id)).toEqual(before);
  });

  it('lets the partner itself and operators read everything, member list included, and operators end any offer', async () => {
    for (const token of [partnerToken(owner.id), operatorToken()]) {
      const read = await readOffer(offer.id, token);
      expect(read.data?.offer).toEqual(offer);
      expect(read.data?.offer?.audienceMemberIds).toHaveLength(1);
      expect((await pagesOf(owner.id, { first: 10, token })).flat()).toEqual([offer.id]);
    }
    const named = await gql<{ offer: { partner: { name: string } } }>(
      url,
      `query O($id: ID!) { offer(id: $id) { partner { name } } }`,
      { id: offer.id },
      partnerToken(owner.id),
    );
    expect(named.data?.offer.partner.name).toBe(owner.name);

    const byOperator = await create(rival.id, offerInput({ name: 'Set up by the operator' }));
    expect(byOperator.errors).toBeUndefined();
    const ended = await endOffer(byOperator.data!.createOffer.id);
    expect(ended.data?.endOffer.status).toBe('ENDED');
    const [fact] = await factsAbout('offer.ended', byOperator.data!.createOffer.id);
    expect(fact?.key).toBe(rival.id);
    const stored = await partnerDb.rows('SELECT created_by, ended_by FROM offer WHERE id = $1', [
      byOperator.data!.createOffer.id,
    ]);
    expect(stored).toEqual([{ created_by: 'operator:test', ended_by: 'operator:test' }]);
  });

  it('asks for a token', async () => {
    expect(codesOf(await readOffer(offer.id, null))).toEqual(['UNAUTHENTICATED']);
  });
});
