import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../shared/src/service/subgraph-service';
import { loadMemberConfig } from '../subgraphs/member/src/config';
import { startMemberService } from '../subgraphs/member/src/server';
import {
  createApiClient,
  enrolMember,
  exchangeClientCredentials,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { keysDir } from './support/databases';
import { codesOf, gql, operatorToken, tokenFor, type GraphQLResponse } from './support/graphql';
import { DAY_MS, ledgerClock, MINUTE_MS, type LedgerClock } from './support/ledger-clock';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase, type Database } from './support/sql';
import { burn, earn, earnInput, refundBurn, refundPurchase } from './support/wallet';

/**
 * A partner's views of the ledger (Partner.ledgerTransactions, pointsSummary, memberReach), through
 * the gateway. Two partners, Grocer (stores North and South) and Cafe, and four members; the
 * ledger clock is frozen so that every transaction has its own minute, on day 1 or day 2:
 *
 *   day 1   Ann    earns 100 at Grocer North      (Ann linked Grocer and Cafe)
 *           Ben    earns  50 at Grocer South      (Ben linked Cafe only)
 *           Cat    earns  30 at Grocer North      (Cat linked Grocer)
 *           Ann    earns  20 at Cafe
 *           Ben    burns  10 at Cafe
 *           Dan    earns  40 at Cafe              (Dan linked nobody)
 *           Ann    burns  25 at Grocer North
 *           Grocer refunds a third of Cat's purchase: 10 points back
 *           Grocer refunds 5 points of Ann's burn
 *   day 2   Cat    earns  10 at Cafe
 *           Dan    earns  60 at Grocer South
 */

type Member = { id: string; cardNumber: string; name: string };

