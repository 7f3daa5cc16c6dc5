import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../shared/src/service/subgraph-service';
import { loadPartnerConfig } from '../subgraphs/partner-merchant/src/config';
import { startPartnerService } from '../subgraphs/partner-merchant/src/server';
import { onboardPartner } from './support/coalition';
import { freshDatabaseUrl, keysDir } from './support/databases';
import { gql, type GraphQLResponse } from './support/graphql';

/**
 * README, Architecture: "introspection and stack traces off when NODE_ENV=production". A bug (here
 * a table gone from under the service) must reach a production caller as a bare
 * INTERNAL_SERVER_ERROR, with no SQL, table name or stack, while a developer sees all of it; a
 * business error (BAD_USER_INPUT) is never a stack trace, in either mode.
 */

type Mode = 'production' | 'development';

interface Subject {
  service: RunningService;
  graphqlUrl: string;
  databaseUrl: string;
  partnerId: string;
}

async function startPartnerIn(mode: Mode): Promise<Subject> {
  const databaseUrl = freshDatabaseUrl(`production_mode_${mode}`);
  const service = await startPartnerService(
    loadPartnerConfig({
      NODE_ENV: mode,
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      PORT: '0',
      JWT_KEYS_DIR: keysDir(),
      DATABASE_URL: databaseUrl,
    }),
  );
  const graphqlUrl = `${service.url}/graphql`;
  const partner = await onboardPartner(graphqlUrl, `Aldo Markets (${mode})`, ['Berlin Mitte']);
  return { service, graphqlUrl, databaseUrl, partnerId: partner.id };
}

/** Breaks the service's database behind its back: the next read of stores fails inside the driver. */
async function dropStoreTable(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // api_client references store; CASCADE drops only that foreign key, not the other table.
    await client.query('DROP TABLE store CASCADE');
  } finally {
    await client.end();
  }
}

const ONBOARD_WITH_UNKNOWN_CURRENCY = `mutation Onboard($input: OnboardPartnerInput!) { onboardPartner(input: $input) { id } }`;
const unknownCurrencyInput = (name: string) => ({
  input: {
    name,
    legalEntity: `${name} GmbH`,
    category: 'GROCERY',
    settlementCurrency: 'XYZ',
    stores: [{ name: 'Online', kind: 'ONLINE', timeZone: 'Europe/Berlin' }],
  },
});
const STORES_OF_PARTNER = `query Stores($id: ID!) { partner(id: $id) { id stores { id name } } }`;
const INTROSPECTION = '{ __schema { types { name } } }';

const onlyError = (response: GraphQLResponse<unknown>) => {
  expect(response.errors).toHaveLength(1);
  const [error] = response.errors ?? [];
  if (!error) throw new Error('expected an error');
  return error;
};

describe('a subgraph with NODE_ENV=production', () => {
  let subject: Subject;

  beforeAll(async () => {
    subject = await startPartnerIn('production');
  });

  afterAll(async () => {
    await subject?.service.stop();
  });

  it('refuses introspection: an error and no data', async () => {
    const response = await gql(subject.graphqlUrl, INTROSPECTION);

    expect(response.data).toBeUndefined();
    expect(onlyError(response).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(response.errors)).toMatch(/introspection/i);
    expect(JSON.stringify(response.errors)).not.toMatch(/PartnerCategory|OnboardPartnerInput/);
  });

  it('still answers ordinary queries', async () => {
    const response = await gql(subject.graphqlUrl, STORES_OF_PARTNER, { id: subject.partnerId });

    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      partner: {
        id: subject.partnerId,
        stores: [{ id: expect.any(String), name: 'Berlin Mitte' }],
      },
    });
  });

  it('answers a business error with its code and message, without a stack trace', async () => {
    const response = await gql(
      subject.graphqlUrl,
      ONBOARD_WITH_UNKNOWN_CURRENCY,
      unknownCurrencyInput('Currency Test Prod'),
    );

    const error = onlyError(response);
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'settlementCurrency' });
    expect(error.message).toMatch(/settlementCurrency/);
    expect(response.data).toBeNull();
  });

  // Last in this block: it breaks the service's database.
  it('turns an unexpected database failure into a bare INTERNAL_SERVER_ERROR: no message, SQL, table or stack', async () => {
    await dropStoreTable(subject.databaseUrl);
    const response = await gql(subject.graphqlUrl, STORES_OF_PARTNER, { id: subject.partnerId });

    expect(response.status).toBe(200);
    // stores is non-null, so the failure nulls the partner: the error still says where it happened.
    expect(response.data).toEqual({ partner: null });
    expect(response.errors).toEqual([
      {
        message: 'Internal server error.',
        path: ['partner', 'stores'],
        locations: [expect.any(Object)],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    const text = JSON.stringify(response.errors);
    for (const leak of [
      /stacktrace/i,
      /relation/i,
      /does not exist/i,
      /SELECT/i,
      /"Store"/,
      /QueryFailed/i,
      /\.ts:\d+/,
      /node_modules/,
    ]) {
      expect(text).not.toMatch(leak);
    }
  });
});

describe('a subgraph with NODE_ENV=development', () => {
  let subject: Subject;

  beforeAll(async () => {
    subject = await startPartnerIn('development');
  });

  afterAll(async () => {
    await subject?.service.stop();
  });

  it('allows introspection', async () => {
    const response = await gql<{ __schema: { types: { name: string }[] } }>(
      subject.graphqlUrl,
      INTROSPECTION,
    );

    expect(response.errors).toBeUndefined();
    expect(response.data?.__schema.types.map((type) => type.name)).toEqual(
      expect.arrayContaining(['Partner', 'Store', 'OnboardPartnerInput']),
    );
  });

  it('answers a business error with its code and message, without a stack trace', async () => {
    const response = await gql(
      subject.graphqlUrl,
      ONBOARD_WITH_UNKNOWN_CURRENCY,
      unknownCurrencyInput('Currency Test Dev'),
    );

    const error = onlyError(response);
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'settlementCurrency' });
    expect(error.message).toMatch(/settlementCurrency/);
  });

  // Last in this block: it breaks the service's database.
  it('keeps the message and stack trace of an unexpected failure for the developer', async () => {
    await dropStoreTable(subject.databaseUrl);
    const response = await gql(subject.graphqlUrl, STORES_OF_PARTNER, { id: subject.partnerId });

    expect(response.data).toEqual({ partner: null });
    const error = onlyError(response);
    expect(error.path).toEqual(['partner', 'stores']);
    expect(error.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(error.message).toMatch(/relation "store" does not exist/);
    const stacktrace = error.extensions?.stacktrace;
    expect(Array.isArray(stacktrace)).toBe(true);
    expect((stacktrace as unknown[]).length).toBeGreaterThan(1);
    expect((stacktrace as string[]).join('\n')).toMatch(/QueryFailedError/);
  });
});
