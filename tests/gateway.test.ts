import express from 'express';
import jwt from 'jsonwebtoken';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig, type GatewayConfig } from '../gateway/src/config';
import { startGateway, type RunningGateway } from '../gateway/src/server';
import { AUDIENCE, ISSUER, signToken, type Claims } from '../shared/src/auth/jwt';
import { ensureSigningKey, loadSigningKey } from '../shared/src/auth/keys';
import { ConfigError } from '../shared/src/config';
import { badInput, forbidden } from '../shared/src/errors';
import type { BaseContext } from '../shared/src/graphql/context';
import { limits } from '../shared/src/limits';
import { keysDir } from './support/databases';
import { freePort } from './support/free-port';
import { startStandInSubgraph, type StandInSubgraph } from './support/stand-in-subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';

const MEMBER_ID = '11111111-1111-4111-8111-111111111111';
const PARTNER_ID = '22222222-2222-4222-8222-222222222222';
const STORE_ID = '33333333-3333-4333-8333-333333333333';
const CYCLE_ID = '44444444-4444-4444-8444-444444444444';
const SLOW_SUBGRAPH_DELAY_MS = 5_000;
// Applies to every subgraph of that gateway: long enough for the healthy ones on a loaded machine.
const SHORT_TIMEOUT_MS = 1_000;

const member = {
  id: MEMBER_ID,
  cardNumber: '6006000000000001',
  name: 'Ada',
  email: 'ada@example.com',
  enrolledAt: '2026-01-01T00:00:00.000Z',
};
const partner = {
  id: PARTNER_ID,
  name: 'Fuel & Go',
  legalEntity: 'Fuel & Go GmbH',
  category: 'FUEL',
  settlementCurrency: 'EUR',
  status: 'ACTIVE',
  createdAt: '2026-01-01T00:00:00.000Z',
};
const store = {
  id: STORE_ID,
  name: 'Fuel & Go Mitte',
  kind: 'PHYSICAL',
  address: 'Torstr. 1, Berlin',
  timeZone: 'Europe/Berlin',
  createdAt: '2026-01-02T00:00:00.000Z',
};
const cycle = {
  id: CYCLE_ID,
  status: 'CLOSED',
  fromPosition: '0.0',
  cutoffPosition: '7.3',
  openedAt: '2026-01-01T00:00:00.000Z',
  closedAt: '2026-02-01T00:00:00.000Z',
};
const cycles = {
  edges: [{ cursor: 'c1', node: cycle }],
  pageInfo: { hasNextPage: false, endCursor: 'c1' },
};

const memberResolvers: GraphQLResolverMap<BaseContext> = {
  Query: {
    me: () => member,
    member: () => {
      throw forbidden('You may only see your own membership.');
    },
    memberByCard: () => {
      throw badInput('A card number has 16 digits.', 'cardNumber');
    },
  },
  Member: {
    __resolveReference: (reference: { id: string }) => (reference.id === MEMBER_ID ? member : null),
    linkedPartners: () => [{ id: PARTNER_ID }],
  },
};
const partnerResolvers: GraphQLResolverMap<BaseContext> = {
  Query: {
    partner: (_source: unknown, args: { id: string }) => (args.id === PARTNER_ID ? partner : null),
    store: (_source: unknown, args: { id: string }) => (args.id === STORE_ID ? store : null),
    partners: () => ({
      edges: [{ cursor: 'p1', node: partner }],
      pageInfo: { hasNextPage: false, endCursor: 'p1' },
    }),
  },
  Partner: {
    __resolveReference: (reference: { id: string }) =>
      reference.id === PARTNER_ID ? partner : null,
    stores: () => [store],
  },
  Store: {
    __resolveReference: (reference: { id: string }) => (reference.id === STORE_ID ? store : null),
    partner: () => partner,
  },
};
const settlementResolvers: GraphQLResolverMap<BaseContext> = {
  Query: { settlementCycles: () => cycles },
  Partner: { settlementCycles: () => cycles },
};

/** The partner-merchant token endpoint, as far as the gateway can tell: JSON or form body in, status and JSON out. */
function mountTokenEndpoint(app: express.Express): void {
  app.post('/oauth/token', express.urlencoded({ extended: false }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    res.setHeader('cache-control', 'no-store');
    if (body.client_id === 'pos-client' && body.client_secret === 'right-secret') {
      res.json({
        access_token: 'issued-token',
        token_type: 'Bearer',
        expires_in: 3600,
        request_id: req.header('x-request-id'),
      });
      return;
    }
    res.setHeader('www-authenticate', 'Basic realm="coalition"');
    res.status(401).json({
      error: 'invalid_client',
      error_description: 'Unknown client, wrong secret, or revoked credentials.',
    });
  });
}