interface Node {
  id: string;
  kind: string;
  points: string;
  store: { id: string; name: string } | null;
  receiptId: string | null;
  reversesId: string | null;
  rulesVersion: number | null;
  createdAt: string;
  member: { id: string; cardNumber: string; name: string | null } | null;
}
interface Page {
  edges: { cursor: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

let network: TestNetwork;
let url: string;
let memberDb: Database;
let clock: LedgerClock;
let grocer: OnboardedPartner;
let cafe: OnboardedPartner;
/** Grocer's own partner token, from its client credentials at the gateway's /oauth/token. */
let grocerToken: string;
/** A till of Grocer North, from terminal credentials. */
let grocerTerminal: string;
let cafeToken: string;
let ann: Member;
let ben: Member;
let cat: Member;
let dan: Member;
let dayOne: Date;
let dayTwo: Date;
let dayThree: Date;
/** Grocer's transactions as the story above wrote them, oldest first. */
const atGrocer: { id: string; memberId: string }[] = [];
const atCafe: string[] = [];

const north = () => grocer.stores[0]!;
const south = () => grocer.stores[1]!;
const iso = (date: Date) => date.toISOString();
const after = (date: Date, ms: number) => new Date(date.getTime() + ms);

async function tokenFromCredentials(partnerId: string, storeId?: string): Promise<string> {
  const { clientId, clientSecret } = await createApiClient(url, partnerId, storeId);
  const response = await exchangeClientCredentials(network.gateway.url, clientId, clientSecret);
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function newMember(name: string, linked: OnboardedPartner[]): Promise<Member> {
  const member = await enrolMember(url, name);
  for (const partner of linked) await linkPartner(url, member.id, partner.id);
  return { ...member, name };
}

/** Each transaction of the story in a minute of its own, so newest-first is the story backwards. */
async function nextMinute<T>(work: () => Promise<T>): Promise<T> {
  await clock.advance(MINUTE_MS);
  return work();
}

async function earnAt(
  token: string,
  member: Member,
  storeId: string,
  points: number,
  receiptId = `R-${randomUUID()}`,
): Promise<string> {
  const response = await earn(
    url,
    token,
    earnInput({ memberId: member.id, storeId, total: `${points * 100}`, receiptId }),
  );
  expect(response.errors).toBeUndefined();
  expect(response.data?.earnPoints.pointsEarned).toBe(String(points));
  return response.data!.earnPoints.transactionId;
}

async function burnAt(
  token: string,
  member: Member,
  storeId: string,
  points: number,
): Promise<string> {
  const response = await burn(url, token, {
    idempotencyKey: randomUUID(),
    memberId: member.id,
    storeId,
    points: String(points),
  });
  expect(response.errors).toBeUndefined();
  return response.data!.burnPoints!.transactionId;
}

const TRANSACTIONS = `
  query Transactions($id: ID!, $first: Int, $after: String, $storeId: ID, $kinds: [TransactionKind!], $from: DateTime, $to: DateTime) {
    partner(id: $id) {
      ledgerTransactions(first: $first, after: $after, storeId: $storeId, kinds: $kinds, from: $from, to: $to) {
        edges { cursor node { id kind points store { id name } receiptId reversesId rulesVersion createdAt member { id cardNumber name } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }`;

type TransactionArgs = {
  first?: number;
  after?: string;
  storeId?: string;
  kinds?: string[];
  from?: string;
  to?: string;
};

function transactionsOf(token: string, partnerId: string, args: TransactionArgs = {}) {
  return gql<{ partner: { ledgerTransactions: Page | null } | null }>(
    url,
    TRANSACTIONS,
    { id: partnerId, ...args },
    token,
  );
}

/** Every page of a partner's list, `first` at a time; fails on any error. */
async function allTransactions(
  token: string,
  partnerId: string,
  args: TransactionArgs = {},
): Promise<{ nodes: Node[]; pages: number }> {
  const nodes: Node[] = [];
  let cursor: string | undefined;
  for (let pages = 1; ; pages++) {
    const response = await transactionsOf(token, partnerId, {
      ...args,
      ...(cursor ? { after: cursor } : {}),
    });
    expect(response.errors).toBeUndefined();
    const page = response.data?.partner?.ledgerTransactions;
    if (!page) throw new Error('no ledgerTransactions');
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return { nodes, pages };
    cursor = page.pageInfo.endCursor ?? undefined;
  }
}

const ids = (nodes: Node[]) => nodes.map((node) => node.id);
/** Grocer's transactions by their number in the story (1 = the first), newest first as the list gives them. */
const grocerTransactions = (...numbers: number[]) => numbers.map((n) => atGrocer[n - 1]!.id);

const SUMMARY =
  'from to pointsIssued earnCount pointsRedeemed burnCount pointsClawedBack purchaseRefundCount pointsGivenBack burnRefundCount netPointsIssued netPointsRedeemed transactionCount';
const REACH = 'from to members membersAlsoElsewhere';

function totalsOf(token: string, partnerId: string, from: Date | string, to: Date | string) {
  return gql<{
    partner: {
      pointsSummary: Record<string, unknown> | null;
      memberReach: Record<string, unknown> | null;
    } | null;
  }>(
    url,
    `query Totals($id: ID!, $from: DateTime!, $to: DateTime!) { partner(id: $id) { pointsSummary(from: $from, to: $to) { ${SUMMARY} } memberReach(from: $from, to: $to) { ${REACH} } } }`,
    {
      id: partnerId,
      from: typeof from === 'string' ? from : iso(from),
      to: typeof to === 'string' ? to : iso(to),
    },
    token,
  );
}

beforeAll(async () => {
  network = await startTestNetwork('partner_views');
  url = network.graphqlUrl;
  grocer = await onboardPartner(url, 'Views Grocer', ['North', 'South'], undefined, {
    returnWindowDays: 0,
  });
  cafe = await onboardPartner(url, 'Views Cafe', ['Corner'], undefined, { returnWindowDays: 0 });
  grocerToken = await tokenFromCredentials(grocer.id);
  grocerTerminal = await tokenFromCredentials(grocer.id, north().id);
  cafeToken = tokenFor({ role: 'partner', sub: 'partner:cafe', partnerId: cafe.id });
  // Linking waits for each partner to reach the member service over the partner feed.
  ann = await newMember('Ann Views', [grocer, cafe]);
  ben = await newMember('Ben Views', [cafe]);
  cat = await newMember('Cat Views', [grocer]);
  dan = await newMember('Dan Views', []);

  memberDb = openDatabase(network.databaseUrls.member);
  clock = ledgerClock(memberDb);
  dayOne = await clock.freezeAt(new Date());
  dayTwo = after(dayOne, DAY_MS);
  dayThree = after(dayTwo, DAY_MS);

  const grocerEarn = async (member: Member, storeId: string, points: number, receiptId?: string) =>
    atGrocer.push({
      id: await nextMinute(() => earnAt(grocerToken, member, storeId, points, receiptId)),
      memberId: member.id,
    });
  await grocerEarn(ann, north().id, 100);
  await grocerEarn(ben, south().id, 50);
  await grocerEarn(cat, north().id, 30, 'R-CAT');
  atCafe.push(await nextMinute(() => earnAt(cafeToken, ann, cafe.stores[0]!.id, 20)));
  atCafe.push(await nextMinute(() => burnAt(cafeToken, ben, cafe.stores[0]!.id, 10)));
  atCafe.push(await nextMinute(() => earnAt(cafeToken, dan, cafe.stores[0]!.id, 40)));
  const annBurn = await nextMinute(() => burnAt(grocerToken, ann, north().id, 25));
  atGrocer.push({ id: annBurn, memberId: ann.id });
  const purchaseRefund = await nextMinute(() =>
    refundPurchase(url, grocerToken, {
      idempotencyKey: randomUUID(),
      storeId: north().id,
      receiptId: 'R-CAT',
      amount: '1000',
    }),
  );
  expect(purchaseRefund.data?.refundPurchase?.points).toBe('10');
  atGrocer.push({ id: purchaseRefund.data!.refundPurchase!.transactionId, memberId: cat.id });
  const burnRefund = await nextMinute(() =>
    refundBurn(url, grocerToken, {
      idempotencyKey: randomUUID(),
      transactionId: annBurn,
      points: '5',
    }),
  );
  expect(burnRefund.data?.refundBurn?.points).toBe('5');
  atGrocer.push({ id: burnRefund.data!.refundBurn!.transactionId, memberId: ann.id });

  await clock.freezeAt(dayTwo);
  atCafe.push(await nextMinute(() => earnAt(cafeToken, cat, cafe.stores[0]!.id, 10)));
  await grocerEarn(dan, south().id, 60);
});

afterAll(async () => {
  await clock?.thaw();
  await memberDb?.close();
  await network?.stop();
});

describe("a partner's transactions", () => {
  it('lists its own stores’ earns, burns and refunds newest first, page by page, and nothing of another partner', async () => {
    const { nodes, pages } = await allTransactions(grocerToken, grocer.id, { first: 3 });

    expect(pages).toBe(3);
    expect(ids(nodes)).toEqual(grocerTransactions(7, 6, 5, 4, 3, 2, 1));
    expect(ids(nodes).filter((id) => atCafe.includes(id))).toEqual([]);
    expect(nodes.map((node) => [node.kind, node.points, node.store?.name ?? null])).toEqual([
      ['EARN', '60', 'South'],
      ['REFUND', '5', null],
      ['REFUND', '10', 'North'],
      ['BURN', '25', 'North'],
      ['EARN', '30', 'North'],
      ['EARN', '50', 'South'],
      ['EARN', '100', 'North'],
    ]);
    expect(nodes[2]).toMatchObject({ receiptId: null, reversesId: grocerTransactions(3)[0] });
    expect(nodes[4]).toMatchObject({
      receiptId: 'R-CAT',
      reversesId: null,
      rulesVersion: 1,
      createdAt: iso(after(dayOne, 3 * MINUTE_MS)),
    });
  });

  it('names the member only where the member linked the partner, never because they linked another', async () => {
    const { nodes } = await allTransactions(grocerToken, grocer.id);

    expect(nodes.map((node) => node.member)).toEqual([
      null, // Dan linked nobody
      { id: ann.id, cardNumber: ann.cardNumber, name: ann.name },
      { id: cat.id, cardNumber: cat.cardNumber, name: cat.name },
      { id: ann.id, cardNumber: ann.cardNumber, name: ann.name },
      { id: cat.id, cardNumber: cat.cardNumber, name: cat.name },
      null, // Ben linked Cafe only
      { id: ann.id, cardNumber: ann.cardNumber, name: ann.name },
    ]);
  });

  it('stops naming a member who withdraws consent', async () => {
    const unlink = await gql(
      url,
      'mutation U($m: ID!, $p: ID!) { unlinkPartner(memberId: $m, partnerId: $p) { id } }',
      { m: cat.id, p: grocer.id },
    );
    expect(unlink.errors).toBeUndefined();
    try {
      const { nodes } = await allTransactions(grocerToken, grocer.id);
      expect(nodes.map((node) => node.member?.id ?? null)).toEqual([
        null,
        ann.id,
        null,
        ann.id,
        null,
        null,
        ann.id,
      ]);
    } finally {
      await linkPartner(url, cat.id, grocer.id);
    }
  });

  it.each<[string, () => TransactionArgs, number[]]>([
    ['one store', () => ({ storeId: south().id }), [7, 2]],
    ['one store and one kind', () => ({ storeId: north().id, kinds: ['EARN'] }), [3, 1]],
    ['burns and refunds', () => ({ kinds: ['BURN', 'REFUND'] }), [6, 5, 4]],
    ['an empty list of kinds', () => ({ kinds: [] }), []],
    ['day 2 on', () => ({ from: iso(dayTwo) }), [7]],
    ['up to day 2', () => ({ to: iso(dayTwo) }), [6, 5, 4, 3, 2, 1]],
    [
      '[the burn, the burn refund): from is in, to is out',
      () => ({ from: iso(after(dayOne, 7 * MINUTE_MS)), to: iso(after(dayOne, 9 * MINUTE_MS)) }),
      [5, 4],
    ],
    ['a store of another partner', () => ({ storeId: cafe.stores[0]!.id }), []],
  ])('filters by %s', async (_, args, expected) => {
    const { nodes } = await allTransactions(grocerToken, grocer.id, { first: 2, ...args() });
    expect(ids(nodes)).toEqual(grocerTransactions(...expected));
  });

  it('shows an operator every member', async () => {
    const { nodes } = await allTransactions(operatorToken(), grocer.id, { first: 100 });
    expect(nodes.map((node) => node.member?.id)).toEqual([
      dan.id,
      ann.id,
      cat.id,
      ann.id,
      cat.id,
      ben.id,
      ann.id,
    ]);
    expect(nodes.map((node) => node.member?.name)).toEqual([
      dan.name,
      ann.name,
      cat.name,
      ann.name,
      cat.name,
      ben.name,
      ann.name,
    ]);
  });
});

describe("a partner's points for a period", () => {
  const zeros = {
    pointsIssued: '0',
    earnCount: 0,
    pointsRedeemed: '0',
    burnCount: 0,
    pointsClawedBack: '0',
    purchaseRefundCount: 0,
    pointsGivenBack: '0',
    burnRefundCount: 0,
    netPointsIssued: '0',
    netPointsRedeemed: '0',
    transactionCount: 0,
  };

  it.each<[string, () => [Date, Date], Record<string, unknown>]>([
    [
      'day 1',
      () => [dayOne, dayTwo],
      {
        pointsIssued: '180',
        earnCount: 3,
        pointsRedeemed: '25',
        burnCount: 1,
        pointsClawedBack: '10',
        purchaseRefundCount: 1,
        pointsGivenBack: '5',
        burnRefundCount: 1,
        netPointsIssued: '170',
        netPointsRedeemed: '20',
        transactionCount: 6,
      },
    ],
    [
      'day 2',
      () => [dayTwo, dayThree],
      { ...zeros, pointsIssued: '60', earnCount: 1, netPointsIssued: '60', transactionCount: 1 },
    ],
    [
      'both days',
      () => [dayOne, dayThree],
      {
        pointsIssued: '240',
        earnCount: 4,
        pointsRedeemed: '25',
        burnCount: 1,
        pointsClawedBack: '10',
        purchaseRefundCount: 1,
        pointsGivenBack: '5',
        burnRefundCount: 1,
        netPointsIssued: '230',
        netPointsRedeemed: '20',
        transactionCount: 7,
      },
    ],
    ['the day before', () => [after(dayOne, -DAY_MS), dayOne], zeros],
    [
      'a period ending just before the refund of the burn',
      () => [dayOne, after(dayOne, 9 * MINUTE_MS)],
      { pointsGivenBack: '0', burnRefundCount: 0, netPointsRedeemed: '25', transactionCount: 5 },
    ],
  ])(
    'adds up Grocer’s issued, redeemed and reversed points for %s',
    async (_, period, expected) => {
      const [from, to] = period();
      const response = await totalsOf(grocerToken, grocer.id, from, to);
      expect(response.errors).toBeUndefined();
      expect(response.data?.partner?.pointsSummary).toMatchObject({
        from: iso(from),
        to: iso(to),
        ...expected,
      });
    },
  );

  it("adds up another partner's own points apart", async () => {
    const dayOneAtCafe = await totalsOf(cafeToken, cafe.id, dayOne, dayTwo);
    expect(dayOneAtCafe.data?.partner?.pointsSummary).toMatchObject({
      pointsIssued: '60',
      earnCount: 2,
      pointsRedeemed: '10',
      burnCount: 1,
      transactionCount: 3,
    });
  });
});

describe("a partner's member reach", () => {
  it.each<
    [
      string,
      () => OnboardedPartner,
      () => [Date, Date],
      { members: number; membersAlsoElsewhere: number },
    ]
  >([
    // Ann, Ben and Cat at Grocer; Ann (earn) and Ben (burn) at Cafe as well, Cat only on day 2.
    [
      'Grocer on day 1',
      () => grocer,
      () => [dayOne, dayTwo],
      { members: 3, membersAlsoElsewhere: 2 },
    ],
    // Dan at Grocer; his day-1 earn at Cafe is outside the period, Cat's day-2 one is not his.
    [
      'Grocer on day 2',
      () => grocer,
      () => [dayTwo, dayThree],
      { members: 1, membersAlsoElsewhere: 0 },
    ],
    [
      'Grocer over both days',
      () => grocer,
      () => [dayOne, dayThree],
      { members: 4, membersAlsoElsewhere: 4 },
    ],
    ['Cafe on day 1', () => cafe, () => [dayOne, dayTwo], { members: 3, membersAlsoElsewhere: 2 }],
    [
      'Grocer on the day before',
      () => grocer,
      () => [after(dayOne, -DAY_MS), dayOne],
      { members: 0, membersAlsoElsewhere: 0 },
    ],
  ])('counts %s', async (_, partner, period, expected) => {
    const [from, to] = period();
    const response = await totalsOf(operatorToken(), partner().id, from, to);
    expect(response.errors).toBeUndefined();
    expect(response.data?.partner?.memberReach).toEqual({
      from: iso(from),
      to: iso(to),
      ...expected,
    });
  });

  it('tells the partner itself how many members, but not how many shop elsewhere, among fewer than 10', async () => {
    const response = await totalsOf(grocerToken, grocer.id, dayOne, dayTwo);
    expect(response.data?.partner?.memberReach).toEqual({
      from: iso(dayOne),
      to: iso(dayTwo),
      members: 3,
      membersAlsoElsewhere: null,
    });
  });
});

describe('who sees a partner’s views', () => {
  const ALL_VIEWS = `ledgerTransactions { edges { cursor } } pointsSummary(from: $from, to: $to) { pointsIssued } memberReach(from: $from, to: $to) { members }`;

  it('refuses another partner: through the gateway it cannot even see the partner, and straight at the member service it gets nulls', async () => {
    const viaGateway = await gql<{ partner: unknown }>(
      url,
      `query P($id: ID!, $from: DateTime!, $to: DateTime!) { partner(id: $id) { ${ALL_VIEWS} } }`,
      { id: grocer.id, from: iso(dayOne), to: iso(dayTwo) },
      cafeToken,
    );
    expect(viaGateway.errors).toBeUndefined();
    expect(viaGateway.data?.partner).toBeNull();

    const direct = await gql<{ _entities: unknown[] }>(
      `${network.services.member.url}/graphql`,
      `query E($r: [_Any!]!, $from: DateTime!, $to: DateTime!) { _entities(representations: $r) { ... on Partner { id ${ALL_VIEWS} } } }`,
      {
        r: [
          { __typename: 'Partner', id: grocer.id },
          { __typename: 'Partner', id: 'not-an-id' },
        ],
        from: iso(dayOne),
        to: iso(dayTwo),
      },
      cafeToken,
    );
    expect(direct.errors).toBeUndefined();
    expect(direct.data?._entities).toEqual([
      { id: grocer.id, ledgerTransactions: null, pointsSummary: null, memberReach: null },
      null,
    ]);
  });

  it("gives the partner's own terminal the partner but not its views", async () => {
    const response = await gql<{ partner: unknown }>(
      url,
      `query P($id: ID!, $from: DateTime!, $to: DateTime!) { partner(id: $id) { name ${ALL_VIEWS} } }`,
      { id: grocer.id, from: iso(dayOne), to: iso(dayTwo) },
      grocerTerminal,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.partner).toEqual({
      name: 'Views Grocer',
      ledgerTransactions: null,
      pointsSummary: null,
      memberReach: null,
    });
  });

  it('gives a member the partners they linked, but not their views', async () => {
    const token = tokenFor({ role: 'member', sub: `member:${ann.id}`, memberId: ann.id });
    const response = await gql<{ me: { linkedPartners: unknown[] } }>(
      url,
      `query M($from: DateTime!, $to: DateTime!) { me { linkedPartners { id ${ALL_VIEWS} } } }`,
      { from: iso(dayOne), to: iso(dayTwo) },
      token,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.me.linkedPartners).toEqual(
      [grocer, cafe].map((partner) => ({
        id: partner.id,
        ledgerTransactions: null,
        pointsSummary: null,
        memberReach: null,
      })),
    );
  });

  it("shows an operator every partner's views, in one request for a list of partners", async () => {
    const response = await gql<{
      partners: {
        edges: {
          node: {
            id: string;
            pointsSummary: { pointsIssued: string };
            memberReach: { members: number };
          };
        }[];
      };
    }>(
      url,
      'query P($from: DateTime!, $to: DateTime!) { partners(first: 100) { edges { node { id pointsSummary(from: $from, to: $to) { pointsIssued } memberReach(from: $from, to: $to) { members } } } } }',
      { from: iso(dayOne), to: iso(dayTwo) },
    );
    expect(response.errors).toBeUndefined();
    const byId = new Map(response.data!.partners.edges.map((edge) => [edge.node.id, edge.node]));
    expect(byId.get(grocer.id)).toMatchObject({
      pointsSummary: { pointsIssued: '180' },
      memberReach: { members: 3 },
    });
    expect(byId.get(cafe.id)).toMatchObject({
      pointsSummary: { pointsIssued: '60' },
      memberReach: { members: 3 },
    });
  });
});

describe('bad arguments are refused with BAD_USER_INPUT naming the field', () => {
  const days = (n: number) => n * DAY_MS;

  const SUMMARY_OF = 'pointsSummary(from: $from, to: $to) { pointsIssued }';
  const REACH_OF = 'memberReach(from: $from, to: $to) { members }';
  const LIST_OF = 'ledgerTransactions(from: $from, to: $to) { edges { cursor } }';

  it.each<[string, string, () => [Date, Date], string]>([
    ['an empty period', SUMMARY_OF, () => [dayOne, dayOne], 'from'],
    ['a period that ends before it starts', SUMMARY_OF, () => [dayTwo, dayOne], 'from'],
    [
      'a summary over 366 days and a millisecond',
      SUMMARY_OF,
      () => [dayOne, after(dayOne, days(366) + 1)],
      'to',
    ],
    ['a reach over 367 days', REACH_OF, () => [dayOne, after(dayOne, days(367))], 'to'],
    ['a list filter that ends before it starts', LIST_OF, () => [dayTwo, dayOne], 'from'],
  ])('refuses %s', async (_, selection, period, named) => {
    const [from, to] = period();
    // The totals require both ends of the period; the list takes either.
    const type = selection === LIST_OF ? 'DateTime' : 'DateTime!';
    const response = await gql(
      url,
      `query P($id: ID!, $from: ${type}, $to: ${type}) { partner(id: $id) { ${selection} } }`,
      { id: grocer.id, from: iso(from), to: iso(to) },
      grocerToken,
    );
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.extensions?.field).toBe(named);
  });

  it.each<[string, TransactionArgs, string]>([
    ['a malformed store id', { storeId: 'store-1' }, 'storeId'],
    ['a negative page size', { first: -1 }, 'first'],
    ['a page over the maximum', { first: 101 }, 'first'],
    ['a cursor the API never gave', { after: 'bm90LWEtY3Vyc29y' }, 'after'],
  ])('refuses a list with %s', async (_, args, named) => {
    const response = await transactionsOf(grocerToken, grocer.id, args);
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.extensions?.field).toBe(named);
  });

  it('accepts a period of exactly 366 days', async () => {
    const response = await totalsOf(grocerToken, grocer.id, after(dayTwo, -days(366)), dayTwo);
    expect(response.errors).toBeUndefined();
    expect(response.data?.partner?.pointsSummary).toMatchObject({
      pointsIssued: '180',
      transactionCount: 6,
    });
  });
});

/** Statements a member service sent to the ledger while some work ran. */
async function ledgerReadsDuring(
  statements: string[],
  work: () => Promise<GraphQLResponse<{ _entities: unknown[] }>>,
) {
  const from = statements.length;
  const response = await work();
  return {
    response,
    reads: statements.slice(from).filter((sql) => /\bledger_transaction\b/.test(sql)),
  };
}

describe('a list of partners costs one query per view, however many partners', () => {
  const statements: string[] = [];
  let service: RunningService;

  beforeAll(async () => {
    // A second member service on the same database, in this process, so that its statements can be counted.
    service = await startMemberService(
      loadMemberConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: '0',
        JWT_KEYS_DIR: keysDir(),
        DATABASE_URL: network.databaseUrls.member,
        PARTNER_FEED_URL: `${network.services['partner-merchant'].url}/feed`,
        EXPIRY_INTERVAL_MS: '600000',
      }),
      { onQuery: (sql) => statements.push(sql) },
    );
  });

