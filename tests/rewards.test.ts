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
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres';
import { startRestartableNetwork, type RestartableNetwork } from './support/restartable-network';
import { openDatabase, type Database } from './support/sql';
import { earn, earnInput, walletOf } from './support/wallet';

/**
 * The reward catalogue end to end through the gateway: a partner's rewards, who may change them
 * and who sees their stock; ordering one, which burns the member's points through the wallet
 * with a synchronous call from the partner service to the member service (docs/architecture.md,
 * Event feeds: the one synchronous call), idempotently, with its refusals and with the member service down. The suite runs
 * on a Postgres of its own because it stops and restarts the member service
 * (tests/support/restartable-network.ts).
 */

let postgres: PrivatePostgres;
let network: RestartableNetwork;
let url: string;
let memberDb: Database;
let partnerDb: Database;
let settlementDb: Database;
let shop: OnboardedPartner;
let rival: OnboardedPartner;

const partnerToken = (partnerId: string) =>
  tokenFor({ role: 'partner', sub: `pc_rewards${partnerId.slice(0, 8)}`, partnerId });
const memberToken = (memberId: string) =>
  tokenFor({ role: 'member', sub: `member:${memberId}`, memberId });
const serviceToken = (service: string) => tokenFor({ role: 'service', sub: `service:${service}` });
const unique = (name: string) => `${name} ${randomUUID().slice(0, 6)}`;

const REWARD = 'id name description kind pointsCost inStock stock active';
const ORDER =
  'id memberId points status failureCode voucherCode burnTransactionId reward { id name stock inStock }';

interface RewardView {
  id: string;
  name: string;
  description: string;
  kind: 'ITEM' | 'VOUCHER';
  pointsCost: string;
  inStock: boolean;
  stock: number | null;
  active: boolean;
}

interface OrderView {
  id: string;
  memberId: string;
  points: string;
  status: 'PENDING' | 'CONFIRMED' | 'FAILED';
  failureCode: string | null;
  voucherCode: string | null;
  burnTransactionId: string | null;
  reward: { id: string; name: string; stock: number | null; inStock: boolean };
}

const createReward = (
  partnerId: string,
  input: Record<string, unknown>,
  token = partnerToken(partnerId),
) =>
  gql<{ createReward: RewardView }>(
    url,
    `mutation C($p: ID!, $i: CreateRewardInput!) { createReward(partnerId: $p, input: $i) { ${REWARD} } }`,
    { p: partnerId, i: input },
    token,
  );

const updateReward = (rewardId: string, input: Record<string, unknown>, token: string) =>
  gql<{ updateReward: RewardView }>(
    url,
    `mutation U($r: ID!, $i: UpdateRewardInput!) { updateReward(rewardId: $r, input: $i) { ${REWARD} } }`,
    { r: rewardId, i: input },
    token,
  );

const restock = (rewardId: string, quantity: number, token: string) =>
  gql<{ restockReward: RewardView }>(
    url,
    `mutation R($r: ID!, $q: Int!) { restockReward(rewardId: $r, quantity: $q) { ${REWARD} } }`,
    { r: rewardId, q: quantity },
    token,
  );

const orderReward = (
  token: string,
  input: { idempotencyKey: string; rewardId: string; memberId: string },
) =>
  gql<{ orderReward: OrderView }>(
    url,
    `mutation O($i: OrderRewardInput!) { orderReward(input: $i) { ${ORDER} } }`,
    { i: input },
    token,
  );