interface GraphQLAnswer {
  status: number;
  requestId: string | null;
  /** The WWW-Authenticate challenge, on a 401. */
  challenge: string | null;
  data: Record<string, unknown> | null | undefined;
  errors: GraphQLFormattedError[];
  text: string;
}

async function post(
  gateway: RunningGateway,
  query: string,
  options: {
    token?: string;
    authorization?: string;
    requestId?: string;
    variables?: Record<string, unknown>;
  } = {},
): Promise<GraphQLAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const authorization =
    options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
  if (authorization) headers.authorization = authorization;
  if (options.requestId) headers['x-request-id'] = options.requestId;
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const text = await response.text();
  const body = JSON.parse(text) as {
    data?: Record<string, unknown> | null;
    errors?: GraphQLFormattedError[];
  };
  return {
    status: response.status,
    requestId: response.headers.get('x-request-id'),
    challenge: response.headers.get('www-authenticate'),
    data: body.data,
    errors: body.errors ?? [],
    text,
  };
}

function tokenFor(claims: Claims): string {
  return signToken(loadSigningKey(keysDir()), claims);
}

/** Nothing a client could use to find or fingerprint our internals. */
function expectNoInternals(text: string, ports: number[]): void {
  expect(text).not.toMatch(
    /127\.0\.0\.1|localhost|http|stacktrace|ECONNREFUSED|\bat .+\.(ts|js):\d+/i,
  );
  for (const port of ports) expect(text).not.toMatch(new RegExp(`\\b${port}\\b`));
}

