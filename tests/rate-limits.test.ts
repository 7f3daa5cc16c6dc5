import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../shared/src/limits';
import { spawnService, type ServiceProcess } from '../shared/src/runtime/service-process';
import {
  createApiClient,
  exchangeClientCredentials,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { keysDir } from './support/databases';
import { codesOf, eventually, gql, tokenFor, type GraphQLResponse } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { startPrivatePostgres } from './support/private-postgres';
import { openDatabase } from './support/sql';

/**
 * Small limits so each is reached in a handful of requests: a client gets 3 requests a minute and
 * a reserve of 2; a member 2 and 1. Secrets: a wait of 3 s after the 2nd wrong one, a lockout at
 * the 3rd.
 */
const SMALL_LIMITS = {
  RATE_LIMIT_CLIENT_REQUESTS_PER_MINUTE: '3',
  RATE_LIMIT_CLIENT_BURST: '2',
  RATE_LIMIT_MEMBER_REQUESTS_PER_MINUTE: '2',
  RATE_LIMIT_MEMBER_BURST: '1',
  TOKEN_FAILURES_BEFORE_DELAY: '2',
  // Long enough that the attempt right after a failure meets the wait on a loaded machine too.
  TOKEN_FAILURE_DELAY_SECONDS: '3',
  TOKEN_FAILURES_BEFORE_LOCKOUT: '3',
  TOKEN_LOCKOUT_SECONDS: '600',
};
const CLIENT_ALLOWANCE = 3 + 2;

let network: TestNetwork;
/** A second gateway over the same subgraphs and the same counter database: another replica. */
let replica: ServiceProcess;
let partnerA: OnboardedPartner;
let partnerB: OnboardedPartner;

/** Another gateway process over the network's subgraphs, counting in `counterDatabaseUrl`. */
function startGateway(counterDatabaseUrl: string): Promise<ServiceProcess> {
  return spawnService({
    name: 'gateway',
    entry: resolve('gateway/src/main.ts'),
    output: (line) => network.logs.push(line),
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      APOLLO_TELEMETRY_DISABLED: '1',
      JWT_KEYS_DIR: keysDir(),
      PORT: '0',
      SUBGRAPH_TIMEOUT_MS: '30000',
      MEMBER_URL: `${network.services.member.url}/graphql`,
      PARTNER_MERCHANT_URL: `${network.services['partner-merchant'].url}/graphql`,
      SETTLEMENT_URL: `${network.services.settlement.url}/graphql`,
      RATE_LIMIT_DATABASE_URL: counterDatabaseUrl,
      ...SMALL_LIMITS,
    },
  });
}

const ping = (url: string, token: string) =>
  gql<{ __typename: string }>(url, '{ __typename }', {}, token);