async function catalogue(partnerId: string, token: string): Promise<RewardView[]> {
  const response = await gql<{ rewards: { edges: { node: RewardView }[] } }>(
    url,
    `query Q($p: ID!) { rewards(partnerId: $p, first: 50) { edges { node { ${REWARD} } } } }`,
    { p: partnerId },
    token,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.rewards.edges.map((edge) => edge.node);
}

/** The partner's own view: every reward, inactive ones too, with exact stock. */
async function ownRewards(
  partnerId: string,
  token = partnerToken(partnerId),
): Promise<RewardView[] | null> {
  const response = await gql<{
    partner: { rewards: { edges: { node: RewardView }[] } | null } | null;
  }>(
    url,
    `query P($p: ID!) { partner(id: $p) { rewards(first: 50, includeInactive: true) { edges { node { ${REWARD} } } } } }`,
    { p: partnerId },
    token,
  );
  expect(response.errors).toBeUndefined();
  return response.data?.partner?.rewards?.edges.map((edge) => edge.node) ?? null;
}

async function rewardNamed(partnerId: string, rewardId: string): Promise<RewardView> {
  const found = (await ownRewards(partnerId))?.find((reward) => reward.id === rewardId);
  expect(found).toBeDefined();
  return found!;
}

async function ordersOf(memberId: string, token = memberToken(memberId)): Promise<OrderView[]> {
  const response = await gql<{ rewardOrders: { edges: { node: OrderView }[] } }>(
    url,
    `query O($m: ID!) { rewardOrders(memberId: $m, first: 50) { edges { node { ${ORDER} } } } }`,
    { m: memberId },
    token,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.rewardOrders.edges.map((edge) => edge.node);
}

const orderNamed = async (memberId: string, orderId: string) =>
  (await ordersOf(memberId)).find((order) => order.id === orderId);

/** A member who linked the shop and earned `points` there (spendable at once: no return window). */
async function memberWith(points: number): Promise<string> {
  const member = await enrolMember(url, unique('Reward Member'));
  const response = await earn(
    url,
    partnerToken(shop.id),
    earnInput({ memberId: member.id, storeId: shop.stores[0]!.id, total: `${points * 100}` }),
  );
  expect(response.errors).toBeUndefined();
  expect(response.data?.earnPoints.pointsEarned).toBe(String(points));
  return member.id;
}

const available = async (memberId: string) =>
  (await walletOf(url, operatorToken(), memberId))!.available;

/** The BURN transactions the wallet wrote for an order. */
const burnsOf = (orderId: string) =>
  memberDb.rows<{
    id: string;
    partner_id: string;
    store_id: string | null;
    points: string;
    details: Record<string, unknown>;
  }>(
    `SELECT id, partner_id, store_id, points, details FROM ledger_transaction WHERE kind = 'BURN' AND details ->> 'orderId' = $1`,
    [orderId],
  );

async function newReward(
  input: Partial<{
    name: string;
    kind: string;
    pointsCost: string;
    stock: number | null;
    active: boolean;
  }> = {},
  partnerId = shop.id,
): Promise<RewardView> {
  const response = await createReward(partnerId, {
    name: unique('Reward'),
    kind: 'ITEM',
    pointsCost: '300',
    ...input,
  });
  expect(response.errors).toBeUndefined();
  return response.data!.createReward;
}

const order = (
  memberId: string,
  rewardId: string,
  idempotencyKey = randomUUID(),
  token = memberToken(memberId),
) => orderReward(token, { idempotencyKey, rewardId, memberId });

beforeAll(async () => {
  postgres = await startPrivatePostgres('rewards');
  network = await startRestartableNetwork(postgres, 'rewards');
  url = network.graphqlUrl;
  memberDb = openDatabase(network.databaseUrls.member);
  partnerDb = openDatabase(network.databaseUrls['partner-merchant']);
  settlementDb = openDatabase(network.databaseUrls.settlement);
  shop = await onboardPartner(url, 'Reward Shop', ['Till'], undefined, {
    returnWindowDays: 0,
    burnPointsMax: 5000,
  });
  rival = await onboardPartner(url, 'Rival Shop', ['Counter']);
  // The wallet learns of both partners (and the shop's store) from the partner feed.
  for (const partner of [shop, rival])
    await linkPartner(url, (await enrolMember(url, unique('Probe'))).id, partner.id);
});

afterEach(async () => {
  await expectLedgerClean(network.databaseUrls.member);
});

afterAll(async () => {
  await memberDb?.close();
  await partnerDb?.close();
  await settlementDb?.close();
  await network?.stop();
  await postgres?.destroy();
});

describe('the catalogue', () => {
  it('a partner creates, changes and restocks its rewards; so may an operator', async () => {
    const mug = await newReward({ name: 'Coffee mug', pointsCost: '450', stock: 5 });
    expect(mug).toMatchObject({
      name: 'Coffee mug',
      description: '',
      kind: 'ITEM',
      pointsCost: '450',
      inStock: true,
      stock: 5,
      active: true,
    });
    const ofShop = await gql<{
      rewards: { edges: { node: { partner: { id: string; name: string } } }[] };
    }>(
      url,
      `query Q($p: ID!) { rewards(partnerId: $p, first: 1) { edges { node { partner { id name } } } } }`,
      { p: shop.id },
      operatorToken(),
    );
    expect(ofShop.data?.rewards.edges[0]?.node.partner).toEqual({
      id: shop.id,
      name: 'Reward Shop',
    });
    const voucher = await newReward({
      name: '5 EUR voucher',
      kind: 'VOUCHER',
      pointsCost: '500',
      stock: null,
    });
    expect(voucher).toMatchObject({ kind: 'VOUCHER', stock: null, inStock: true });

    const changed = await updateReward(
      mug.id,
      { name: 'Big coffee mug', description: 'Holds a litre.', pointsCost: '600' },
      partnerToken(shop.id),
    );
    expect(changed.errors).toBeUndefined();
    expect(changed.data?.updateReward).toMatchObject({
      name: 'Big coffee mug',
      description: 'Holds a litre.',
      pointsCost: '600',
      stock: 5,
      active: true,
    });

    expect((await restock(mug.id, 3, partnerToken(shop.id))).data?.restockReward.stock).toBe(8);
    expect((await restock(mug.id, -8, operatorToken())).data?.restockReward).toMatchObject({
      stock: 0,
      inStock: false,
    });
    const belowZero = await restock(mug.id, -1, partnerToken(shop.id));
    expect(codesOf(belowZero)).toEqual(['BAD_USER_INPUT']);
    expect(belowZero.errors?.[0]?.extensions?.field).toBe('quantity');
    expect(codesOf(await restock(voucher.id, 10, partnerToken(shop.id)))).toEqual(['CONFLICT']);
    expect((await rewardNamed(shop.id, mug.id)).stock).toBe(0);

    const operatorMade = await createReward(
      shop.id,
      { name: unique('Operator gift'), kind: 'ITEM', pointsCost: '100', stock: 1, active: false },
      operatorToken(),
    );
    expect(operatorMade.errors).toBeUndefined();
    expect(operatorMade.data?.createReward.active).toBe(false);
  });

  it.each([
    { case: 'an empty name', input: { name: '  ' }, field: 'name' },
    { case: 'a name of 201 characters', input: { name: 'x'.repeat(201) }, field: 'name' },
    {
      case: 'a description of 2001 characters',
      input: { description: 'x'.repeat(2001) },
      field: 'description',
    },
    { case: 'a cost of 0 points', input: { pointsCost: '0' }, field: 'pointsCost' },
    { case: 'a negative cost', input: { pointsCost: '-5' }, field: 'pointsCost' },
    {
      case: "a cost above the coalition's maximum burn",
      input: { pointsCost: '10000001' },
      field: 'pointsCost',
    },
    {
      case: "a cost above the partner's burnPointsMax",
      input: { pointsCost: '5001' },
      field: 'pointsCost',
    },
    { case: 'a negative stock', input: { stock: -1 }, field: 'stock' },
    { case: 'a stock above the maximum', input: { stock: 1_000_001 }, field: 'stock' },
  ])(
    'refuses $case with BAD_USER_INPUT on $field, and writes nothing',
    async ({ input, field }) => {
      const before = (await ownRewards(shop.id))!.length;
      const response = await createReward(shop.id, {
        name: unique('Bad'),
        kind: 'ITEM',
        pointsCost: '100',
        ...input,
      });
      expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.extensions?.field).toBe(field);
      expect((await ownRewards(shop.id))!.length).toBe(before);
    },
  );

  it('refuses a bad change or restock whole, leaving the reward as it was', async () => {
    const reward = await newReward({ name: 'Tote bag', pointsCost: '200', stock: 4 });
    const cases: [GraphQLResponse<unknown>, string | undefined][] = [
      [
        await updateReward(reward.id, { name: 'Renamed', pointsCost: '0' }, partnerToken(shop.id)),
        'pointsCost',
      ],
      [
        await updateReward(
          reward.id,
          { name: 'Renamed', pointsCost: '9999' },
          partnerToken(shop.id),
        ),
        'pointsCost',
      ],
      [await updateReward(reward.id, {}, partnerToken(shop.id)), undefined],
      [await restock(reward.id, 0, partnerToken(shop.id)), 'quantity'],
      [await restock(reward.id, 2_000_000, partnerToken(shop.id)), 'quantity'],
    ];
    for (const [response, field] of cases) {
      expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.extensions?.field).toBe(field);
    }
    expect(await rewardNamed(shop.id, reward.id)).toMatchObject({
      name: 'Tote bag',
      pointsCost: '200',
      stock: 4,
    });
    expect(codesOf(await restock(randomUUID(), 1, operatorToken()))).toEqual(['NOT_FOUND']);
  });

  it('only operators and the partner itself change its catalogue', async () => {
    const reward = await newReward({ stock: 3 });
    const memberId = (await enrolMember(url, unique('Curious')))!.id;
    const strangers = [
      partnerToken(rival.id),
      tokenFor({
        role: 'terminal',
        sub: 'tc_rewards',
        partnerId: shop.id,
        storeId: shop.stores[0]!.id,
      }),
      memberToken(memberId),
    ];
    for (const token of strangers) {
      expect(
        codesOf(
          await createReward(
            shop.id,
            { name: unique('Sneaky'), kind: 'ITEM', pointsCost: '1' },
            token,
          ),
        ),
      ).toEqual(['FORBIDDEN']);
      expect(codesOf(await updateReward(reward.id, { pointsCost: '1' }, token))).toEqual([
        'FORBIDDEN',
      ]);
      expect(codesOf(await restock(reward.id, 100, token))).toEqual(['FORBIDDEN']);
    }
    expect(await rewardNamed(shop.id, reward.id)).toMatchObject({ pointsCost: '300', stock: 3 });
  });

  it('everyone signed in browses the active catalogue and sees whether a reward is in stock; only the partner and operators see how many', async () => {
    const partner = await onboardPartner(url, unique('Catalogue Shop'));
    const plenty = await newReward({ name: 'Plenty', stock: 7 }, partner.id);
    const gone = await newReward({ name: 'Gone', stock: 0 }, partner.id);
    const endless = await newReward({ name: 'Endless', stock: null }, partner.id);
    const hidden = await newReward({ name: 'Hidden', stock: 2, active: false }, partner.id);
    const memberId = (await enrolMember(url, unique('Browser'))).id;

    for (const token of [memberToken(memberId), partnerToken(rival.id)]) {
      const seen = await catalogue(partner.id, token);
      expect(seen.map((reward) => reward.name)).toEqual(['Endless', 'Gone', 'Plenty']);
      expect(seen.map((reward) => [reward.inStock, reward.stock])).toEqual([
        [true, null],
        [false, null],
        [true, null],
      ]);
      // Another partner's own view of it is not theirs to have.
      expect(await ownRewards(partner.id, token)).toBeNull();
    }
    const owner = await catalogue(partner.id, partnerToken(partner.id));
    expect(owner.map((reward) => reward.stock)).toEqual([null, 0, 7]);
    const everything = await ownRewards(partner.id, operatorToken());
    expect(everything?.map((reward) => reward.id)).toEqual([
      hidden.id,
      endless.id,
      gone.id,
      plenty.id,
    ]);
    expect(everything?.[0]).toMatchObject({ active: false, stock: 2 });
    expect(await catalogue(randomUUID(), memberToken(memberId))).toEqual([]);
  });
});

