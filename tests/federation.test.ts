import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, eventually, gql, tokenFor } from './support/graphql';
import {
  createApiClient,
  enrolMember,
  exchangeClientCredentials,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { startTestNetwork, type TestNetwork } from './support/network';

let network: TestNetwork;
let aldo: OnboardedPartner;
let brewer: OnboardedPartner;
let ann: { id: string; cardNumber: string };
let bob: { id: string; cardNumber: string };

beforeAll(async () => {
  network = await startTestNetwork('federation');
  aldo = await onboardPartner(network.graphqlUrl, 'Aldo Markets', [
    'Berlin Mitte',
    'Hamburg Hafen',
  ]);
  brewer = await onboardPartner(network.graphqlUrl, 'Brewer Coffee', ['Kreuzberg']);
  ann = await enrolMember(network.graphqlUrl, 'Ann Example');
  bob = await enrolMember(network.graphqlUrl, 'Bob Example');
  await linkPartner(
    network.graphqlUrl,
    ann.id,
    aldo.id,
    tokenFor({ role: 'member', sub: `member:${ann.id}`, memberId: ann.id }),
  );
});

afterAll(async () => {
  await network?.stop();
});

const MEMBER_ACROSS_SUBGRAPHS = `
  query MemberAcross($id: ID!) {
    member(id: $id) {
      id
      cardNumber
      name
      linkedPartners {
        id
        name
        stores { name }
        settlementCycles(first: 5) { edges { node { id status } } pageInfo { hasNextPage } }
      }
    }
  }`;

interface MemberAcross {
  member: {
    id: string;
    cardNumber: string;
    name: string | null;
    linkedPartners: {
      id: string;
      name: string;
      stores: { name: string }[];
      settlementCycles: { edges: unknown[]; pageInfo: { hasNextPage: boolean } };
    }[];
  } | null;
}

describe('one query through the gateway', () => {
  it('returns a member (member subgraph) with linked partners and stores (partner-merchant) and their settlement cycles (settlement)', async () => {
    const response = await gql<MemberAcross>(network.graphqlUrl, MEMBER_ACROSS_SUBGRAPHS, {
      id: ann.id,
    });
    expect(response.errors).toBeUndefined();
    expect(response.data?.member).toEqual({
      id: ann.id,
      cardNumber: ann.cardNumber,
      name: 'Ann Example',
      linkedPartners: [
        {
          id: aldo.id,
          name: 'Aldo Markets',
          stores: [{ name: 'Berlin Mitte' }, { name: 'Hamburg Hafen' }],
          settlementCycles: { edges: [], pageInfo: { hasNextPage: false } },
        },
      ],
    });
  });

  it('lets the member see themself through `me` with a member token', async () => {
    const token = tokenFor({ role: 'member', sub: `member:${ann.id}`, memberId: ann.id });
    const response = await gql<{ me: { id: string; linkedPartners: { name: string }[] } }>(
      network.graphqlUrl,
      '{ me { id linkedPartners { name } } }',
      {},
      token,
    );
    expect(response.data?.me).toEqual({ id: ann.id, linkedPartners: [{ name: 'Aldo Markets' }] });
  });

  it('carries one request id from the gateway into every subgraph it calls', async () => {
    const requestId = `walkthrough-${Date.now()}`;
    const response = await gql(
      network.graphqlUrl,
      MEMBER_ACROSS_SUBGRAPHS,
      { id: ann.id },
      undefined,
      { 'x-request-id': requestId },
    );
    expect(response.headers.get('x-request-id')).toBe(requestId);
    const services = await eventually(
      async () => {
        const seen = new Set(
          network.logs
            .filter((line) => line.includes(requestId))
            .map((line) => (JSON.parse(line) as { service?: string }).service),
        );
        return seen.size >= 4 ? seen : undefined;
      },
      5_000,
      'log lines with the request id from all four services',
    );
    expect([...services].sort()).toEqual(['gateway', 'member', 'partner-merchant', 'settlement']);
  });
});

describe('event feeds between the services', () => {
  it('carries partners to the member service and member facts to settlement', async () => {
    const status = await eventually(
      async () => {
        const response = await gql<{
          partnerFeedStatus: { factsApplied: number };
          memberFeedStatus: { factsApplied: number; position: string };
        }>(
          network.graphqlUrl,
          '{ partnerFeedStatus { factsApplied } memberFeedStatus { factsApplied position } }',
        );
        const data = response.data;
        // Two partners onboarded; two enrolments and one link.
        return data &&
          data.partnerFeedStatus.factsApplied >= 2 &&
          data.memberFeedStatus.factsApplied >= 3
          ? data
          : undefined;
      },
      15_000,
      'both feeds to catch up',
    );
    expect(status.partnerFeedStatus.factsApplied).toBe(2);
    expect(status.memberFeedStatus.factsApplied).toBe(3);
    expect(status.memberFeedStatus.position).toMatch(/^\d+\.\d+$/);
  });
});

describe('partners authenticate with client credentials', () => {
  it('exchanges a client id and secret at the gateway for a partner token that sees only its own partner', async () => {
    const { clientId, clientSecret } = await createApiClient(network.graphqlUrl, aldo.id);
    const exchange = await exchangeClientCredentials(network.gateway.url, clientId, clientSecret);
    expect(exchange.status).toBe(200);
    const body = (await exchange.json()) as {
      access_token: string;
      token_type: string;
      expires_in: number;
    };
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBeGreaterThan(0);

    const own = await gql<{ partner: { name: string; legalEntity: string } | null }>(
      network.graphqlUrl,
      'query P($id: ID!) { partner(id: $id) { name legalEntity } }',
      { id: aldo.id },
      body.access_token,
    );
    expect(own.data?.partner).toEqual({ name: 'Aldo Markets', legalEntity: 'Aldo Markets Ltd' });
    const other = await gql<{ partner: unknown }>(
      network.graphqlUrl,
      'query P($id: ID!) { partner(id: $id) { name } }',
      { id: brewer.id },
      body.access_token,
    );
    expect(other.data?.partner).toBeNull();
    const list = await gql(
      network.graphqlUrl,
      '{ partners { edges { node { id } } } }',
      {},
      body.access_token,
    );
    expect(codesOf(list)).toEqual(['FORBIDDEN']);
  });

  it('binds terminal credentials to their store', async () => {
    const store = aldo.stores[0]!;
    const { clientId, clientSecret } = await createApiClient(network.graphqlUrl, aldo.id, store.id);
    const body = (await (
      await exchangeClientCredentials(network.gateway.url, clientId, clientSecret)
    ).json()) as { access_token: string };
    const [, payload] = body.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      role: 'terminal',
      partnerId: aldo.id,
      storeId: store.id,
      sub: clientId,
    });
  });

  it('refuses a wrong secret and a revoked client', async () => {
    const { clientId, clientSecret } = await createApiClient(network.graphqlUrl, brewer.id);
    expect(
      (await exchangeClientCredentials(network.gateway.url, clientId, `${clientSecret}x`)).status,
    ).toBe(401);
    const revoked = await gql(
      network.graphqlUrl,
      'mutation R($c: String!) { revokeApiClient(clientId: $c) { revokedAt } }',
      { c: clientId },
    );
    expect(revoked.errors).toBeUndefined();
    const refused = await exchangeClientCredentials(network.gateway.url, clientId, clientSecret);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
  });
});

