import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../gateway/src/config';
import { onboardPartner, type OnboardedPartner } from './support/coalition';
import { codesOf, eventually, gql, operatorToken, tokenFor } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase } from './support/sql';

/**
 * Browsers on a partner's web origin call the gateway: the partner allows its origin
 * (addPartnerWebOrigin), the gateway answers that origin's CORS preflight and requests, and
 * gives any other origin no CORS header at all.
 */

let network: TestNetwork;
let shop: OnboardedPartner;
let other: OnboardedPartner;
let shopToken: string;

const CONSOLE = 'https://console.example.com';
const SHOP = 'https://shop.example.com';

const ADD = `mutation Add($p: ID!, $o: String!) { addPartnerWebOrigin(partnerId: $p, origin: $o) { origin addedBy } }`;
const REMOVE = `mutation Remove($p: ID!, $o: String!) { removePartnerWebOrigin(partnerId: $p, origin: $o) }`;

/** A browser's preflight for a GraphQL POST with a bearer token. */
const preflight = (origin: string) =>
  fetch(`${network.gateway.url}/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });

beforeAll(async () => {
  network = await startTestNetwork('cors', { CORS_REFRESH_MS: '200', CORS_ORIGINS: CONSOLE });
  shop = await onboardPartner(network.graphqlUrl, 'Cors Shop');
  other = await onboardPartner(network.graphqlUrl, 'Cors Other');
  shopToken = tokenFor({ role: 'partner', sub: 'partner:cors-shop', partnerId: shop.id });
});

afterAll(async () => {
  await network?.stop();
});

describe('CORS at the gateway', () => {
  it("answers a partner's origin once the partner allows it, and no other", async () => {
    expect((await preflight(SHOP)).headers.get('access-control-allow-origin')).toBeNull();
    const added = await gql(
      network.graphqlUrl,
      ADD,
      { p: shop.id, o: 'https://Shop.Example.com' },
      shopToken,
    );
    expect(added.errors).toBeUndefined();
    // Normalised as browsers send it; who added it is the operator's business.
    expect(added.data).toEqual({ addPartnerWebOrigin: { origin: SHOP, addedBy: null } });

    const answered = await eventually(async () => {
      const response = await preflight(SHOP);
      return response.headers.get('access-control-allow-origin') === SHOP ? response : undefined;
    }, 10_000);
    expect(answered.status).toBe(204);
    expect(answered.headers.get('access-control-allow-methods')).toContain('POST');
    expect(answered.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(answered.headers.get('access-control-allow-credentials')).toBeNull();

    const request = await fetch(network.graphqlUrl, {
      method: 'POST',
      headers: {
        origin: SHOP,
        authorization: `Bearer ${shopToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(request.status).toBe(200);
    expect(request.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(request.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(request.headers.get('vary')).toContain('Origin');

    const stranger = await preflight('https://evil.example.com');
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("answers the operator's own origins from CORS_ORIGINS", async () => {
    expect((await preflight(CONSOLE)).headers.get('access-control-allow-origin')).toBe(CONSOLE);
  });

  it('stops answering an origin the partner removes', async () => {
    const origin = 'https://app.example.com';
    expect(
      (await gql(network.graphqlUrl, ADD, { p: shop.id, o: origin }, shopToken)).errors,
    ).toBeUndefined();
    await eventually(
      async () => (await preflight(origin)).headers.get('access-control-allow-origin') === origin,
      10_000,
    );
    const removed = await gql(network.graphqlUrl, REMOVE, { p: shop.id, o: origin }, shopToken);
    expect(removed.data).toEqual({ removePartnerWebOrigin: true });
    await eventually(
      async () => (await preflight(origin)).headers.get('access-control-allow-origin') === null,
      10_000,
    );
    const again = await gql(network.graphqlUrl, REMOVE, { p: shop.id, o: origin }, shopToken);
    expect(codesOf(again)).toEqual(['NOT_FOUND']);
  });

  it('refuses what is not an origin, writing nothing', async () => {
    for (const origin of [
      'http://shop.example.com',
      'https://shop.example.com/checkout',
      '*',
      'https://*.example.com',
    ]) {
      const refused = await gql(network.graphqlUrl, ADD, { p: shop.id, o: origin }, shopToken);
      expect(codesOf(refused), origin).toEqual(['BAD_USER_INPUT']);
    }
    const twice = await gql(network.graphqlUrl, ADD, { p: shop.id, o: SHOP }, shopToken);
    expect(codesOf(twice)).toEqual(['CONFLICT']);
    const listed = await gql<{ partner: { webOrigins: { origin: string }[] } }>(
      network.graphqlUrl,
      'query P($id: ID!) { partner(id: $id) { webOrigins { origin } } }',
      { id: shop.id },
      shopToken,
    );
    expect(listed.data?.partner.webOrigins).toEqual([{ origin: SHOP }]);
  });

  it("lets only operators and the partner itself change or read a partner's origins", async () => {
    const otherToken = tokenFor({
      role: 'partner',
      sub: 'partner:cors-other',
      partnerId: other.id,
    });
    const till = tokenFor({
      role: 'terminal',
      sub: 'terminal:cors',
      partnerId: shop.id,
      storeId: shop.stores[0]!.id,
    });
    for (const token of [otherToken, till]) {
      const refused = await gql(
        network.graphqlUrl,
        ADD,
        { p: shop.id, o: 'https://x.example.com' },
        token,
      );
      expect(codesOf(refused)).toEqual(['FORBIDDEN']);
    }
    const hidden = await gql<{ partner: { webOrigins: unknown } | null }>(
      network.graphqlUrl,
      'query P($id: ID!) { partner(id: $id) { webOrigins { origin } } }',
      { id: shop.id },
      otherToken,
    );
    // Another partner sees nothing of it: not the partner's origins, not the origin itself.
    expect(hidden.data?.partner?.webOrigins ?? null).toBeNull();
    expect(JSON.stringify(hidden)).not.toContain(SHOP);
    const byOperator = await gql<{
      partner: { webOrigins: { origin: string; addedBy: string }[] };
    }>(
      network.graphqlUrl,
      'query P($id: ID!) { partner(id: $id) { webOrigins { origin addedBy } } }',
      { id: shop.id },
      operatorToken(),
    );
    expect(byOperator.data?.partner.webOrigins).toEqual([
      { origin: SHOP, addedBy: 'partner:cors-shop' },
    ]);
  });

  it('keeps an audit trail of every change', async () => {
    const db = openDatabase(network.databaseUrls['partner-merchant']);
    try {
      const changes = await db.rows<{ origin: string; action: string; changed_by: string }>(
        'SELECT origin, action, changed_by FROM partner_web_origin_change WHERE partner_id = $1 ORDER BY changed_at, action',
        [shop.id],
      );
      expect(changes).toEqual([
        { origin: SHOP, action: 'ADDED', changed_by: 'partner:cors-shop' },
        { origin: 'https://app.example.com', action: 'ADDED', changed_by: 'partner:cors-shop' },
        { origin: 'https://app.example.com', action: 'REMOVED', changed_by: 'partner:cors-shop' },
      ]);
    } finally {
      await db.close();
    }
  });
});

describe('CORS_ORIGINS', () => {
  it('refuses to start the gateway with an origin it cannot use, naming it', () => {
    expect(() =>
      loadGatewayConfig({
        JWT_KEYS_DIR: '/keys',
        CORS_ORIGINS: `${CONSOLE}, http://intranet.example.com`,
      }),
    ).toThrow(/CORS_ORIGINS.*http:\/\/intranet\.example\.com must use https/);
  });
});