describe('ordering a reward', () => {
  it('burns its cost from the member at the partner, at no store, and takes a unit of stock', async () => {
    const memberId = await memberWith(1000);
    const reward = await newReward({ name: 'Cinema ticket', pointsCost: '300', stock: 2 });
    const response = await order(memberId, reward.id);
    expect(response.errors).toBeUndefined();
    const placed = response.data!.orderReward;
    expect(placed).toMatchObject({
      memberId,
      points: '300',
      status: 'CONFIRMED',
      failureCode: null,
      voucherCode: null,
      reward: { id: reward.id, stock: null, inStock: true },
    });
    expect(await available(memberId)).toBe('700');
    expect((await rewardNamed(shop.id, reward.id)).stock).toBe(1);

    // The wallet's BURN names the reward and the order; the member's history shows it at the shop.
    const burns = await burnsOf(placed.id);
    expect(burns).toHaveLength(1);
    expect(burns[0]).toMatchObject({
      id: placed.burnTransactionId,
      partner_id: shop.id,
      store_id: null,
      points: '300',
      details: { rewardId: reward.id, orderId: placed.id, holdId: null },
    });
    const history = await gql<{
      me: {
        history: {
          edges: {
            node: {
              id: string;
              kind: string;
              points: string;
              partner: { id: string; name: string } | null;
              store: { id: string } | null;
            };
          }[];
        };
      };
    }>(
      url,
      '{ me { history(first: 5) { edges { node { id kind points partner { id name } store { id } } } } } }',
      {},
      memberToken(memberId),
    );
    expect(history.errors).toBeUndefined();
    expect(history.data?.me.history.edges[0]?.node).toEqual({
      id: placed.burnTransactionId,
      kind: 'BURN',
      points: '300',
      partner: { id: shop.id, name: 'Reward Shop' },
      store: null,
    });

    // The fact settlement pays the partner by: a burn at the partner like a till's, without store or hold.
    const fact = await eventually(
      async () => {
        const page = (await (
          await fetch(`${network.services.member.url}/feed?after=0.0&limit=500`, {
            headers: { authorization: `Bearer ${operatorToken()}` },
          })
        ).json()) as { facts: { type: string; payload: Record<string, unknown> }[] };
        return page.facts.find(
          (f) => f.type === 'points.burned' && f.payload.transactionId === placed.burnTransactionId,
        );
      },
      15_000,
      'the points.burned fact',
    );
    expect(fact.payload).toMatchObject({
      memberId,
      partnerId: shop.id,
      storeId: null,
      holdId: null,
      points: '300',
    });
    const redeemed = await eventually(
      async () => {
        const rows = await settlementDb.rows<{
          kind: string;
          partner_id: string;
          issuer_partner_id: string | null;
          points: string;
        }>(
          'SELECT kind, partner_id, issuer_partner_id, points FROM settlement_item WHERE transaction_id = $1',
          [placed.burnTransactionId],
        );
        return rows.length > 0 ? rows : undefined;
      },
      15_000,
      'settlement to take in the burn',
    );
    expect(redeemed).toEqual([
      { kind: 'REDEMPTION', partner_id: shop.id, issuer_partner_id: shop.id, points: '300' },
    ]);

    const mine = await ordersOf(memberId);
    expect(mine.map((o) => [o.id, o.status])).toEqual([[placed.id, 'CONFIRMED']]);
  });

  it('gives a voucher a code the member and operators see, and the partner does not', async () => {
    const memberId = await memberWith(800);
    const voucher = await newReward({
      name: 'Spa voucher',
      kind: 'VOUCHER',
      pointsCost: '500',
      stock: null,
    });
    const response = await order(memberId, voucher.id);
    expect(response.errors).toBeUndefined();
    const code = response.data!.orderReward.voucherCode;
    expect(code).toMatch(/^[A-Z2-7]{12}$/);
    expect((await orderNamed(memberId, response.data!.orderReward.id))?.voucherCode).toBe(code);
    expect((await ordersOf(memberId, operatorToken()))[0]?.voucherCode).toBe(code);
    const atPartner = await gql<{ partner: { rewardOrders: { edges: { node: OrderView }[] } } }>(
      url,
      `query P($p: ID!) { partner(id: $p) { rewardOrders(first: 50) { edges { node { ${ORDER} } } } } }`,
      { p: shop.id },
      partnerToken(shop.id),
    );
    const seenByPartner = atPartner.data?.partner.rewardOrders.edges.find(
      (edge) => edge.node.id === response.data!.orderReward.id,
    )?.node;
    expect(seenByPartner).toMatchObject({ status: 'CONFIRMED', points: '500', voucherCode: null });
    expect(await available(memberId)).toBe('300');
  });

  it('redeems a voucher at the till once, and only at the partner it belongs to', async () => {
    const memberId = await memberWith(800);
    const voucher = await newReward({
      name: 'Cinema voucher',
      kind: 'VOUCHER',
      pointsCost: '500',
      stock: null,
    });
    const code = (await order(memberId, voucher.id)).data!.orderReward.voucherCode!;
    const till = shop.stores[0]!.id;
    const redeem = (token: string, typed: string, storeId: string) =>
      gql<{
        redeemVoucher: {
          status: string;
          redeemedAt: string | null;
          redeemedStore: { id: string } | null;
        };
      }>(
        url,
        'mutation R($c: String!, $s: ID!) { redeemVoucher(code: $c, storeId: $s) { status redeemedAt redeemedStore { id } } }',
        { c: typed, s: storeId },
        token,
      );
    // Another partner learns nothing: not even that the code exists.
    expect(codesOf(await redeem(partnerToken(rival.id), code, rival.stores[0]!.id))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codesOf(await redeem(memberToken(memberId), code, till))).toEqual(['FORBIDDEN']);
    expect(codesOf(await redeem(partnerToken(shop.id), 'NOT-A-CODE', till))).toEqual([
      'BAD_USER_INPUT',
    ]);
    // The shop's till, as the member reads it out: in groups, in lower case.
    const terminal = tokenFor({
      role: 'terminal',
      sub: 'tc_rewards_till',
      partnerId: shop.id,
      storeId: till,
    });
    const redeemed = await redeem(
      terminal,
      `${code.slice(0, 4)}-${code.slice(4, 8)} ${code.slice(8).toLowerCase()}`,
      till,
    );
    expect(redeemed.errors).toBeUndefined();
    expect(redeemed.data?.redeemVoucher).toMatchObject({
      status: 'CONFIRMED',
      redeemedStore: { id: till },
    });
    const again = await redeem(partnerToken(shop.id), code, till);
    expect(codesOf(again)).toEqual(['VOUCHER_ALREADY_REDEEMED']);
    expect(again.errors?.[0]?.extensions?.redeemedAt).toBe(redeemed.data?.redeemVoucher.redeemedAt);
  });

  it('replays the same order for the same key, at once or later, and burns once', async () => {
    const memberId = await memberWith(1000);
    const reward = await newReward({ pointsCost: '250', stock: 10 });
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => order(memberId, reward.id, key)),
    );
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    const ids = new Set(answers.map((answer) => answer.data!.orderReward.id));
    expect(ids.size).toBe(1);
    const later = await order(memberId, reward.id, key);
    expect(later.data?.orderReward).toEqual(answers[0]!.data!.orderReward);
    expect(await burnsOf(later.data!.orderReward.id)).toHaveLength(1);
    expect(await available(memberId)).toBe('750');
    expect((await rewardNamed(shop.id, reward.id)).stock).toBe(9);

    // The same key for another reward: a conflict, and nothing happens.
    const other = await newReward({ pointsCost: '100', stock: 10 });
    expect(codesOf(await order(memberId, other.id, key))).toEqual(['IDEMPOTENCY_CONFLICT']);
    expect(await available(memberId)).toBe('750');
    expect((await rewardNamed(shop.id, other.id)).stock).toBe(10);
  });

  it('refuses an order out of stock with OUT_OF_STOCK, reserving and burning nothing', async () => {
    const [first, second] = [await memberWith(500), await memberWith(500)];
    const reward = await newReward({ name: 'Last one', pointsCost: '200', stock: 1 });
    expect((await order(first, reward.id)).data?.orderReward.status).toBe('CONFIRMED');
    const key = randomUUID();
    const refused = await order(second, reward.id, key);
    expect(codesOf(refused)).toEqual(['OUT_OF_STOCK']);
    expect(await available(second)).toBe('500');
    expect(await ordersOf(second)).toEqual([]);
    expect(
      (await catalogue(shop.id, memberToken(second))).find((r) => r.id === reward.id)?.inStock,
    ).toBe(false);
    // Nothing was recorded under the key: after a restock the same key orders.
    await restock(reward.id, 1, partnerToken(shop.id));
    expect((await order(second, reward.id, key)).data?.orderReward.status).toBe('CONFIRMED');
    expect(await available(second)).toBe('300');
  });

  it('fails the order with INSUFFICIENT_POINTS when the member is short, gives the stock back, and replays the failure', async () => {
    const memberId = await memberWith(100);
    const reward = await newReward({ pointsCost: '300', stock: 3 });
    const key = randomUUID();
    const refused = await order(memberId, reward.id, key);
    expect(codesOf(refused)).toEqual(['INSUFFICIENT_POINTS']);
    const failed = refused.errors?.[0]?.extensions?.orderId as string;
    expect(await orderNamed(memberId, failed)).toMatchObject({
      status: 'FAILED',
      failureCode: 'INSUFFICIENT_POINTS',
      burnTransactionId: null,
    });
    expect((await rewardNamed(shop.id, reward.id)).stock).toBe(3);
    expect(await burnsOf(failed)).toEqual([]);
    expect(await available(memberId)).toBe('100');

    // Topped up, the same key still says what it said; a new key orders.
    await earn(
      url,
      partnerToken(shop.id),
      earnInput({ memberId, storeId: shop.stores[0]!.id, total: '50000' }),
    );
    expect(codesOf(await order(memberId, reward.id, key))).toEqual(['INSUFFICIENT_POINTS']);
    expect((await order(memberId, reward.id)).data?.orderReward.status).toBe('CONFIRMED');
    expect(await available(memberId)).toBe('300');
    expect((await rewardNamed(shop.id, reward.id)).stock).toBe(2);
  });

  it('is for the member themself or an operator, of an active reward, for a member who exists', async () => {
    const memberId = await memberWith(400);
    const otherId = await memberWith(400);
    const reward = await newReward({ pointsCost: '100', stock: 5 });
    expect(codesOf(await order(memberId, reward.id, randomUUID(), memberToken(otherId)))).toEqual([
      'FORBIDDEN',
    ]);
    expect(codesOf(await order(memberId, reward.id, randomUUID(), partnerToken(shop.id)))).toEqual([
      'FORBIDDEN',
    ]);
    expect(
      codesOf(
        await gql(
          url,
          `query O($m: ID!) { rewardOrders(memberId: $m) { edges { node { id } } } }`,
          { m: memberId },
          memberToken(otherId),
        ),
      ),
    ).toEqual(['FORBIDDEN']);
    expect(
      (await order(memberId, reward.id, randomUUID(), operatorToken())).data?.orderReward.status,
    ).toBe('CONFIRMED');
    expect(await available(memberId)).toBe('300');

    const inactive = await newReward({ pointsCost: '100', active: false });
    expect(codesOf(await order(memberId, inactive.id))).toEqual(['NOT_FOUND']);
    expect(codesOf(await order(memberId, randomUUID()))).toEqual(['NOT_FOUND']);

    // A member the wallet does not know: the wallet refuses, the order fails and its unit comes back.
    const nobody = randomUUID();
    const refused = await order(nobody, reward.id, randomUUID(), operatorToken());
    expect(codesOf(refused)).toEqual(['NOT_FOUND']);
    expect((await ordersOf(nobody, operatorToken()))[0]).toMatchObject({
      status: 'FAILED',
      failureCode: 'NOT_FOUND',
    });
    expect((await rewardNamed(shop.id, reward.id)).stock).toBe(4);
  });

  it('fails with PARTNER_NOT_ACCEPTING at a suspended partner', async () => {
    const partner = await onboardPartner(url, unique('Suspended Shop'));
    const reward = await newReward({ pointsCost: '100', stock: 2 }, partner.id);
    const memberId = await memberWith(400);
    const suspended = await gql(
      url,
      `mutation S($p: ID!) { suspendPartner(partnerId: $p, reason: "unpaid invoices") { status } }`,
      { p: partner.id },
      operatorToken(),
    );
    expect(suspended.errors).toBeUndefined();
    await eventually(
      async () =>
        (
          await memberDb.rows('SELECT 1 FROM partner_replica WHERE id = $1 AND status = $2', [
            partner.id,
            'SUSPENDED',
          ])
        ).length > 0,
      15_000,
      'SUSPENDED at the wallet',
    );
    expect(codesOf(await order(memberId, reward.id))).toEqual(['PARTNER_NOT_ACCEPTING']);
    expect((await ordersOf(memberId))[0]).toMatchObject({
      status: 'FAILED',
      failureCode: 'PARTNER_NOT_ACCEPTING',
    });
    expect((await rewardNamed(partner.id, reward.id)).stock).toBe(2);
    expect(await available(memberId)).toBe('400');
  });
});

