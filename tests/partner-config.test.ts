import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiClient,
  enrolMember,
  exchangeClientCredentials,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, gql, operatorToken, tokenFor, type GraphQLResponse } from './support/graphql';
import { factsWhere } from './support/partner-feed';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase, type Database } from './support/sql';

/**
 * Partner configuration end to end through the gateway: the status lifecycle, credential
 * rotation, versioned earn rules, the coalition's tier bonuses and earn simulation; who may do
 * each, and that every change reaches the partner feed.
 */

const DAY_MS = 86_400_000;

let network: TestNetwork;
let url: string;
let partnerDb: Database;

/** The facts of a type about a key, once the feed serves at least `count` of them. */
const factsOf = (type: string, key: string, count = 1) =>
  factsWhere(
    network.services['partner-merchant'].url,
    `${type} for ${key}`,
    (fact) => fact.type === type && fact.key === key,
    count,
  );

const partnerToken = (partnerId: string) =>
  tokenFor({ role: 'partner', sub: `pc_test${partnerId.slice(0, 8)}`, partnerId });
const terminalToken = (partnerId: string, storeId: string) =>
  tokenFor({ role: 'terminal', sub: `tc_test${storeId.slice(0, 8)}`, partnerId, storeId });
const memberToken = (memberId: string) =>
  tokenFor({ role: 'member', sub: `member:${memberId}`, memberId });

const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();
const unique = (name: string) => `${name} ${randomUUID().slice(0, 6)}`;
const fieldOf = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.field;

beforeAll(async () => {
  network = await startTestNetwork('partner_config');
  url = network.graphqlUrl;
  partnerDb = openDatabase(network.databaseUrls['partner-merchant']);
});

afterAll(async () => {
  await partnerDb?.close();
  await network?.stop();
});

