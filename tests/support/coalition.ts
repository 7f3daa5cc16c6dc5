import { expect } from 'vitest';
import { eventually, gql, operatorToken } from './graphql';

/** Small, typed steps of the walkthrough, through the gateway, shared by the end-to-end suites. */

export interface OnboardedPartner {
  id: string;
  name: string;
  stores: { id: string; name: string }[];
}

export async function onboardPartner(
  url: string,
  name: string,
  storeNames: string[] = ['Main Street'],
  token = operatorToken(),
  terms: {
    pointsPerCurrencyUnit?: number;
    returnWindowDays?: number;
    settlementCurrency?: string;
    burnPointsMin?: number;
    burnPointsMax?: number;
  } = {},
): Promise<OnboardedPartner> {
  const response = await gql<{ onboardPartner: OnboardedPartner }>(
    url,
    `mutation Onboard($input: OnboardPartnerInput!) { onboardPartner(input: $input) { id name stores { id name } } }`,
    {
      input: {
        name,
        legalEntity: `${name} Ltd`,
        category: 'GROCERY',
        settlementCurrency: terms.settlementCurrency ?? 'EUR',
        ...(terms.pointsPerCurrencyUnit === undefined
          ? {}
          : { pointsPerCurrencyUnit: terms.pointsPerCurrencyUnit }),
        ...(terms.returnWindowDays === undefined
          ? {}
          : { returnWindowDays: terms.returnWindowDays }),
        ...(terms.burnPointsMin === undefined ? {} : { burnPointsMin: terms.burnPointsMin }),
        ...(terms.burnPointsMax === undefined ? {} : { burnPointsMax: terms.burnPointsMax }),
        stores: storeNames.map((storeName) => ({
          name: storeName,
          kind: 'PHYSICAL',
          address: `1 ${storeName}`,
          timeZone: 'Europe/Berlin',
        })),
      },
    },
    token,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.onboardPartner;
}

export async function createApiClient(
  url: string,
  partnerId: string,
  storeId?: string,
): Promise<{ clientId: string; clientSecret: string }> {
  const response = await gql<{
    createApiClient: { client: { clientId: string }; clientSecret: string };
  }>(
    url,
    `mutation Client($partnerId: ID!, $storeId: ID) {
       createApiClient(partnerId: $partnerId, storeId: $storeId, label: "test") { client { clientId } clientSecret }
     }`,
    { partnerId, storeId: storeId ?? null },
  );
  expect(response.errors).toBeUndefined();
  return {
    clientId: response.data!.createApiClient.client.clientId,
    clientSecret: response.data!.createApiClient.clientSecret,
  };
}

export async function exchangeClientCredentials(
  gatewayUrl: string,
  clientId: string,
  clientSecret: string,
): Promise<Response> {
  return fetch(`${gatewayUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
}

export async function enrolMember(
  url: string,
  name: string,
  token = operatorToken(),
): Promise<{ id: string; cardNumber: string }> {
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}.${Math.random().toString(36).slice(2, 8)}@example.com`;
  const response = await gql<{ enrolMember: { id: string; cardNumber: string } }>(
    url,
    `mutation Enrol($input: EnrolMemberInput!) { enrolMember(input: $input) { id cardNumber } }`,
    { input: { name, email } },
    token,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.enrolMember;
}

/** Links a partner once the member service's replica has heard of it (the partner feed is asynchronous). */
export async function linkPartner(
  url: string,
  memberId: string,
  partnerId: string,
  token = operatorToken(),
): Promise<void> {
  await eventually(
    async () => {
      const response = await gql(
        url,
        `mutation Link($m: ID!, $p: ID!) { linkPartner(memberId: $m, partnerId: $p) { id } }`,
        { m: memberId, p: partnerId },
        token,
      );
      if (response.errors?.[0]?.extensions?.code === 'NOT_FOUND') return undefined;
      expect(response.errors).toBeUndefined();
      return true;
    },
    15_000,
    'the partner to reach the member service',
  );
}