describe('when the wallet does not answer in time', () => {
  const memberLock = (memberId: string) => ({
    sql: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
    params: [`member:${memberId}`],
  });

  it(
    'answers SERVICE_UNAVAILABLE past the deadline, and the burn the wallet made after it confirms the order, once',
    { timeout: 60_000 },
    async () => {
      const memberId = await memberWith(1000);
      const reward = await newReward({ name: 'Slow lane', pointsCost: '100', stock: null });
      const key = randomUUID();
      // The member's wallet lock held elsewhere: the burn waits, and the partner service stops waiting first.
      const late = await memberDb.whileHolding([memberLock(memberId)], () =>
        order(memberId, reward.id, key),
      );
      expect(codesOf(late)).toEqual(['SERVICE_UNAVAILABLE']);
      const orderId = String(late.errors?.[0]?.extensions?.orderId);
      const burns = await eventually(
        async () => {
          const found = await burnsOf(orderId);
          return found.length > 0 ? found : undefined;
        },
        15_000,
        'the wallet to finish the burn',
      );
      const retried = await order(memberId, reward.id, key);
      expect(retried.errors).toBeUndefined();
      expect(retried.data?.orderReward).toMatchObject({
        id: orderId,
        status: 'CONFIRMED',
        burnTransactionId: burns[0]!.id,
      });
      expect(await burnsOf(orderId)).toHaveLength(1);
      expect(await available(memberId)).toBe('900');
    },
  );

  it(
    'answers SERVICE_UNAVAILABLE, keeps the order PENDING, and completes it exactly once after the restart',
    { timeout: 120_000 },
    async () => {
      const memberId = await memberWith(1000);
      const reward = await newReward({ name: 'Patience', pointsCost: '200', stock: 5 });
      const [jobKey, retryKey] = [randomUUID(), randomUUID()];

      await network.services.member.stop();
      const byJob = await order(memberId, reward.id, jobKey);
      expect(codesOf(byJob)).toEqual(['SERVICE_UNAVAILABLE']);
      const byRetry = await order(memberId, reward.id, retryKey);
      expect(codesOf(byRetry)).toEqual(['SERVICE_UNAVAILABLE']);
      const orderIdOf = (response: GraphQLResponse<unknown>) =>
        String(response.errors?.[0]?.extensions?.orderId);
      const [jobOrder, retryOrder] = [orderIdOf(byJob), orderIdOf(byRetry)];
      const pending = await partnerDb.rows<{ id: string; status: string }>(
        'SELECT id, status FROM reward_order WHERE id = ANY($1::uuid[]) ORDER BY created_at',
        [[jobOrder, retryOrder]],
      );
      expect(pending).toEqual([
        { id: jobOrder, status: 'PENDING' },
        { id: retryOrder, status: 'PENDING' },
      ]);
      expect((await rewardNamed(shop.id, reward.id)).stock).toBe(3);
      // While it is down a retry says the same, and nothing is reserved twice.
      expect(codesOf(await order(memberId, reward.id, retryKey))).toEqual(['SERVICE_UNAVAILABLE']);
      expect((await rewardNamed(shop.id, reward.id)).stock).toBe(3);

      await network.restartMember();
      // The caller retries one order under its key; the partner service's job completes the other.
      const retried = await order(memberId, reward.id, retryKey);
      expect(retried.errors).toBeUndefined();
      expect(retried.data?.orderReward).toMatchObject({ id: retryOrder, status: 'CONFIRMED' });
      const completed = await eventually(
        async () => {
          const found = await orderNamed(memberId, jobOrder);
          return found?.status === 'CONFIRMED' ? found : undefined;
        },
        60_000,
        'the retry job to confirm the order',
      );
      expect(completed.burnTransactionId).not.toBeNull();
      const replayed = await order(memberId, reward.id, jobKey);
      expect(replayed.data?.orderReward).toMatchObject({
        id: jobOrder,
        status: 'CONFIRMED',
        burnTransactionId: completed.burnTransactionId,
      });

      for (const orderId of [jobOrder, retryOrder]) expect(await burnsOf(orderId)).toHaveLength(1);
      expect(await available(memberId)).toBe('600');
      expect((await rewardNamed(shop.id, reward.id)).stock).toBe(3);
    },
  );
});