async function clientToken(clientId: string, clientSecret: string): Promise<string> {
  const response = await exchangeClientCredentials(network.gateway.url, clientId, clientSecret);
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function newClientToken(partnerId: string): Promise<{ clientId: string; token: string }> {
  const { clientId, clientSecret } = await createApiClient(network.graphqlUrl, partnerId);
  return { clientId, token: await clientToken(clientId, clientSecret) };
}

function expectRateLimited(response: GraphQLResponse<unknown>): void {
  expect(response.status).toBe(429);
  expect(codesOf(response)).toEqual(['RATE_LIMITED']);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(600);
  expect(response.errors?.[0]?.extensions?.retryAfter).toBe(retryAfter);
  expect(response.data ?? null).toBeNull();
}

beforeAll(async () => {
  network = await startTestNetwork('ratelimits', SMALL_LIMITS);
  replica = await startGateway(network.gatewayDatabaseUrl);
  partnerA = await onboardPartner(network.graphqlUrl, 'Limited Foods');
  partnerB = await onboardPartner(network.graphqlUrl, 'Unhurried Books');
}, 120_000);

afterAll(async () => {
  await replica?.stop();
  await network?.stop();
});

describe('requests over a limit', () => {
  it('answer 429 with Retry-After and RATE_LIMITED once a client has spent its rate and its burst', async () => {
    const { token } = await newClientToken(partnerA.id);
    for (let i = 0; i < CLIENT_ALLOWANCE; i++) {
      const response = await ping(network.graphqlUrl, token);
      expect(response.status, `request ${i + 1}`).toBe(200);
      expect(response.data?.__typename).toBe('Query');
    }
    const refused = await ping(network.graphqlUrl, token);
    expectRateLimited(refused);
    // Nothing about the limit itself or anyone else's use of it.
    expect(refused.errors?.[0]?.message).toMatch(/^Too many requests; retry after \d+ s\.$/);
  });

  it("leave another client's requests alone, of the same partner or another", async () => {
    const limited = await newClientToken(partnerA.id);
    for (let i = 0; i <= CLIENT_ALLOWANCE; i++) await ping(network.graphqlUrl, limited.token);
    expectRateLimited(await ping(network.graphqlUrl, limited.token));
    for (const partner of [partnerA, partnerB]) {
      const other = await newClientToken(partner.id);
      const response = await ping(network.graphqlUrl, other.token);
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
    }
  });

  it('count a member by member id, whichever token it holds, and not against anyone else', async () => {
    const memberId = randomUUID();
    const tokens = [1, 2].map((n) => tokenFor({ role: 'member', sub: `app-${n}`, memberId }));
    for (let i = 0; i < 3; i++)
      expect((await ping(network.graphqlUrl, tokens[i % 2]!)).status).toBe(200);
    expectRateLimited(await ping(network.graphqlUrl, tokens[1]!));
    const another = tokenFor({ role: 'member', sub: 'app-1', memberId: randomUUID() });
    expect((await ping(network.graphqlUrl, another)).status).toBe(200);
  });

  it('are counted once across gateway replicas sharing the counter database', async () => {
    const { token } = await newClientToken(partnerB.id);
    const gateways = [network.graphqlUrl, `${replica.url}/graphql`];
    for (let i = 0; i < CLIENT_ALLOWANCE; i++)
      expect((await ping(gateways[i % 2]!, token)).status, `request ${i + 1}`).toBe(200);
    expectRateLimited(await ping(gateways[0]!, token));
    expectRateLimited(await ping(gateways[1]!, token));
  });

  it('are still answered, and counted in memory, while the counter database is down', async () => {
    const postgres = await startPrivatePostgres('ratelimits');
    const counters = openDatabase(postgres.url('counters'));
    let alone: ServiceProcess | undefined;
    try {
      // Down before the gateway starts: it starts all the same and counts in memory.
      await postgres.crash();
      alone = await startGateway(postgres.url('counters'));
      const url = `${alone.url}/graphql`;
      const first = await newClientToken(partnerA.id);
      for (let i = 0; i < CLIENT_ALLOWANCE; i++)
        expect((await ping(url, first.token)).status, `request ${i + 1}`).toBe(200);
      expectRateLimited(await ping(url, first.token));
      expect(network.logs.some((line) => line.includes('rate-limit store unavailable'))).toBe(true);

      // Back: the gateway creates the database and its table, and counts there again.
      await postgres.restart();
      await eventually(
        () =>
          counters.rows('SELECT 1 FROM rate_limit_counter LIMIT 1').then(
            () => true,
            () => false,
          ),
        20_000,
        'the gateway to create its counter table again',
      );
      // The gateway asks the store again once its last failure is that long past.
      await new Promise((done) => setTimeout(done, limits.rateLimitStoreRetryIntervalMs + 200));
      const second = await newClientToken(partnerA.id);
      expect((await ping(url, second.token)).status).toBe(200);
      const rows = await counters.rows('SELECT points FROM rate_limit_counter WHERE key = $1', [
        `client:${second.clientId}`,
      ]);
      expect(rows).toEqual([{ points: 1 }]);

      // Down while running: answered, and still limited, from memory.
      await postgres.crash();
      const third = await newClientToken(partnerA.id);
      for (let i = 0; i < CLIENT_ALLOWANCE; i++)
        expect((await ping(url, third.token)).status, `request ${i + 1}`).toBe(200);
      expectRateLimited(await ping(url, third.token));
    } finally {
      await alone?.stop();
      await counters.close();
      await postgres.destroy();
    }
  }, 90_000);

  it("are counted by kind in the gateway's metrics", async () => {
    const scrape = async () => (await fetch(`${replica.url}/metrics`)).text();
    const count = (text: string, kind: string) =>
      Number(
        new RegExp(`^coalition_rate_limited_total\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)`, 'm').exec(
          text,
        )?.[1] ?? 0,
      );
    const before = count(await scrape(), 'client');
    const { token } = await newClientToken(partnerA.id);
    for (let i = 0; i < CLIENT_ALLOWANCE + 2; i++) await ping(`${replica.url}/graphql`, token);
    expect(count(await scrape(), 'client')).toBe(before + 2);
  });

  it('leave operators unlimited: they are the coalition itself', async () => {
    const operator = tokenFor({ role: 'operator', sub: 'operator:limits' });
    for (let i = 0; i <= CLIENT_ALLOWANCE; i++)
      expect((await ping(network.graphqlUrl, operator)).status).toBe(200);
  });
});

const SET_LIMIT = `mutation Set($partnerId: ID!, $requestsPerMinute: Int!, $burst: Int!) {
  setPartnerRateLimit(partnerId: $partnerId, requestsPerMinute: $requestsPerMinute, burst: $burst) {
    requestsPerMinute burst changedAt changedBy
  }
}`;
const RESET_LIMIT = `mutation Reset($partnerId: ID!) {
  resetPartnerRateLimit(partnerId: $partnerId) { requestsPerMinute burst changedBy }
}`;
const LIMIT_OF = `query Limit($id: ID!) {
  partner(id: $id) {
    rateLimit { requestsPerMinute burst changedBy }
    rateLimitHistory { edges { node { requestsPerMinute burst changedAt changedBy } } }
  }
}`;

interface LimitView {
  requestsPerMinute: number | null;
  burst: number | null;
  changedAt?: string | null;
  changedBy: string | null;
}
interface PartnerLimits {
  partner: {
    rateLimit: LimitView | null;
    rateLimitHistory: { edges: { node: LimitView }[] } | null;
  };
}

interface HistoryPage {
  edges: { node: LimitView }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** One change per page of a partner's rate-limit history, as an operator reads it. */
async function historyPage(partnerId: string, after: string | null): Promise<HistoryPage> {
  const response = await gql<{ partner: { rateLimitHistory: HistoryPage } }>(
    network.graphqlUrl,
    `query Page($id: ID!, $after: String) {
      partner(id: $id) {
        rateLimitHistory(first: 1, after: $after) {
          edges { node { requestsPerMinute burst changedBy } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }`,
    { id: partnerId, after },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.partner.rateLimitHistory;
}

describe("a partner's own rate limit", () => {
  it('reaches its clients with their next token, and goes back to the defaults on reset', async () => {
    const partner = await onboardPartner(network.graphqlUrl, 'Busy Mart');
    const { clientId, clientSecret } = await createApiClient(network.graphqlUrl, partner.id);
    const before = await clientToken(clientId, clientSecret);
    expect(jwt.decode(before)).not.toHaveProperty('rateLimit');

    const set = await gql<{ setPartnerRateLimit: LimitView }>(network.graphqlUrl, SET_LIMIT, {
      partnerId: partner.id,
      requestsPerMinute: 1,
      burst: 0,
    });
    expect(set.errors).toBeUndefined();
    expect(set.data?.setPartnerRateLimit).toMatchObject({
      requestsPerMinute: 1,
      burst: 0,
      changedBy: 'operator:test',
    });

    const after = await clientToken(clientId, clientSecret);
    expect(jwt.decode(after)).toMatchObject({ rateLimit: { requestsPerMinute: 1, burst: 0 } });
    expect((await ping(network.graphqlUrl, after)).status).toBe(200);
    expectRateLimited(await ping(network.graphqlUrl, after));

    const reset = await gql(network.graphqlUrl, RESET_LIMIT, { partnerId: partner.id });
    expect(reset.data).toEqual({
      resetPartnerRateLimit: { requestsPerMinute: null, burst: null, changedBy: 'operator:test' },
    });
    expect(jwt.decode(await clientToken(clientId, clientSecret))).not.toHaveProperty('rateLimit');
  });

  it('is audited: every change with who made it, shown to the partner without the operator', async () => {
    const partner = await onboardPartner(network.graphqlUrl, 'Audited Outlet');
    await gql(network.graphqlUrl, SET_LIMIT, {
      partnerId: partner.id,
      requestsPerMinute: 60,
      burst: 10,
    });
    await gql(network.graphqlUrl, SET_LIMIT, {
      partnerId: partner.id,
      requestsPerMinute: 120,
      burst: 5,
    });
    const asOperator = await gql<PartnerLimits>(network.graphqlUrl, LIMIT_OF, { id: partner.id });
    expect(asOperator.errors).toBeUndefined();
    expect(asOperator.data?.partner.rateLimit).toEqual({
      requestsPerMinute: 120,
      burst: 5,
      changedBy: 'operator:test',
    });
    const history = asOperator.data?.partner.rateLimitHistory?.edges.map((e) => e.node) ?? [];
    expect(history.map((c) => [c.requestsPerMinute, c.burst, c.changedBy])).toEqual([
      [120, 5, 'operator:test'],
      [60, 10, 'operator:test'],
    ]);
    expect(Date.parse(history[0]!.changedAt!)).toBeGreaterThanOrEqual(
      Date.parse(history[1]!.changedAt!),
    );
    expect(network.logs.some((line) => line.includes('partner rate limit set'))).toBe(true);
    const firstPage = await historyPage(partner.id, null);
    expect(firstPage.edges.map((e) => e.node.requestsPerMinute)).toEqual([120]);
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    const secondPage = await historyPage(partner.id, firstPage.pageInfo.endCursor);
    expect(secondPage.edges.map((e) => e.node.requestsPerMinute)).toEqual([60]);
    expect(secondPage.pageInfo.hasNextPage).toBe(false);

    const own = tokenFor({ role: 'partner', sub: 'pc_audited', partnerId: partner.id });
    const asPartner = await gql<PartnerLimits>(
      network.graphqlUrl,
      LIMIT_OF,
      { id: partner.id },
      own,
    );
    expect(asPartner.data?.partner.rateLimit).toEqual({
      requestsPerMinute: 120,
      burst: 5,
      changedBy: null,
    });
    const store = partner.stores[0]!.id;
    const till = tokenFor({
      role: 'terminal',
      sub: 'tc_till',
      partnerId: partner.id,
      storeId: store,
    });
    const asTill = await gql<PartnerLimits>(network.graphqlUrl, LIMIT_OF, { id: partner.id }, till);
    expect(asTill.data?.partner).toEqual({ rateLimit: null, rateLimitHistory: null });
  });

  it.each([
    [
      'requestsPerMinute 0',
      { requestsPerMinute: 0, burst: 1 },
      'BAD_USER_INPUT',
      'requestsPerMinute',
    ],
    [
      'requestsPerMinute over the maximum',
      { requestsPerMinute: 600_001, burst: 1 },
      'BAD_USER_INPUT',
      'requestsPerMinute',
    ],
    ['a negative burst', { requestsPerMinute: 10, burst: -1 }, 'BAD_USER_INPUT', 'burst'],
    [
      'a burst over the maximum',
      { requestsPerMinute: 10, burst: 100_001 },
      'BAD_USER_INPUT',
      'burst',
    ],
  ])('refuses %s with a coded error and writes nothing', async (_, input, code, field) => {
    const partner = await onboardPartner(network.graphqlUrl, `Refused ${randomUUID()}`);
    const response = await gql(network.graphqlUrl, SET_LIMIT, { partnerId: partner.id, ...input });
    expect(codesOf(response)).toEqual([code]);
    expect(response.errors?.[0]?.extensions?.field).toBe(field);
    const after = await gql<PartnerLimits>(network.graphqlUrl, LIMIT_OF, { id: partner.id });
    expect(after.data?.partner.rateLimit).toEqual({
      requestsPerMinute: null,
      burst: null,
      changedBy: null,
    });
    expect(after.data?.partner.rateLimitHistory?.edges).toEqual([]);
  });

  it('is NOT_FOUND for an unknown partner, BAD_USER_INPUT for a malformed id, FORBIDDEN to partners', async () => {
    const limit = { requestsPerMinute: 10, burst: 1 };
    const unknown = await gql(network.graphqlUrl, SET_LIMIT, { partnerId: randomUUID(), ...limit });
    expect(codesOf(unknown)).toEqual(['NOT_FOUND']);
    const malformed = await gql(network.graphqlUrl, SET_LIMIT, { partnerId: 'nope', ...limit });
    expect(codesOf(malformed)).toEqual(['BAD_USER_INPUT']);
    const own = tokenFor({ role: 'partner', sub: 'pc_self_service', partnerId: partnerB.id });
    const byPartner = await gql(
      network.graphqlUrl,
      SET_LIMIT,
      { partnerId: partnerB.id, ...limit },
      own,
    );
    expect(codesOf(byPartner)).toEqual(['FORBIDDEN']);
    const history = await gql<PartnerLimits>(network.graphqlUrl, LIMIT_OF, { id: partnerB.id });
    expect(history.data?.partner.rateLimitHistory?.edges).toEqual([]);
  });
});

describe('wrong client secrets at /oauth/token', () => {
  const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

  async function expectRefused(response: Response, kind: 'wait' | 'lockout'): Promise<number> {
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe('temporarily_unavailable');
    expect(body.error_description).toMatch(kind === 'lockout' ? /locked out/ : /wait/);
    return retryAfter;
  }

  it('slow a client id down, forget the failures on a correct secret, then lock it out', async () => {
    const partner = await onboardPartner(network.graphqlUrl, 'Guessed Goods');
    const { clientId, clientSecret } = await createApiClient(network.graphqlUrl, partner.id);
    const attempt = (secret: string) =>
      exchangeClientCredentials(network.gateway.url, clientId, secret);

    expect((await attempt('wrong-1')).status).toBe(401);
    expect((await attempt('wrong-2')).status).toBe(401);
    // From the second failure on, the next attempt waits: even the right secret.
    const wait = await expectRefused(await attempt(clientSecret), 'wait');
    expect(wait).toBeLessThanOrEqual(3);
    await sleep(wait * 1000 + 100);
    expect((await attempt(clientSecret)).status).toBe(200);

    // The correct secret reset the count: two failures again only slow it down.
    expect((await attempt('wrong-3')).status).toBe(401);
    expect((await attempt('wrong-4')).status).toBe(401);
    await sleep((await expectRefused(await attempt('wrong-5'), 'wait')) * 1000 + 100);
    // The third failure in a row locks the client id out, the right secret included.
    expect((await attempt('wrong-6')).status).toBe(401);
    const retryAfter = await expectRefused(await attempt(clientSecret), 'lockout');
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    const lockout = network.logs
      .filter((line) => line.includes('locked out at /oauth/token'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lockout).toEqual([
      expect.objectContaining({ level: 40, clientId, failures: 3, lockoutSeconds: 600 }),
    ]);
    // Another client id is not affected.
    const other = await createApiClient(network.graphqlUrl, partner.id);
    expect(
      (await exchangeClientCredentials(network.gateway.url, other.clientId, other.clientSecret))
        .status,
    ).toBe(200);
  }, 30_000);

  it('treat an unknown client id exactly like a known one, so a refusal tells nothing', async () => {
    const unknown = `pc_${'x'.repeat(16)}`;
    const attempt = () => exchangeClientCredentials(network.gateway.url, unknown, 'guess');
    expect((await attempt()).status).toBe(401);
    expect((await attempt()).status).toBe(401);
    await expectRefused(await attempt(), 'wait');
  });
});