describe('the partner status lifecycle', () => {
  let partner: OnboardedPartner;

  const STATUS = 'status earnStopAt burnStopAt';
  const suspend = (token: string, reason = 'unpaid invoices') =>
    gql<{
      suspendPartner: { status: string; earnStopAt: string | null; burnStopAt: string | null };
    }>(
      url,
      `mutation S($p: ID!, $r: MultilineText!) { suspendPartner(partnerId: $p, reason: $r) { ${STATUS} } }`,
      { p: partner.id, r: reason },
      token,
    );
  const reinstate = (token = operatorToken()) =>
    gql<{ reinstatePartner: { status: string; earnStopAt: string | null } }>(
      url,
      `mutation R($p: ID!) { reinstatePartner(partnerId: $p, reason: "paid") { ${STATUS} } }`,
      { p: partner.id },
      token,
    );
  const leave = (earnStopAt: string, burnStopAt: string, token = operatorToken()) =>
    gql<{
      schedulePartnerLeaving: {
        status: string;
        earnStopAt: string | null;
        burnStopAt: string | null;
      };
    }>(
      url,
      `mutation L($p: ID!, $e: DateTime!, $b: DateTime!) { schedulePartnerLeaving(partnerId: $p, earnStopAt: $e, burnStopAt: $b, reason: "contract ends") { ${STATUS} } }`,
      { p: partner.id, e: earnStopAt, b: burnStopAt },
      token,
    );

  beforeAll(async () => {
    partner = await onboardPartner(url, unique('Status Grocer'));
  });

  it('suspends a partner, says so on the feed, and refuses to suspend it twice', async () => {
    const suspended = await suspend(operatorToken());
    expect(suspended.errors).toBeUndefined();
    expect(suspended.data?.suspendPartner).toEqual({
      status: 'SUSPENDED',
      earnStopAt: null,
      burnStopAt: null,
    });
    const [fact] = await factsOf('partner.status-changed', partner.id);
    expect(fact?.payload).toEqual({
      partnerId: partner.id,
      status: 'SUSPENDED',
      earnStopAt: null,
      burnStopAt: null,
      reason: 'unpaid invoices',
    });
    expect(codesOf(await suspend(operatorToken()))).toEqual(['CONFLICT']);
  });

  it('reinstates a suspended partner to ACTIVE', async () => {
    const reinstated = await reinstate();
    expect(reinstated.errors).toBeUndefined();
    expect(reinstated.data?.reinstatePartner).toEqual({
      status: 'ACTIVE',
      earnStopAt: null,
      burnStopAt: null,
    });
    const facts = await factsOf('partner.status-changed', partner.id, 2);
    expect(facts[1]?.payload).toMatchObject({
      status: 'ACTIVE',
      earnStopAt: null,
      burnStopAt: null,
      reason: 'paid',
    });
    expect(codesOf(await reinstate())).toEqual(['CONFLICT']);
  });

  it('schedules a departure with its stop dates, visible to the partner, and clears them on reinstatement', async () => {
    const earnStopAt = inDays(7);
    const burnStopAt = inDays(30);
    const leaving = await leave(earnStopAt, burnStopAt);
    expect(leaving.errors).toBeUndefined();
    expect(leaving.data?.schedulePartnerLeaving).toEqual({
      status: 'LEAVING',
      earnStopAt,
      burnStopAt,
    });
    const facts = await factsOf('partner.status-changed', partner.id, 3);
    expect(facts[2]?.payload).toEqual({
      partnerId: partner.id,
      status: 'LEAVING',
      earnStopAt,
      burnStopAt,
      reason: 'contract ends',
    });

    const seen = await gql<{ partner: { status: string; earnStopAt: string; burnStopAt: string } }>(
      url,
      `query P($id: ID!) { partner(id: $id) { ${STATUS} } }`,
      { id: partner.id },
      partnerToken(partner.id),
    );
    expect(seen.data?.partner).toEqual({ status: 'LEAVING', earnStopAt, burnStopAt });

    // Rescheduling a departure is allowed; then back to ACTIVE, dates cleared.
    const rescheduled = await leave(inDays(14), inDays(60));
    expect(rescheduled.data?.schedulePartnerLeaving.status).toBe('LEAVING');
    expect((await reinstate()).data?.reinstatePartner).toEqual({
      status: 'ACTIVE',
      earnStopAt: null,
      burnStopAt: null,
    });
  });

  it.each([
    ['burn stop before earn stop', () => [inDays(10), inDays(5)], 'burnStopAt'],
    ['earn stop in the past', () => [inDays(-1), inDays(5)], 'earnStopAt'],
    ['earn stop more than two years ahead', () => [inDays(800), inDays(801)], 'earnStopAt'],
    ['burn stop more than two years ahead', () => [inDays(10), inDays(800)], 'burnStopAt'],
  ])(
    'refuses a departure with %s, naming the field and changing nothing',
    async (_case, dates, field) => {
      const [earnStopAt, burnStopAt] = dates();
      const refused = await leave(earnStopAt!, burnStopAt!);
      expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
      expect(fieldOf(refused)).toBe(field);
      const seen = await gql<{ partner: { status: string } }>(
        url,
        `query P($id: ID!) { partner(id: $id) { status } }`,
        { id: partner.id },
      );
      expect(seen.data?.partner.status).toBe('ACTIVE');
    },
  );

  it('lets only operators change a status', async () => {
    const store = partner.stores[0]!.id;
    for (const token of [partnerToken(partner.id), terminalToken(partner.id, store)]) {
      expect(codesOf(await suspend(token))).toEqual(['FORBIDDEN']);
      expect(codesOf(await leave(inDays(1), inDays(2), token))).toEqual(['FORBIDDEN']);
    }
    expect(codesOf(await reinstate(partnerToken(partner.id)))).toEqual(['FORBIDDEN']);
  });

  it('keeps an audit trail, newest first: who changed what, when and why', async () => {
    const HISTORY = `query H($id: ID!) { partner(id: $id) { statusHistory(first: 10) { edges { node { previousStatus status reason earnStopAt burnStopAt changedBy changedAt } } } } }`;
    type History = {
      partner: { statusHistory: { edges: { node: Record<string, unknown> }[] } | null } | null;
    };
    const asOperator = await gql<History>(url, HISTORY, { id: partner.id });
    const changes = asOperator.data!.partner!.statusHistory!.edges.map((e) => e.node);
    expect(changes.map((c) => `${c.previousStatus}>${c.status}`)).toEqual([
      'LEAVING>ACTIVE',
      'LEAVING>LEAVING',
      'ACTIVE>LEAVING',
      'SUSPENDED>ACTIVE',
      'ACTIVE>SUSPENDED',
    ]);
    expect(changes[4]).toMatchObject({
      reason: 'unpaid invoices',
      changedBy: 'operator:test',
      earnStopAt: null,
    });
    expect(changes[2]).toMatchObject({
      reason: 'contract ends',
      earnStopAt: expect.any(String),
      burnStopAt: expect.any(String),
    });

    const asPartner = await gql<History>(
      url,
      HISTORY,
      { id: partner.id },
      partnerToken(partner.id),
    );
    expect(asPartner.data!.partner!.statusHistory!.edges.map((e) => e.node.changedBy)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    const asTerminal = await gql<History>(
      url,
      HISTORY,
      { id: partner.id },
      terminalToken(partner.id, partner.stores[0]!.id),
    );
    expect(asTerminal.errors).toBeUndefined();
    expect(asTerminal.data!.partner!.statusHistory).toBeNull();
  });
});

describe('API credentials', () => {
  let aldo: OnboardedPartner;
  let brewer: OnboardedPartner;

  const CREDENTIALS =
    'client { clientId revokedAt secretRotatedAt previousSecretExpiresAt } clientSecret';
  type Credentials = {
    client: {
      clientId: string;
      revokedAt: string | null;
      secretRotatedAt: string | null;
      previousSecretExpiresAt: string | null;
    };
    clientSecret: string;
  };
  const rotate = (clientId: string, token: string, revokePrevious?: boolean) =>
    gql<{ rotateApiClientSecret: Credentials }>(
      url,
      `mutation R($c: String!, $r: Boolean) { rotateApiClientSecret(clientId: $c, revokePrevious: $r) { ${CREDENTIALS} } }`,
      { c: clientId, r: revokePrevious ?? null },
      token,
    );
  const revoke = (clientId: string, token: string) =>
    gql<{ revokeApiClient: { clientId: string; revokedAt: string | null } }>(
      url,
      `mutation V($c: String!) { revokeApiClient(clientId: $c) { clientId revokedAt } }`,
      { c: clientId },
      token,
    );
  const statusOf = async (clientId: string, secret: string) =>
    (await exchangeClientCredentials(network.gateway.url, clientId, secret)).status;

  beforeAll(async () => {
    aldo = await onboardPartner(url, unique('Aldo Keys'), ['Mitte', 'Hafen']);
    brewer = await onboardPartner(url, unique('Brewer Keys'), ['Kreuzberg']);
  });

  it('rotates a secret: the old one keeps working during the grace period, until its end', async () => {
    const { clientId, clientSecret: first } = await createApiClient(url, aldo.id);
    const rotated = await rotate(clientId, operatorToken());
    expect(rotated.errors).toBeUndefined();
    const { clientSecret: second, client } = rotated.data!.rotateApiClientSecret;
    expect(second).not.toBe(first);
    expect(client.secretRotatedAt).not.toBeNull();
    const graceMs =
      Date.parse(client.previousSecretExpiresAt!) - Date.parse(client.secretRotatedAt!);
    expect(graceMs).toBe(24 * 3600 * 1000);
    expect(await statusOf(clientId, first)).toBe(200);
    expect(await statusOf(clientId, second)).toBe(200);

    // The grace period ends (moved into the past rather than waited for): only the new secret works.
    await partnerDb.rows(
      `UPDATE api_client SET previous_secret_expires_at = now() - interval '1 second' WHERE client_id = $1`,
      [clientId],
    );
    expect(await statusOf(clientId, first)).toBe(401);
    expect(await statusOf(clientId, second)).toBe(200);
  });

  it('ends the previous secret at once with revokePrevious, and a second rotation ends the first secret', async () => {
    const { clientId, clientSecret: first } = await createApiClient(url, aldo.id);
    const second = (await rotate(clientId, operatorToken())).data!.rotateApiClientSecret
      .clientSecret;
    const third = (await rotate(clientId, operatorToken())).data!.rotateApiClientSecret
      .clientSecret;
    expect(await statusOf(clientId, first)).toBe(401);
    expect(await statusOf(clientId, second)).toBe(200);
    const fourth = await rotate(clientId, operatorToken(), true);
    expect(fourth.data?.rotateApiClientSecret.client.previousSecretExpiresAt).toBeNull();
    expect(await statusOf(clientId, third)).toBe(401);
    expect(await statusOf(clientId, fourth.data!.rotateApiClientSecret.clientSecret)).toBe(200);
  });

  it("lets a partner rotate and revoke its own credentials, and finds no other partner's", async () => {
    const own = await createApiClient(url, aldo.id);
    const till = await createApiClient(url, aldo.id, aldo.stores[1]!.id);
    const foreign = await createApiClient(url, brewer.id);
    const exchanged = (await (
      await exchangeClientCredentials(network.gateway.url, own.clientId, own.clientSecret)
    ).json()) as { access_token: string };
    const aldoToken = exchanged.access_token;

    const rotated = await rotate(till.clientId, aldoToken);
    expect(rotated.errors).toBeUndefined();
    expect(await statusOf(till.clientId, rotated.data!.rotateApiClientSecret.clientSecret)).toBe(
      200,
    );

    const unknown = await rotate('pc_AAAAAAAAAAAAAAAA', aldoToken);
    const other = await rotate(foreign.clientId, aldoToken);
    expect(codesOf(other)).toEqual(['NOT_FOUND']);
    expect(other.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect(codesOf(await revoke(foreign.clientId, aldoToken))).toEqual(['NOT_FOUND']);
    expect(await statusOf(foreign.clientId, foreign.clientSecret)).toBe(200);

    const revoked = await revoke(till.clientId, aldoToken);
    expect(revoked.data?.revokeApiClient.revokedAt).not.toBeNull();
    expect(await statusOf(till.clientId, rotated.data!.rotateApiClientSecret.clientSecret)).toBe(
      401,
    );
    expect(codesOf(await rotate(till.clientId, aldoToken))).toEqual(['CONFLICT']);
  });

  it('refuses terminals and members any of it, and partners creating credentials', async () => {
    const { clientId } = await createApiClient(url, aldo.id, aldo.stores[0]!.id);
    const terminal = terminalToken(aldo.id, aldo.stores[0]!.id);
    for (const token of [terminal, memberToken(randomUUID())]) {
      expect(codesOf(await rotate(clientId, token))).toEqual(['FORBIDDEN']);
      expect(codesOf(await revoke(clientId, token))).toEqual(['FORBIDDEN']);
    }
    const created = await gql(
      url,
      `mutation C($p: ID!) { createApiClient(partnerId: $p, label: "mine") { clientSecret } }`,
      { p: aldo.id },
      partnerToken(aldo.id),
    );
    expect(codesOf(created)).toEqual(['FORBIDDEN']);
  });

  it('lists a partner its own credentials, newest first and paginated, never their secrets', async () => {
    const LIST = `query L($id: ID!, $after: String) { partner(id: $id) { apiClients(first: 2, after: $after) { edges { node { clientId label store { id } revokedAt } } pageInfo { hasNextPage endCursor } } } }`;
    type List = {
      partner: {
        apiClients: {
          edges: { node: { clientId: string } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        } | null;
      } | null;
    };
    const all: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const response: GraphQLResponse<List> = await gql<List>(
        url,
        LIST,
        { id: brewer.id, after },
        partnerToken(brewer.id),
      );
      expect(response.errors).toBeUndefined();
      const clients = response.data!.partner!.apiClients!;
      all.push(...clients.edges.map((e) => e.node.clientId));
      if (!clients.pageInfo.hasNextPage) break;
      after = clients.pageInfo.endCursor;
    }
    const rows = await partnerDb.rows<{ client_id: string }>(
      'SELECT client_id FROM api_client WHERE partner_id = $1 ORDER BY created_at DESC, client_id DESC',
      [brewer.id],
    );
    expect(all).toEqual(rows.map((r) => r.client_id));
    const terminal = await gql<List>(
      url,
      LIST,
      { id: aldo.id, after: null },
      terminalToken(aldo.id, aldo.stores[0]!.id),
    );
    expect(terminal.data?.partner?.apiClients).toBeNull();
  });
});

// ---- Earn rules ----

const VERSION = 'version effectiveFrom effectiveTo createdAt withdrawnAt';
const RULES = `rules {
  basePointsPerUnit categoryRates { category pointsPerUnit } excludedCategories minimumPurchaseMinor capPerTransactionPoints capPerMemberDayPoints
  multipliers { id name percent startsAt endsAt storeIds channels operatorSharePercent } firstPurchaseBonusPoints
  stampCard { id name stampsRequired rewardPoints categories lineMinimumMinor } }`;

interface Version {
  version: number;
  effectiveFrom: string;
  effectiveTo: string | null;
  createdAt: string;
  withdrawnAt: string | null;
  rules?: Record<string, unknown>;
}

const publish = (
  partnerId: string,
  rules: Record<string, unknown>,
  options: { effectiveFrom?: string; token?: string } = {},
) =>
  gql<{ publishEarnRules: Version }>(
    url,
    `mutation P($p: ID!, $i: PublishEarnRulesInput!) { publishEarnRules(partnerId: $p, input: $i) { ${VERSION} ${RULES} } }`,
    {
      p: partnerId,
      i: { rules, ...(options.effectiveFrom ? { effectiveFrom: options.effectiveFrom } : {}) },
    },
    options.token ?? operatorToken(),
  );

const withdraw = (partnerId: string, version: number, token = operatorToken()) =>
  gql<{ withdrawEarnRules: Version }>(
    url,
    `mutation W($p: ID!, $v: Int!) { withdrawEarnRules(partnerId: $p, version: $v) { ${VERSION} } }`,
    { p: partnerId, v: version },
    token,
  );

type RulesView = {
  partner: {
    pointsPerCurrencyUnit: number;
    earnRules: Version | null;
    earnRuleVersions: { edges: { node: Version }[] } | null;
  } | null;
};
const rulesOf = (partnerId: string, token = operatorToken()) =>
  gql<RulesView>(
    url,
    `query R($id: ID!) { partner(id: $id) { pointsPerCurrencyUnit earnRules { ${VERSION} ${RULES} } earnRuleVersions(first: 50) { edges { node { ${VERSION} } } } } }`,
    { id: partnerId },
    token,
  );

describe('earn rules versions', () => {
  let cafe: OnboardedPartner;
  let rival: OnboardedPartner;

  beforeAll(async () => {
    cafe = await onboardPartner(url, unique('Rules Cafe'), ['Corner', 'Station'], undefined, {
      pointsPerCurrencyUnit: 4,
    });
    rival = await onboardPartner(url, unique('Rules Rival'), ['Elsewhere']);
  });

  it('starts every partner at version 1, its onboarding rate from onboarding on, announced with the partner', async () => {
    const response = await rulesOf(cafe.id, partnerToken(cafe.id));
    expect(response.errors).toBeUndefined();
    const { pointsPerCurrencyUnit, earnRules } = response.data!.partner!;
    expect(pointsPerCurrencyUnit).toBe(4);
    expect(earnRules).toMatchObject({
      version: 1,
      effectiveTo: null,
      withdrawnAt: null,
      rules: {
        basePointsPerUnit: 4,
        categoryRates: [],
        excludedCategories: [],
        minimumPurchaseMinor: '0',
        capPerTransactionPoints: null,
        capPerMemberDayPoints: null,
        multipliers: [],
        firstPurchaseBonusPoints: '0',
        stampCard: null,
      },
    });
    const [onboarded] = await factsOf('partner.onboarded', cafe.id);
    expect(onboarded?.payload).toMatchObject({
      pointsPerCurrencyUnit: 4,
      earnRules: {
        version: 1,
        effectiveFrom: earnRules!.effectiveFrom,
        rules: { basePointsPerUnit: 4, minimumPurchaseMinor: '0' },
      },
    });
  });

  const future = () => ({ startsAt: inDays(1), endsAt: inDays(3) });
  it.each<[string, () => Record<string, unknown>, string, { effectiveFrom?: string }?]>([
    ['a negative base rate', () => ({ basePointsPerUnit: -1 }), 'rules.basePointsPerUnit'],
    ['a base rate above 1000', () => ({ basePointsPerUnit: 1001 }), 'rules.basePointsPerUnit'],
    [
      'a category rate above 1000',
      () => ({
        basePointsPerUnit: 1,
        categoryRates: [{ category: 'coffee', pointsPerUnit: 5000 }],
      }),
      'rules.categoryRates.0.pointsPerUnit',
    ],
    [
      'a negative cap',
      () => ({ basePointsPerUnit: 1, capPerTransactionPoints: '-5' }),
      'rules.capPerTransactionPoints',
    ],
    [
      'a multiplier of 100%',
      () => ({
        basePointsPerUnit: 1,
        multipliers: [{ id: 'flat', name: 'Flat', percent: 100, ...future() }],
      }),
      'rules.multipliers.0.percent',
    ],
    [
      'a multiplier ending before it starts',
      () => ({
        basePointsPerUnit: 1,
        multipliers: [
          { id: 'rev', name: 'Reversed', percent: 200, startsAt: inDays(3), endsAt: inDays(1) },
        ],
      }),
      'rules.multipliers.0.endsAt',
    ],
    [
      'a stamp card of one stamp',
      () => ({
        basePointsPerUnit: 1,
        stampCard: {
          id: 'card',
          name: 'Card',
          stampsRequired: 1,
          rewardPoints: '10',
          categories: ['coffee'],
        },
      }),
      'rules.stampCard.stampsRequired',
    ],
    [
      'an effectiveFrom in the past',
      () => ({ basePointsPerUnit: 2 }),
      'effectiveFrom',
      { effectiveFrom: inDays(-1 / 24) },
    ],
    [
      'an effectiveFrom more than a year ahead',
      () => ({ basePointsPerUnit: 2 }),
      'effectiveFrom',
      { effectiveFrom: inDays(400) },
    ],
  ])('refuses %s, naming the field and writing nothing', async (_case, rules, field, options) => {
    const before = await partnerDb.rows(
      'SELECT version FROM earn_rule_version WHERE partner_id = $1',
      [cafe.id],
    );
    const refused = await publish(cafe.id, rules(), options);
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(refused)).toBe(field);
    expect(
      await partnerDb.rows('SELECT version FROM earn_rule_version WHERE partner_id = $1', [
        cafe.id,
      ]),
    ).toEqual(before);
  });

  it("refuses another partner's store in a multiplier without saying whose it is", async () => {
    const foreignStore = rival.stores[0]!.id;
    const refused = await publish(cafe.id, {
      basePointsPerUnit: 1,
      multipliers: [
        {
          id: 'mine',
          name: 'Mine',
          percent: 150,
          ...future(),
          storeIds: [cafe.stores[0]!.id, foreignStore],
        },
      ],
    });
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(refused)).toBe('rules.multipliers.0.storeIds.1');
    expect(JSON.stringify(refused.errors)).not.toMatch(
      new RegExp(`${foreignStore}|Rival|Elsewhere`),
    );
  });

  it('publishes a scheduled version that ends the one before it, and refuses a second one starting at the same instant', async () => {
    const effectiveFrom = inDays(2);
    const rules = {
      basePointsPerUnit: 2,
      categoryRates: [{ category: 'coffee', pointsPerUnit: 6 }],
      capPerMemberDayPoints: '500',
      multipliers: [
        {
          id: 'station-week',
          name: 'Station week',
          percent: 150,
          ...future(),
          storeIds: [cafe.stores[1]!.id],
          channels: ['PHYSICAL'],
          operatorSharePercent: 20,
        },
      ],
    };
    const published = await publish(cafe.id, rules, {
      effectiveFrom,
      token: partnerToken(cafe.id),
    });
    expect(published.errors).toBeUndefined();
    expect(published.data?.publishEarnRules).toMatchObject({
      version: 2,
      effectiveFrom,
      effectiveTo: null,
      withdrawnAt: null,
      rules: {
        basePointsPerUnit: 2,
        capPerMemberDayPoints: '500',
        capPerTransactionPoints: null,
        multipliers: [
          {
            id: 'station-week',
            storeIds: [cafe.stores[1]!.id],
            channels: ['PHYSICAL'],
            operatorSharePercent: 20,
          },
        ],
      },
    });
    const [fact] = await factsOf('earn-rules.published', cafe.id);
    expect(fact?.payload).toMatchObject({
      partnerId: cafe.id,
      version: 2,
      effectiveFrom,
      rules: { basePointsPerUnit: 2, capPerMemberDayPoints: '500', minimumPurchaseMinor: '0' },
    });

    const now = (await rulesOf(cafe.id)).data!.partner!;
    expect(now.earnRules).toMatchObject({ version: 1, effectiveTo: effectiveFrom });
    expect(now.pointsPerCurrencyUnit).toBe(4);

    const twice = await publish(cafe.id, { basePointsPerUnit: 3 }, { effectiveFrom });
    expect(codesOf(twice)).toEqual(['EARN_RULES_OVERLAP']);
    expect(fieldOf(twice)).toBe('effectiveFrom');
  });

  it('withdraws a scheduled version, which then frees its instant; a version in force cannot be withdrawn', async () => {
    const effectiveFrom = inDays(5);
    const scheduled = (await publish(cafe.id, { basePointsPerUnit: 7 }, { effectiveFrom })).data!
      .publishEarnRules;
    const withdrawn = await withdraw(cafe.id, scheduled.version, partnerToken(cafe.id));
    expect(withdrawn.errors).toBeUndefined();
    expect(withdrawn.data?.withdrawEarnRules).toMatchObject({
      version: scheduled.version,
      withdrawnAt: expect.any(String),
      effectiveTo: null,
    });
    const [fact] = await factsOf('earn-rules.withdrawn', cafe.id);
    expect(fact?.payload).toEqual({ partnerId: cafe.id, version: scheduled.version });

    expect(codesOf(await withdraw(cafe.id, scheduled.version))).toEqual(['CONFLICT']);
    expect(codesOf(await withdraw(cafe.id, 1))).toEqual(['CONFLICT']);
    expect(codesOf(await withdraw(cafe.id, 999))).toEqual(['NOT_FOUND']);

    const again = await publish(cafe.id, { basePointsPerUnit: 8 }, { effectiveFrom });
    expect(again.errors).toBeUndefined();
    expect(again.data?.publishEarnRules.version).toBe(scheduled.version + 1);
    // Version 2 (in two days) now runs until this one; the withdrawn one is in the history, ending nothing.
    const versions = (await rulesOf(cafe.id)).data!.partner!.earnRuleVersions!.edges.map(
      (e) => e.node,
    );
    expect(versions.map((v) => [v.version, v.effectiveTo, v.withdrawnAt === null])).toEqual([
      [scheduled.version + 1, null, true],
      [scheduled.version, null, false],
      [2, effectiveFrom, true],
      [1, versions[2]!.effectiveFrom, true],
    ]);
  });

  it('puts a version published without a date in force at once, and pointsPerCurrencyUnit follows it', async () => {
    const shop = await onboardPartner(url, unique('Rules Now'), ['Only'], undefined, {
      pointsPerCurrencyUnit: 1,
    });
    const published = await publish(shop.id, { basePointsPerUnit: 9 });
    expect(published.errors).toBeUndefined();
    expect(Date.parse(published.data!.publishEarnRules.effectiveFrom)).toBeLessThanOrEqual(
      Date.now(),
    );
    const now = (await rulesOf(shop.id, partnerToken(shop.id))).data!.partner!;
    expect(now.pointsPerCurrencyUnit).toBe(9);
    expect(now.earnRules).toMatchObject({
      version: 2,
      effectiveTo: null,
      rules: { basePointsPerUnit: 9 },
    });
  });

  it('pages through the versions, newest first', async () => {
    const shop = await onboardPartner(url, unique('Rules Pages'), ['Only']);
    for (let day = 1; day <= 4; day++)
      expect(
        (await publish(shop.id, { basePointsPerUnit: day }, { effectiveFrom: inDays(day) })).errors,
      ).toBeUndefined();
    const PAGE = `query V($id: ID!, $after: String) { partner(id: $id) { earnRuleVersions(first: 2, after: $after) { edges { node { version } } pageInfo { hasNextPage endCursor } } } }`;
    type Page = {
      partner: {
        earnRuleVersions: {
          edges: { node: { version: number } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      };
    };
    const pages: number[][] = [];
    let after: string | null = null;
    for (;;) {
      const response: GraphQLResponse<Page> = await gql<Page>(
        url,
        PAGE,
        { id: shop.id, after },
        partnerToken(shop.id),
      );
      expect(response.errors).toBeUndefined();
      const connection = response.data!.partner.earnRuleVersions;
      pages.push(connection.edges.map((e) => e.node.version));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(pages).toEqual([[5, 4], [3, 2], [1]]);
    expect(
      codesOf(await gql(url, PAGE, { id: shop.id, after: 'not-a-cursor' }, partnerToken(shop.id))),
    ).toEqual(['BAD_USER_INPUT']);
  });

  it("keeps a partner from publishing, withdrawing or reading another partner's rules", async () => {
    const rivalToken = partnerToken(rival.id);
    expect(
      codesOf(
        await publish(
          cafe.id,
          { basePointsPerUnit: 1 },
          { effectiveFrom: inDays(9), token: rivalToken },
        ),
      ),
    ).toEqual(['FORBIDDEN']);
    expect(codesOf(await withdraw(cafe.id, 2, rivalToken))).toEqual(['FORBIDDEN']);
    expect(
      codesOf(
        await publish(
          cafe.id,
          { basePointsPerUnit: 1 },
          { effectiveFrom: inDays(9), token: terminalToken(cafe.id, cafe.stores[0]!.id) },
        ),
      ),
    ).toEqual(['FORBIDDEN']);
    const read = await rulesOf(cafe.id, rivalToken);
    expect(read.errors).toBeUndefined();
    expect(read.data?.partner).toBeNull();
    const terminal = await rulesOf(cafe.id, terminalToken(cafe.id, cafe.stores[0]!.id));
    expect(terminal.data?.partner).toMatchObject({
      pointsPerCurrencyUnit: 4,
      earnRules: null,
      earnRuleVersions: null,
    });
  });

  it('shows a member reaching a partner through federation its name and base rate, and none of its configuration', async () => {
    const ann = await enrolMember(url, 'Ann Config');
    const token = memberToken(ann.id);
    await linkPartner(url, ann.id, cafe.id, token);
    const response = await gql<{ me: { linkedPartners: Record<string, unknown>[] } }>(
      url,
      `{ me { linkedPartners { name status earnStopAt pointsPerCurrencyUnit earnRules { version } earnRuleVersions { edges { cursor } } apiClients { edges { cursor } } statusHistory { edges { cursor } } } } }`,
      {},
      token,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.me.linkedPartners).toEqual([
      {
        name: cafe.name,
        status: null,
        earnStopAt: null,
        pointsPerCurrencyUnit: 4,
        earnRules: null,
        earnRuleVersions: null,
        apiClients: null,
        statusHistory: null,
      },
    ]);
  });
});

describe('coalition tier bonuses', () => {
  const SET = `mutation T($b: [TierBonusInput!]!) { setTierBonuses(bonuses: $b) { tier bonusPercent } }`;

  it('lets only operators set them, replacing the whole set, and any signed-in viewer read them', async () => {
    const partner = partnerToken(randomUUID());
    expect(
      codesOf(await gql(url, SET, { b: [{ tier: 'GOLD', bonusPercent: 25 }] }, partner)),
    ).toEqual(['FORBIDDEN']);
    const first = await gql(url, SET, {
      b: [
        { tier: 'SILVER', bonusPercent: 10 },
        { tier: 'GOLD', bonusPercent: 25 },
        { tier: 'BRONZE', bonusPercent: 5 },
      ],
    });
    expect(first.errors).toBeUndefined();
    const set = await gql(url, SET, {
      b: [
        { tier: 'SILVER', bonusPercent: 10 },
        { tier: 'GOLD', bonusPercent: 25 },
      ],
    });
    expect(set.data).toEqual({
      setTierBonuses: [
        { tier: 'GOLD', bonusPercent: 25 },
        { tier: 'SILVER', bonusPercent: 10 },
      ],
    });
    for (const token of [memberToken(randomUUID()), partner, operatorToken()]) {
      const read = await gql(url, `{ tierBonuses { tier bonusPercent } }`, {}, token);
      expect(read.data).toEqual({
        tierBonuses: [
          { tier: 'GOLD', bonusPercent: 25 },
          { tier: 'SILVER', bonusPercent: 10 },
        ],
      });
    }
    expect(codesOf(await gql(url, `{ tierBonuses { tier } }`, {}, null))).toEqual([
      'UNAUTHENTICATED',
    ]);
    const facts = await factsOf('programme.tier-bonuses-set', 'programme', 2);
    expect(facts.at(-1)?.payload).toEqual({
      bonuses: [
        { tier: 'GOLD', bonusPercent: 25 },
        { tier: 'SILVER', bonusPercent: 10 },
      ],
    });
  });

  it.each([
    [
      'a tier twice',
      [
        { tier: 'GOLD', bonusPercent: 25 },
        { tier: 'GOLD', bonusPercent: 30 },
      ],
      'bonuses.1.tier',
    ],
    ['a lower-case tier', [{ tier: 'gold', bonusPercent: 25 }], 'bonuses.0.tier'],
    ['a bonus above 500%', [{ tier: 'GOLD', bonusPercent: 501 }], 'bonuses.0.bonusPercent'],
    ['a bonus of 0%', [{ tier: 'GOLD', bonusPercent: 0 }], 'bonuses.0.bonusPercent'],
    [
      'more than 10 tiers',
      Array.from({ length: 11 }, (_, i) => ({ tier: `T${i}`, bonusPercent: 1 })),
      'bonuses',
    ],
  ])('refuses %s and keeps the set as it was', async (_case, bonuses, field) => {
    const refused = await gql(url, SET, { b: bonuses });
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(refused)).toBe(field);
    const read = await gql(url, `{ tierBonuses { tier bonusPercent } }`);
    expect(read.data).toEqual({
      tierBonuses: [
        { tier: 'GOLD', bonusPercent: 25 },
        { tier: 'SILVER', bonusPercent: 10 },
      ],
    });
  });
});

describe('simulateEarn', () => {
  let emil: OnboardedPartner;
  let shopStore: string;
  let webStore: string;
  let scheduled: { version: number; effectiveFrom: string };
  let rivalStore: string;

  const SIMULATION = `points partnerPoints operatorPoints components { kind ruleId points partnerPoints operatorPoints }
    ruleVersion { version } eligibleMinor cappedPoints capApplied belowMinimum stamps { cardId before after completed }`;
  type Simulation = {
    points: string;
    partnerPoints: string;
    operatorPoints: string;
    components: {
      kind: string;
      ruleId: string | null;
      points: string;
      partnerPoints: string;
      operatorPoints: string;
    }[];
    ruleVersion: { version: number };
    eligibleMinor: string;
    cappedPoints: string;
    capApplied: string | null;
    belowMinimum: boolean;
    stamps: { cardId: string; before: number; after: number; completed: number } | null;
  };
  const simulate = (
    input: Record<string, unknown>,
    token = partnerToken(emil.id),
    partnerId = emil.id,
  ) =>
    gql<{ simulateEarn: Simulation }>(
      url,
      `query S($p: ID!, $i: SimulateEarnInput!) { simulateEarn(partnerId: $p, input: $i) { ${SIMULATION} } }`,
      { p: partnerId, i: input },
      token,
    );
  const basket = (
    storeId: string,
    lines: [string, string][],
    extra: Record<string, unknown> = {},
  ) => ({
    storeId,
    total: String(lines.reduce((sum, [, amount]) => sum + BigInt(amount), 0n)),
    currency: 'EUR',
    lines: lines.map(([category, amount]) => ({ sku: `SKU-${category}`, category, amount })),
    ...extra,
  });

  beforeAll(async () => {
    emil = await onboardPartner(url, unique('Emil Sim'), ['Shop']);
    shopStore = emil.stores[0]!.id;
    const added = await gql<{ addStore: { id: string } }>(
      url,
      `mutation A($p: ID!, $i: StoreInput!) { addStore(partnerId: $p, input: $i) { id } }`,
      {
        p: emil.id,
        i: { name: 'Web', kind: 'ONLINE', timeZone: 'Europe/Berlin' },
      },
    );
    webStore = added.data!.addStore.id;
    rivalStore = (await onboardPartner(url, unique('Sim Rival'), ['Far'])).stores[0]!.id;
    expect(
      (
        await gql(
          url,
          `mutation T($b: [TierBonusInput!]!) { setTierBonuses(bonuses: $b) { tier } }`,
          { b: [{ tier: 'GOLD', bonusPercent: 25 }] },
        )
      ).errors,
    ).toBeUndefined();
    const current = await publish(emil.id, {
      basePointsPerUnit: 1,
      categoryRates: [{ category: 'coffee', pointsPerUnit: 5 }],
      excludedCategories: ['giftcard'],
      minimumPurchaseMinor: '500',
      multipliers: [
        {
          id: 'online-double',
          name: 'Double online',
          percent: 200,
          startsAt: inDays(-1),
          endsAt: inDays(30),
          channels: ['ONLINE'],
          operatorSharePercent: 50,
        },
      ],
      firstPurchaseBonusPoints: '100',
      stampCard: {
        id: 'coffee-card',
        name: 'Coffee card',
        stampsRequired: 3,
        rewardPoints: '50',
        categories: ['coffee'],
      },
    });
    expect(current.errors).toBeUndefined();
    const later = await publish(
      emil.id,
      { basePointsPerUnit: 10, capPerMemberDayPoints: '150' },
      { effectiveFrom: inDays(10) },
    );
    expect(later.errors).toBeUndefined();
    scheduled = later.data!.publishEarnRules;
  });

  it('rates a physical basket by category, leaving excluded lines out and stamping the card', async () => {
    const response = await simulate(
      basket(shopStore, [
        ['Coffee', '1000'],
        ['bread', '250'],
        ['giftcard', '2000'],
      ]),
    );
    expect(response.errors).toBeUndefined();
    // 2.50 × 1 + 10.00 × 5 = 52.5, rounded down once: 52; the gift card earns nothing.
    expect(response.data?.simulateEarn).toEqual({
      points: '52',
      partnerPoints: '52',
      operatorPoints: '0',
      components: [
        { kind: 'BASE', ruleId: null, points: '2', partnerPoints: '2', operatorPoints: '0' },
        { kind: 'CATEGORY', ruleId: null, points: '50', partnerPoints: '50', operatorPoints: '0' },
      ],
      ruleVersion: { version: 2 },
      eligibleMinor: '1250',
      cappedPoints: '52',
      capApplied: null,
      belowMinimum: false,
      stamps: { cardId: 'coffee-card', before: 0, after: 1, completed: 0 },
    });
  });

  it('adds the online multiplier (half operator-funded), the first-purchase bonus, a completed card and the tier bonus', async () => {
    const response = await simulate(
      basket(webStore, [['coffee', '1000']], {
        member: { tier: 'GOLD', firstPurchaseAtPartner: true, stamps: 2 },
      }),
    );
    expect(response.errors).toBeUndefined();
    const simulation = response.data!.simulateEarn;
    expect(simulation.components).toEqual([
      { kind: 'CATEGORY', ruleId: null, points: '50', partnerPoints: '50', operatorPoints: '0' },
      {
        kind: 'MULTIPLIER',
        ruleId: 'online-double',
        points: '50',
        partnerPoints: '25',
        operatorPoints: '25',
      },
      {
        kind: 'FIRST_PURCHASE',
        ruleId: null,
        points: '100',
        partnerPoints: '100',
        operatorPoints: '0',
      },
      {
        kind: 'STAMP_CARD',
        ruleId: 'coffee-card',
        points: '50',
        partnerPoints: '50',
        operatorPoints: '0',
      },
      { kind: 'TIER', ruleId: 'GOLD', points: '25', partnerPoints: '0', operatorPoints: '25' },
    ]);
    expect(simulation).toMatchObject({
      points: '275',
      partnerPoints: '225',
      operatorPoints: '50',
      cappedPoints: '100',
      stamps: { before: 2, after: 0, completed: 1 },
    });
  });

  it('earns nothing below the minimum purchase', async () => {
    const response = await simulate(
      basket(shopStore, [
        ['bread', '400'],
        ['giftcard', '5000'],
      ]),
    );
    expect(response.data?.simulateEarn).toMatchObject({
      points: '0',
      components: [],
      belowMinimum: true,
      eligibleMinor: '400',
      stamps: { before: 0, after: 0, completed: 0 },
    });
  });

  it('evaluates a scheduled version when asked for its time, with its daily cap', async () => {
    const at = new Date(Date.parse(scheduled.effectiveFrom) + 3600_000).toISOString();
    const response = await simulate(
      basket(shopStore, [['bread', '1000']], { at, member: { pointsEarnedToday: '100' } }),
    );
    expect(response.errors).toBeUndefined();
    // 10.00 × 10 = 100 points, but only 50 are left of the member's 150 today.
    expect(response.data?.simulateEarn).toMatchObject({
      points: '50',
      ruleVersion: { version: scheduled.version },
      capApplied: 'MEMBER_DAY',
      cappedPoints: '50',
      stamps: null,
    });
    const byOccurrence = await simulate(basket(shopStore, [['bread', '1000']], { occurredAt: at }));
    expect(byOccurrence.data?.simulateEarn).toMatchObject({
      points: '100',
      ruleVersion: { version: scheduled.version },
      capApplied: null,
    });
  });

  it.each<[string, () => Record<string, unknown>, string]>([
    [
      'lines that do not add up to the total',
      () => ({ ...basket(shopStore, [['bread', '1000']]), total: '999' }),
      'lines',
    ],
    [
      'another currency',
      () => basket(shopStore, [['bread', '1000']], { currency: 'USD' }),
      'currency',
    ],
    ["another partner's store", () => basket(rivalStore, [['bread', '1000']]), 'storeId'],
    ['a negative line', () => ({ ...basket(shopStore, [['bread', '-5']]), total: '-5' }), 'total'],
    ['no lines', () => ({ storeId: shopStore, total: '100', currency: 'EUR', lines: [] }), 'lines'],
  ])('refuses %s, naming the field', async (_case, input, field) => {
    const refused = await simulate(input());
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(refused)).toBe(field);
  });

  it('lets a terminal simulate at its own store only, and nobody outside the partner at all', async () => {
    const atOwnStore = await simulate(
      basket(shopStore, [['bread', '1000']]),
      terminalToken(emil.id, shopStore),
    );
    expect(atOwnStore.data?.simulateEarn.points).toBe('10');
    expect(
      codesOf(
        await simulate(basket(webStore, [['bread', '1000']]), terminalToken(emil.id, shopStore)),
      ),
    ).toEqual(['FORBIDDEN']);
    expect(
      codesOf(await simulate(basket(shopStore, [['bread', '1000']]), partnerToken(randomUUID()))),
    ).toEqual(['FORBIDDEN']);
    expect(
      codesOf(await simulate(basket(shopStore, [['bread', '1000']]), memberToken(randomUUID()))),
    ).toEqual(['FORBIDDEN']);
    expect(
      (await simulate(basket(shopStore, [['bread', '1000']]), operatorToken())).data?.simulateEarn
        .points,
    ).toBe('10');
  });
});