describe('what each viewer may see', () => {
  it('shows a partner only the members who linked it, and hides other partners from the links', async () => {
    const aldoToken = tokenFor({ role: 'partner', sub: 'partner:aldo', partnerId: aldo.id });
    const brewerToken = tokenFor({ role: 'partner', sub: 'partner:brewer', partnerId: brewer.id });
    await linkPartner(network.graphqlUrl, ann.id, brewer.id);

    const asAldo = await gql<{ member: { name: string; linkedPartners: { id: string }[] } | null }>(
      network.graphqlUrl,
      'query M($id: ID!) { member(id: $id) { name linkedPartners { id } } }',
      { id: ann.id },
      aldoToken,
    );
    expect(asAldo.data?.member).toEqual({ name: 'Ann Example', linkedPartners: [{ id: aldo.id }] });

    const bobAsBrewer = await gql<{ member: unknown }>(
      network.graphqlUrl,
      'query M($id: ID!) { member(id: $id) { name } }',
      { id: bob.id },
      brewerToken,
    );
    expect(bobAsBrewer.data?.member).toBeNull();
  });

  it('lets a till find a member by card but shows the name only to linked partners', async () => {
    const terminal = tokenFor({
      role: 'terminal',
      sub: 'terminal:t1',
      partnerId: brewer.id,
      storeId: brewer.stores[0]!.id,
    });
    const response = await gql<{
      memberByCard: { id: string; name: string | null; email: string | null } | null;
    }>(
      network.graphqlUrl,
      'query C($card: String!) { memberByCard(cardNumber: $card) { id name email } }',
      { card: bob.cardNumber.replace(/(\d{4})/g, '$1 ').trim() },
      terminal,
    );
    expect(response.data?.memberByCard).toEqual({ id: bob.id, name: null, email: null });
  });

  it('never shows one member another member', async () => {
    const asBob = tokenFor({ role: 'member', sub: `member:${bob.id}`, memberId: bob.id });
    const response = await gql<{ member: unknown }>(
      network.graphqlUrl,
      'query M($id: ID!) { member(id: $id) { id } }',
      { id: ann.id },
      asBob,
    );
    expect(response.data?.member).toBeNull();
    const link = await gql(
      network.graphqlUrl,
      'mutation L($m: ID!, $p: ID!) { linkPartner(memberId: $m, partnerId: $p) { id } }',
      { m: ann.id, p: aldo.id },
      asBob,
    );
    expect(codesOf(link)).toEqual(['FORBIDDEN']);
  });

  it("refuses a partner another partner's settlement cycles, even asked straight at the subgraph", async () => {
    const brewerToken = tokenFor({ role: 'partner', sub: 'partner:brewer', partnerId: brewer.id });
    const viaGateway = await gql<MemberAcross>(
      network.graphqlUrl,
      MEMBER_ACROSS_SUBGRAPHS,
      { id: ann.id },
      brewerToken,
    );
    expect(viaGateway.errors).toBeUndefined();
    expect(viaGateway.data?.member?.linkedPartners.map((p) => p.id)).toEqual([brewer.id]);

    const direct = await gql(
      `${network.services.settlement.url}/graphql`,
      'query E($r: [_Any!]!) { _entities(representations: $r) { ... on Partner { settlementCycles { edges { cursor } } } } }',
      { r: [{ __typename: 'Partner', id: aldo.id }] },
      brewerToken,
    );
    expect(codesOf(direct)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(direct.errors)).not.toContain(aldo.id);
  });
});