  afterAll(async () => {
    await service?.stop();
  });

  it.each([1, 2])('answers %i Partner references with three ledger reads', async (count) => {
    const partners = [grocer, cafe].slice(0, count);
    const { response, reads } = await ledgerReadsDuring(statements, () =>
      gql(
        `${service.url}/graphql`,
        `query E($r: [_Any!]!, $from: DateTime!, $to: DateTime!) { _entities(representations: $r) { ... on Partner {
           ledgerTransactions(first: 2) { edges { node { id } } } pointsSummary(from: $from, to: $to) { pointsIssued } memberReach(from: $from, to: $to) { members } } } }`,
        {
          r: partners.map((partner) => ({ __typename: 'Partner', id: partner.id })),
          from: iso(dayOne),
          to: iso(dayTwo),
        },
      ),
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?._entities).toEqual(
      [
        {
          ledgerTransactions: { edges: grocerTransactions(7, 6).map((id) => ({ node: { id } })) },
          pointsSummary: { pointsIssued: '180' },
          memberReach: { members: 3 },
        },
        {
          ledgerTransactions: {
            edges: [...atCafe]
              .reverse()
              .slice(0, 2)
              .map((id) => ({ node: { id } })),
          },
          pointsSummary: { pointsIssued: '60' },
          memberReach: { members: 3 },
        },
      ].slice(0, count),
    );
    expect(reads, reads.join('\n')).toHaveLength(3);
  });
});