describe('the gateway', () => {
  let memberSubgraph: StandInSubgraph;
  let partnerSubgraph: StandInSubgraph;
  let settlementSubgraph: StandInSubgraph;
  let slowPartnerSubgraph: StandInSubgraph;
  const gateways: RunningGateway[] = [];
  let gateway: RunningGateway;
  let operatorToken: string;
  let memberToken: string;

  async function gatewayWith(env: Record<string, string>): Promise<RunningGateway> {
    const config: GatewayConfig = loadGatewayConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      PORT: '0',
      JWT_KEYS_DIR: keysDir(),
      MEMBER_URL: memberSubgraph.graphqlUrl,
      PARTNER_MERCHANT_URL: partnerSubgraph.graphqlUrl,
      SETTLEMENT_URL: settlementSubgraph.graphqlUrl,
      ...env,
    });
    const started = await startGateway(config);
    gateways.push(started);
    return started;
  }

  beforeAll(async () => {
    const keys = keysDir();
    [memberSubgraph, partnerSubgraph, settlementSubgraph, slowPartnerSubgraph] = await Promise.all([
      startStandInSubgraph('member', { keysDir: keys, resolvers: memberResolvers }),
      startStandInSubgraph('partner-merchant', {
        keysDir: keys,
        resolvers: partnerResolvers,
        mountRoutes: mountTokenEndpoint,
      }),
      startStandInSubgraph('settlement', { keysDir: keys, resolvers: settlementResolvers }),
      startStandInSubgraph('partner-merchant', {
        keysDir: keys,
        resolvers: partnerResolvers,
        delayMs: SLOW_SUBGRAPH_DELAY_MS,
      }),
    ]);
    gateway = await gatewayWith({});
    operatorToken = tokenFor({ role: 'operator', sub: 'operator-1' });
    memberToken = tokenFor({ role: 'member', sub: 'member-1', memberId: MEMBER_ID });
  });

  afterAll(async () => {
    await Promise.all(gateways.map((running) => running.stop()));
    await Promise.all(
      [memberSubgraph, partnerSubgraph, settlementSubgraph, slowPartnerSubgraph].map((subgraph) =>
        subgraph?.stop(),
      ),
    );
  });

  describe('authentication', () => {
    it('rejects a request without a token with 401 UNAUTHENTICATED and calls no subgraph', async () => {
      const requestId = `no-token-${randomUUID()}`;
      const answer = await post(gateway, '{ me { id } }', { requestId });
      expect(answer.status).toBe(401);
      // RFC 6750: the scheme and realm, and no error code when no token was sent.
      expect(answer.challenge).toBe('Bearer realm="coalition"');
      expect(answer.errors).toEqual([
        {
          message: 'A bearer token is required: send Authorization: Bearer <token>.',
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ]);
      expect(answer.data).toBeUndefined();
      expect(memberSubgraph.seen.filter((seen) => seen.requestId === requestId)).toEqual([]);
    });

    const key = () => loadSigningKey(keysDir());
    const badTokens: Array<[string, () => string]> = [
      ['a token that is not a JWT', () => 'Bearer not-a-jwt'],
      [
        'a token signed with another key under our key id',
        () => {
          const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
          const forged = jwt.sign(
            { role: 'operator', scope: 'operator' },
            privateKey.export({ type: 'pkcs8', format: 'pem' }),
            {
              algorithm: 'RS256',
              keyid: key().kid,
              subject: 'intruder',
              issuer: ISSUER,
              audience: AUDIENCE,
              expiresIn: 600,
            },
          );
          return `Bearer ${forged}`;
        },
      ],
      [
        'an expired token',
        () => {
          const expired = jwt.sign(
            { role: 'operator', scope: 'operator', exp: Math.floor(Date.now() / 1000) - 60 },
            key().privateKeyPem,
            {
              algorithm: 'RS256',
              keyid: key().kid,
              subject: 'operator-1',
              issuer: ISSUER,
              audience: AUDIENCE,
            },
          );
          return `Bearer ${expired}`;
        },
      ],
      [
        'a token that never expires',
        () => {
          const forever = jwt.sign({ role: 'operator', scope: 'operator' }, key().privateKeyPem, {
            algorithm: 'RS256',
            keyid: key().kid,
            subject: 'operator-1',
            issuer: ISSUER,
            audience: AUDIENCE,
          });
          return `Bearer ${forever}`;
        },
      ],
      [
        'a token minted to live a year',
        () => {
          const yearLong = jwt.sign({ role: 'operator', scope: 'operator' }, key().privateKeyPem, {
            algorithm: 'RS256',
            keyid: key().kid,
            subject: 'operator-1',
            issuer: ISSUER,
            audience: AUDIENCE,
            expiresIn: '365d',
          });
          return `Bearer ${yearLong}`;
        },
      ],
      [
        'a token for another audience',
        () => {
          const elsewhere = jwt.sign({ role: 'operator', scope: 'operator' }, key().privateKeyPem, {
            algorithm: 'RS256',
            keyid: key().kid,
            subject: 'operator-1',
            issuer: ISSUER,
            audience: 'another-api',
            expiresIn: 600,
          });
          return `Bearer ${elsewhere}`;
        },
      ],
    ];
    it.each(badTokens)('rejects %s with 401 UNAUTHENTICATED', async (_label, authorization) => {
      const answer = await post(gateway, '{ me { id } }', { authorization: authorization() });
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe('Bearer realm="coalition", error="invalid_token"');
      expect(answer.errors).toEqual([
        expect.objectContaining({
          message: 'The bearer token is invalid or expired.',
          extensions: { code: 'UNAUTHENTICATED' },
        }),
      ]);
    });
  });

  describe('with a valid token', () => {
    const wholeGraph = `query MemberWithPartners {
      me { id name linkedPartners { id name stores { name } settlementCycles { edges { node { id status } } } } }
    }`;

    it('answers from every subgraph, forwarding the token and the request id to each', async () => {
      const requestId = `valid-${randomUUID()}`;
      const answer = await post(gateway, wholeGraph, { token: memberToken, requestId });
      expect(answer.errors).toEqual([]);
      expect(answer.status).toBe(200);
      expect(answer.requestId).toBe(requestId);
      expect(answer.data).toEqual({
        me: {
          id: MEMBER_ID,
          name: 'Ada',
          linkedPartners: [
            {
              id: PARTNER_ID,
              name: 'Fuel & Go',
              stores: [{ name: 'Fuel & Go Mitte' }],
              settlementCycles: { edges: [{ node: { id: CYCLE_ID, status: 'CLOSED' } }] },
            },
          ],
        },
      });
      for (const subgraph of [memberSubgraph, partnerSubgraph, settlementSubgraph]) {
        expect(
          subgraph.seen.filter((seen) => seen.requestId === requestId),
          subgraph.name,
        ).toEqual([{ authorization: `Bearer ${memberToken}`, requestId }]);
      }
    });

    it('gives a request without an id its own, returns it and passes that same id to the subgraphs', async () => {
      const before = memberSubgraph.seen.length;
      const answer = await post(gateway, '{ me { id } }', { token: memberToken });
      expect(answer.data).toEqual({ me: { id: MEMBER_ID } });
      expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(memberSubgraph.seen.slice(before)).toEqual([
        { authorization: `Bearer ${memberToken}`, requestId: answer.requestId },
      ]);
    });

    it.each([
      [
        'FORBIDDEN',
        'member(id: "x") { id }',
        {
          message: 'You may only see your own membership.',
          path: ['member'],
          extensions: { code: 'FORBIDDEN', serviceName: 'member' },
        },
      ],
      [
        'BAD_USER_INPUT',
        'memberByCard(cardNumber: "12") { id }',
        {
          message: 'A card number has 16 digits.',
          path: ['memberByCard'],
          extensions: { code: 'BAD_USER_INPUT', field: 'cardNumber', serviceName: 'member' },
        },
      ],
    ])(
      "passes a subgraph's %s error through with its code, message, details and path",
      async (_code, field, expected) => {
        const answer = await post(gateway, `query { me { id } ${field} }`, { token: memberToken });
        expect(answer.status).toBe(200);
        expect(answer.data).toEqual({ me: { id: MEMBER_ID }, [String(expected.path[0])]: null });
        expect(answer.errors).toEqual([expected]);
      },
    );

    it('answers readiness once the supergraph is loaded, and points a visitor of / to /graphql', async () => {
      const ready = await fetch(`${gateway.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
      const root = await fetch(`${gateway.url}/`);
      expect(await root.json()).toMatchObject({ graphql: '/graphql' });
    });
  });

  describe('the HTTP shell', () => {
    it.each([
      [
        '/graphql',
        {
          errors: [
            { message: 'The request could not be read.', extensions: { code: 'BAD_REQUEST' } },
          ],
        },
      ],
      ['/oauth/token', { error: 'invalid_request' }],
    ])(
      'answers a malformed JSON body at %s with 400 and JSON, not an HTML page with a stack',
      async (path, expected) => {
        const response = await fetch(`${gateway.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken}` },
          body: '{"query": ',
        });
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        const text = await response.text();
        expect(JSON.parse(text)).toEqual(expected);
        expectNoInternals(text, [gateway.port]);
      },
    );
  });

  describe('when a subgraph fails', () => {
    const partnerAndMe = `query { me { id name } partner(id: "${PARTNER_ID}") { id name } }`;

    it('nulls only the fields of a subgraph that is down, with SERVICE_UNAVAILABLE and nothing internal', async () => {
      // Taken just before use, leaving other processes the least time to start listening on it.
      const closedPort = await freePort();
      const degraded = await gatewayWith({
        PARTNER_MERCHANT_URL: `http://127.0.0.1:${closedPort}/graphql`,
      });
      const answer = await post(degraded, partnerAndMe, { token: operatorToken });
      expect(answer.status).toBe(200);
      expect(answer.data).toEqual({ me: { id: MEMBER_ID, name: 'Ada' }, partner: null });
      expect(answer.errors).toEqual([
        {
          message: 'The partner-merchant service is unavailable.',
          extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'partner-merchant' },
        },
      ]);
      expectNoInternals(answer.text, [closedPort, degraded.port]);
    });

    it('cuts off a subgraph that does not answer within SUBGRAPH_TIMEOUT_MS and nulls only its fields', async () => {
      const impatient = await gatewayWith({
        PARTNER_MERCHANT_URL: slowPartnerSubgraph.graphqlUrl,
        SUBGRAPH_TIMEOUT_MS: String(SHORT_TIMEOUT_MS),
      });
      const startedAt = Date.now();
      const answer = await post(impatient, partnerAndMe, { token: operatorToken });
      expect(Date.now() - startedAt).toBeLessThan(SLOW_SUBGRAPH_DELAY_MS);
      expect(answer.data).toEqual({ me: { id: MEMBER_ID, name: 'Ada' }, partner: null });
      expect(answer.errors).toEqual([
        {
          message: 'The partner-merchant service is unavailable.',
          extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'partner-merchant' },
        },
      ]);
      expectNoInternals(answer.text, [slowPartnerSubgraph.port, impatient.port]);
    });

    it('reports a subgraph that answers a bare 502 as SERVICE_UNAVAILABLE, without repeating what it said', async () => {
      const broken = createServer((_req, res) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('upstream http://10.9.8.7:8080 refused the connection');
      });
      broken.listen(0, '127.0.0.1');
      await once(broken, 'listening');
      const { port } = broken.address() as AddressInfo;
      try {
        const degraded = await gatewayWith({
          PARTNER_MERCHANT_URL: `http://127.0.0.1:${port}/graphql`,
        });
        const answer = await post(degraded, partnerAndMe, { token: operatorToken });
        expect(answer.data).toEqual({ me: { id: MEMBER_ID, name: 'Ada' }, partner: null });
        expect(answer.errors).toEqual([
          {
            message: 'The partner-merchant service is unavailable.',
            extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'partner-merchant' },
          },
        ]);
        expect(answer.text).not.toContain('10.9.8.7');
        expectNoInternals(answer.text, [port, degraded.port]);
      } finally {
        broken.closeAllConnections();
        broken.close();
      }
    });

    it("passes on a subgraph's refusal of the whole request (HTTP 401) with its code, not its address", async () => {
      const otherKeys = join(tmpdir(), `gateway-test-keys-${randomUUID()}`);
      ensureSigningKey(otherKeys);
      const distrustful = await startStandInSubgraph('member', {
        keysDir: otherKeys,
        resolvers: memberResolvers,
      });
      try {
        const degraded = await gatewayWith({ MEMBER_URL: distrustful.graphqlUrl });
        const answer = await post(degraded, partnerAndMe, { token: operatorToken });
        expect(answer.data).toEqual({ me: null, partner: { id: PARTNER_ID, name: 'Fuel & Go' } });
        expect(answer.errors).toEqual([
          {
            message: 'The bearer token is invalid or expired.',
            extensions: { code: 'UNAUTHENTICATED', serviceName: 'member' },
          },
        ]);
        expectNoInternals(answer.text, [distrustful.port, degraded.port]);
      } finally {
        await distrustful.stop();
        rmSync(otherKeys, { recursive: true, force: true });
      }
    });
  });

  describe('query limits', () => {
    /** store { partner { stores { partner { ... { id } } } } }: `levels` fields between the root field and the leaf. */
    const nested = (levels: number) => {
      const fields = Array.from({ length: levels }, (_, level) =>
        level % 2 === 0 ? 'partner' : 'stores',
      );
      return `query { store(id: "${STORE_ID}") { ${fields.map((field) => `${field} { `).join('')}id${' }'.repeat(levels)} } }`;
    };
    const cases: Array<[string, string, string, RegExp]> = [
      [
        'deeper than queryDepthMax',
        'QUERY_TOO_DEEP',
        nested(limits.queryDepthMax - 1),
        /depth limit of 10 exceeded, found 11/i,
      ],
      [
        'with more aliases than queryAliasesMax',
        'QUERY_TOO_MANY_ALIASES',
        `query { ${Array.from({ length: limits.queryAliasesMax + 1 }, (_, index) => `a${index}: me { id }`).join(' ')} }`,
        /aliases limit of 30 exceeded/i,
      ],
      [
        'costlier than queryCostMax',
        'QUERY_TOO_COSTLY',
        'query { partners(first: 100) { edges { node { name stores { name partner { name stores { name timeZone } } } } } } }',
        /cost limit of 5000 exceeded/i,
      ],
      [
        'longer than queryTokensMax',
        'GRAPHQL_PARSE_FAILED',
        `query { me { ${'id '.repeat(limits.queryTokensMax)} } }`,
        /more tha[nt] 2000 tokens/i,
      ],
    ];

    it('lets a query within every limit through', async () => {
      const answer = await post(gateway, nested(limits.queryDepthMax - 2), {
        token: operatorToken,
      });
      expect(answer.errors).toEqual([]);
      // The leaf, eight fields down, came back: the whole depth was resolved.
      expect(JSON.stringify(answer.data)).toMatch(
        new RegExp(`^\\{"store":\\{"partner":\\{"stores":.*"id":"${STORE_ID}"`),
      );
    });

    it.each(cases)(
      'rejects a query %s with %s, before any subgraph is called',
      async (_label, code, query, message) => {
        const requestId = `limit-${randomUUID()}`;
        const answer = await post(gateway, query, { token: operatorToken, requestId });
        expect(answer.status).toBe(400);
        expect(answer.data).toBeUndefined();
        expect(answer.errors).toEqual([
          expect.objectContaining({
            message: expect.stringMatching(message),
            extensions: expect.objectContaining({ code }),
          }),
        ]);
        for (const subgraph of [memberSubgraph, partnerSubgraph])
          expect(subgraph.seen.filter((seen) => seen.requestId === requestId)).toEqual([]);
      },
    );
  });

  describe('in production', () => {
    const introspection = '{ __schema { queryType { name } } }';

    it('answers introspection outside production', async () => {
      const answer = await post(gateway, introspection, { token: operatorToken });
      expect(answer.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    });

    it('refuses introspection and sends no stack trace', async () => {
      const production = await gatewayWith({ NODE_ENV: 'production' });
      const answer = await post(production, introspection, { token: operatorToken });
      expect(answer.status).toBe(400);
      expect(answer.errors).toEqual([
        expect.objectContaining({
          extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
        }),
      ]);
      expect(answer.text).not.toContain('stacktrace');
      const invalid = await post(production, '{ me { noSuchField } }', { token: operatorToken });
      expect(invalid.errors).toEqual([
        expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
      ]);
      expect(invalid.text).not.toContain('stacktrace');
    });
  });

  describe('POST /oauth/token', () => {
    it('forwards the body to partner-merchant and its answer back verbatim', async () => {
      const response = await fetch(`${gateway.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'token-request-1' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: 'pos-client',
          client_secret: 'right-secret',
        }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({
        access_token: 'issued-token',
        token_type: 'Bearer',
        expires_in: 3600,
        request_id: 'token-request-1',
      });
    });

    it("passes a form body and partner-merchant's refusal through with its status", async () => {
      const response = await fetch(`${gateway.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'pos-client',
          client_secret: 'wrong',
        }).toString(),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="coalition"');
      expect(await response.json()).toEqual({
        error: 'invalid_client',
        error_description: 'Unknown client, wrong secret, or revoked credentials.',
      });
    });

    it('answers 503 temporarily_unavailable, without its address, when partner-merchant is down', async () => {
      const closedPort = await freePort();
      const degraded = await gatewayWith({
        PARTNER_MERCHANT_URL: `http://127.0.0.1:${closedPort}/graphql`,
      });
      const response = await fetch(`${degraded.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: 'pos-client',
          client_secret: 'right-secret',
        }),
      });
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ error: 'temporarily_unavailable' });
      expectNoInternals(text, [closedPort]);
    });
  });

  describe('configuration', () => {
    const base = { JWT_KEYS_DIR: '/keys' };
    const invalid: Array<[string, Record<string, string>]> = [
      ['PORT', { ...base, PORT: 'abc' }],
      ['JWT_KEYS_DIR', {}],
      ['MEMBER_URL', { ...base, MEMBER_URL: 'not a url' }],
      ['SETTLEMENT_URL', { ...base, SETTLEMENT_URL: 'ftp://127.0.0.1/graphql' }],
      ['SUBGRAPH_TIMEOUT_MS', { ...base, SUBGRAPH_TIMEOUT_MS: '0' }],
      ['NODE_ENV', { ...base, NODE_ENV: 'staging' }],
    ];

    it.each(invalid)('refuses a bad %s with a ConfigError naming it', (name, env) => {
      expect(() => loadGatewayConfig(env)).toThrowError(ConfigError);
      expect(() => loadGatewayConfig(env)).toThrowError(new RegExp(`^\\s+- ${name}`, 'm'));
    });

    it('defaults to port 4000 and the subgraphs of npm start', () => {
      expect(loadGatewayConfig(base)).toMatchObject({
        PORT: 4000,
        MEMBER_URL: 'http://127.0.0.1:4001/graphql',
        PARTNER_MERCHANT_URL: 'http://127.0.0.1:4002/graphql',
        SETTLEMENT_URL: 'http://127.0.0.1:4003/graphql',
        SUBGRAPH_TIMEOUT_MS: limits.subgraphTimeoutMs,
      });
    });

    it.each([
      ['JWT_KEYS_DIR', { JWT_KEYS_DIR: join(keysDir(), 'missing') }],
      [
        'SUPERGRAPH_PATH',
        { JWT_KEYS_DIR: keysDir(), SUPERGRAPH_PATH: join(keysDir(), 'missing.graphql') },
      ],
    ])('refuses to start when %s points nowhere', async (name, env) => {
      const config = loadGatewayConfig({ ...env, PORT: '0', LOG_LEVEL: 'silent' });
      await expect(startGateway(config)).rejects.toThrowError(new RegExp(`- ${name}=`));
      await expect(startGateway(config)).rejects.toBeInstanceOf(ConfigError);
    });
  });
});