describe('bad input is refused with a code and writes nothing', () => {
  it.each([
    ['an unknown currency', { settlementCurrency: 'XYZ' }, 'settlementCurrency'],
    [
      'an unknown time zone',
      { stores: [{ name: 'S', kind: 'PHYSICAL', address: 'a', timeZone: 'Mars/Olympus' }] },
      'stores.0.timeZone',
    ],
    [
      'a physical store without address',
      { stores: [{ name: 'S', kind: 'PHYSICAL', timeZone: 'UTC' }] },
      'stores.0.address',
    ],
    [
      'two stores with one name',
      {
        stores: [
          { name: 'S', kind: 'ONLINE', timeZone: 'UTC' },
          { name: 's', kind: 'ONLINE', timeZone: 'UTC' },
        ],
      },
      'stores.1.name',
    ],
    ['a blank name', { name: '   ' }, 'name'],
  ])('refuses %s', async (_, override, field) => {
    const input = {
      name: `Partner ${Math.random()}`,
      legalEntity: 'L',
      category: 'FUEL',
      settlementCurrency: 'EUR',
      stores: [],
      ...override,
    };
    const before = await gql<{ partners: { edges: unknown[] } }>(
      network.graphqlUrl,
      '{ partners(first: 100) { edges { cursor } } }',
    );
    const response = await gql(
      network.graphqlUrl,
      'mutation O($input: OnboardPartnerInput!) { onboardPartner(input: $input) { id } }',
      { input },
    );
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.extensions?.field).toBe(field);
    const after = await gql<{ partners: { edges: unknown[] } }>(
      network.graphqlUrl,
      '{ partners(first: 100) { edges { cursor } } }',
    );
    expect(after.data?.partners.edges).toHaveLength(before.data!.partners.edges.length);
  });

  it('refuses a duplicate partner name with CONFLICT', async () => {
    const response = await gql(
      network.graphqlUrl,
      'mutation O($input: OnboardPartnerInput!) { onboardPartner(input: $input) { id } }',
      {
        input: {
          name: 'aldo markets',
          legalEntity: 'L',
          category: 'FUEL',
          settlementCurrency: 'EUR',
          stores: [],
        },
      },
    );
    expect(codesOf(response)).toEqual(['CONFLICT']);
  });

  it('refuses a card number with a wrong check digit', async () => {
    const wrong = ann.cardNumber.slice(0, 15) + String((Number(ann.cardNumber.at(-1)) + 1) % 10);
    const response = await gql(
      network.graphqlUrl,
      'query C($card: String!) { memberByCard(cardNumber: $card) { id } }',
      { card: wrong },
    );
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses malformed ids and page sizes', async () => {
    const link = await gql(
      network.graphqlUrl,
      'mutation { linkPartner(memberId: "42", partnerId: "x") { id } }',
    );
    expect(codesOf(link)).toEqual(['BAD_USER_INPUT']);
    const page = await gql(network.graphqlUrl, '{ members(first: 101) { edges { cursor } } }');
    expect(codesOf(page)).toEqual(['BAD_USER_INPUT']);
    expect(page.errors?.[0]?.message).toBe('first must be between 0 and 100.');
    const cursor = await gql(
      network.graphqlUrl,
      '{ members(after: "bm90LWEtY3Vyc29y") { edges { cursor } } }',
    );
    expect(codesOf(cursor)).toEqual(['BAD_USER_INPUT']);
  });

  it('pages through members with opaque cursors, as Relay connections', async () => {
    type Page = {
      members: {
        edges: { cursor: string; node: { id: string } }[];
        pageInfo: {
          hasNextPage: boolean;
          hasPreviousPage: boolean;
          startCursor: string | null;
          endCursor: string | null;
        };
      };
    };
    const PAGE = `query N($first: Int, $after: String) { members(first: $first, after: $after) {
      edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
    const first = await gql<Page>(network.graphqlUrl, PAGE, { first: 1 });
    const second = await gql<Page>(network.graphqlUrl, PAGE, {
      first: 1,
      after: first.data!.members.pageInfo.endCursor,
    });
    expect(first.data!.members.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: first.data!.members.edges[0]!.cursor,
      endCursor: first.data!.members.edges[0]!.cursor,
    });
    expect(second.data!.members.pageInfo).toMatchObject({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: second.data!.members.edges[0]!.cursor,
    });
    // first: 0, which the Relay specification allows: no edges, only whether there are any.
    const none = await gql<Page>(network.graphqlUrl, PAGE, { first: 0 });
    expect(none.data!.members).toEqual({
      edges: [],
      pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    expect(
      [first.data!.members.edges[0]!.node.id, second.data!.members.edges[0]!.node.id].sort(),
    ).toEqual([ann.id, bob.id].sort());
  });
});

describe('each subgraph checks the token itself', () => {
  it.each(['member', 'partner-merchant', 'settlement'] as const)(
    'rejects a request sent straight to %s without a valid token',
    async (name) => {
      const url = `${network.services[name].url}/graphql`;
      const without = await gql(url, '{ __typename }', {}, null);
      expect(without.status).toBe(401);
      expect(codesOf(without)).toEqual(['UNAUTHENTICATED']);
      const forged = await gql(
        url,
        '{ __typename }',
        {},
        'eyJhbGciOiJIUzI1NiIsImtpZCI6ImsifQ.eyJyb2xlIjoib3BlcmF0b3IifQ.c2ln',
      );
      expect(forged.status).toBe(401);
      expect(without.data ?? null).toBeNull();
    },
  );

  it.each(['member', 'partner-merchant', 'settlement', 'gateway'] as const)(
    '%s answers health and readiness',
    async (name) => {
      const base = name === 'gateway' ? network.gateway.url : network.services[name].url;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    },
  );
});

describe('a subgraph that is down', () => {
  it('nulls only its own fields, with a coded error that names the service and not its address', async () => {
    await network.services.settlement.stop();
    const response = await gql<MemberAcross>(network.graphqlUrl, MEMBER_ACROSS_SUBGRAPHS, {
      id: ann.id,
    });
    const member = response.data?.member;
    expect(member?.name).toBe('Ann Example');
    expect(member?.linkedPartners[0]?.name).toBe('Aldo Markets');
    expect(member?.linkedPartners[0]?.stores).toHaveLength(2);
    expect(member?.linkedPartners[0]?.settlementCycles).toBeNull();
    expect(codesOf(response)).toContain('SERVICE_UNAVAILABLE');
    expect(response.errors?.[0]?.extensions?.serviceName).toBe('settlement');
    const text = JSON.stringify(response.errors);
    expect(text).not.toMatch(/127\.0\.0\.1|localhost|http:|ECONNREFUSED|stacktrace/);
    expect(text).not.toContain(String(network.services.settlement.port));
  });
});