describe('the internal redemption route', () => {
  const redeem = (body: unknown, token: string | null) =>
    fetch(`${network.services.member.url}/internal/reward-redemptions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });

  it('answers only the partner service, and checks what it is sent', async () => {
    const memberId = await memberWith(300);
    const body = {
      orderId: randomUUID(),
      memberId,
      partnerId: shop.id,
      rewardId: randomUUID(),
      points: '100',
    };
    expect((await redeem(body, null)).status).toBe(401);
    expect((await redeem(body, 'not-a-token')).status).toBe(401);
    for (const token of [
      memberToken(memberId),
      operatorToken(),
      partnerToken(shop.id),
      serviceToken('settlement'),
      serviceToken('member'),
    ]) {
      expect((await redeem(body, token)).status).toBe(403);
    }
    for (const bad of [
      { ...body, points: '0' },
      { ...body, points: 100 },
      { ...body, orderId: 'order-1' },
      { ...body, extra: true },
      {},
    ]) {
      const response = await redeem(bad, serviceToken('partner-merchant'));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'BAD_USER_INPUT',
      );
    }
    expect(await available(memberId)).toBe('300');
  });

  it("replays an order's burn for its id, and refuses the id for another redemption", async () => {
    const memberId = await memberWith(600);
    const reward = await newReward({ pointsCost: '150', stock: null });
    const placed = (await order(memberId, reward.id)).data!.orderReward;
    const body = {
      orderId: placed.id,
      memberId,
      partnerId: shop.id,
      rewardId: reward.id,
      points: '150',
    };
    const again = await redeem(body, serviceToken('partner-merchant'));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({
      ok: { transactionId: placed.burnTransactionId, points: '150' },
    });
    expect(
      (await redeem({ ...body, points: '151' }, serviceToken('partner-merchant'))).status,
    ).toBe(409);
    expect(await burnsOf(placed.id)).toHaveLength(1);
    expect(await available(memberId)).toBe('450');
  });
});
