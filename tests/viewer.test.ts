import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicSchemaPath } from '../gateway/src/compose';
import {
  createApiClient,
  enrolMember,
  exchangeClientCredentials,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, gql, operatorToken, tokenFor } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';

/**
 * What an integrator asks first: who is this token (`viewer`), and what does the API look like
 * (the SDL at GET /schema.graphql, no token needed). Over the whole network, tokens obtained the
 * way integrators obtain them.
 */

let network: TestNetwork;
let url: string;
let partner: OnboardedPartner;

const viewerQuery = `{ viewer { role subject scopes member { id cardNumber } partner { id name } store { id name } } }`;

async function clientToken(partnerId: string, storeId?: string): Promise<string> {
  const { clientId, clientSecret } = await createApiClient(url, partnerId, storeId);
  const response = await exchangeClientCredentials(network.gateway.url, clientId, clientSecret);
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

beforeAll(async () => {
  network = await startTestNetwork('viewer');
  url = network.graphqlUrl;
  partner = await onboardPartner(url, 'Viewer Foods', ['Harbour', 'Station']);
});

afterAll(async () => {
  await network?.stop();
});

describe('the viewer query', () => {
  it('tells a till which store and partner it belongs to', async () => {
    const station = partner.stores[1]!;
    const token = await clientToken(partner.id, station.id);
    const response = await gql(url, viewerQuery, {}, token);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      viewer: {
        role: 'TERMINAL',
        subject: expect.stringMatching(/\S/),
        scopes: ['pos'],
        member: null,
        partner: { id: partner.id, name: 'Viewer Foods' },
        store: { id: station.id, name: 'Station' },
      },
    });
  });

  it('tells a partner back office its partner and its scopes, and no store', async () => {
    const response = await gql(url, viewerQuery, {}, await clientToken(partner.id));
    expect(response.data?.viewer).toMatchObject({
      role: 'PARTNER',
      scopes: ['partner:self', 'partner:configure', 'pos', 'members:consented'],
      member: null,
      partner: { id: partner.id, name: 'Viewer Foods' },
      store: null,
    });
  });

  it('tells a member who they are', async () => {
    const member = await enrolMember(url, 'Vera Viewer');
    const token = tokenFor({ role: 'member', sub: `member:${member.id}`, memberId: member.id });
    const response = await gql(url, viewerQuery, {}, token);
    expect(response.data?.viewer).toEqual({
      role: 'MEMBER',
      subject: `member:${member.id}`,
      scopes: ['member:self', 'wallet:self'],
      member: { id: member.id, cardNumber: member.cardNumber },
      partner: null,
      store: null,
    });
  });

  it('tells an operator it is one', async () => {
    const response = await gql(url, viewerQuery, {}, operatorToken());
    expect(response.data?.viewer).toMatchObject({
      role: 'OPERATOR',
      subject: 'operator:test',
      member: null,
      partner: null,
      store: null,
    });
  });

  it('refuses a service token (it reaches no GraphQL field) and a request without a token', async () => {
    const service = tokenFor({ role: 'service', sub: 'service:test' });
    expect(codesOf(await gql(url, viewerQuery, {}, service))).toEqual(['FORBIDDEN']);
    const anonymous = await gql(url, viewerQuery, {}, null);
    expect(anonymous.status).toBe(401);
    expect(codesOf(anonymous)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('the public schema', () => {
  it('is served without a token at GET /schema.graphql, exactly as committed in docs/schema.graphql', async () => {
    const response = await fetch(`${network.gateway.url}/schema.graphql`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe(readFileSync(publicSchemaPath, 'utf8'));
  });
});
