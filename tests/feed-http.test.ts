import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken, type Claims } from '../shared/src/auth/jwt';
import { ensureSigningKey, loadSigningKey, type SigningKey } from '../shared/src/auth/keys';
import { serviceTokenProvider } from '../shared/src/auth/service-token';
import { inTransaction } from '../shared/src/db/transaction';
import { appendFacts, readFacts, type FeedPage } from '../shared/src/feed/outbox';
import { keysDir } from './support/databases';
import { openProducerDatabase, serveFeed, type FeedServer } from './support/feed-producer';

const VISIBLE_WITHIN_MS = 10_000;

async function waitUntilVisible(dataSource: DataSource, count: number): Promise<void> {
  const deadline = Date.now() + VISIBLE_WITHIN_MS;
  while ((await readFacts(dataSource)).facts.length < count) {
    if (Date.now() > deadline)
      throw new Error(`the feed did not show ${count} facts within ${VISIBLE_WITHIN_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the HTTP event feed', () => {
  let producer: DataSource;
  let feed: FeedServer;
  let key: SigningKey;
  let strangerKeysDir: string;

  beforeAll(async () => {
    producer = await openProducerDatabase('feed_http');
    feed = await serveFeed(producer);
    key = loadSigningKey(keysDir());
    strangerKeysDir = mkdtempSync(join(tmpdir(), 'feed-http-keys-'));
    await inTransaction(producer, 'READ COMMITTED', (manager) =>
      appendFacts(manager, [
        { type: 'points.earned', key: 'member-1', payload: { points: '10' } },
        { type: 'points.burned', key: 'member-1', payload: { points: '4' } },
      ]),
    );
    // The feed shows them once no older transaction runs anywhere on the server (other suites' may, briefly).
    await waitUntilVisible(producer, 2);
  });

  afterAll(async () => {
    await feed?.close();
    await producer?.destroy();
    if (strangerKeysDir) rmSync(strangerKeysDir, { recursive: true, force: true });
  });

  async function get(
    query: string,
    authorization?: string,
  ): Promise<{ status: number; body: unknown; challenge: string | null }> {
    const response = await fetch(`${feed.url}${query}`, {
      headers: authorization === undefined ? {} : { authorization },
    });
    return {
      status: response.status,
      body: await response.json(),
      challenge: response.headers.get('www-authenticate'),
    };
  }

  const tokenFor = (claims: Claims): string => `Bearer ${signToken(key, claims)}`;
  const serviceToken = (): string => `Bearer ${serviceTokenProvider(key, 'settlement')()}`;

  it('serves facts page by page, in feed order, to a service', async () => {
    const first = await get('?after=0.0&limit=1', serviceToken());
    expect(first.status).toBe(200);
    const firstPage = first.body as FeedPage;
    expect(firstPage.facts.map((f) => f.type)).toEqual(['points.earned']);
    expect(firstPage.next).toBe(firstPage.facts[0]?.position);
    // A full page says how many facts lie beyond it: what a consumer reports as its lag.
    expect(firstPage.remaining).toBe(1);

    const second = await get(`?after=${firstPage.next}&limit=10`, serviceToken());
    const secondPage = second.body as FeedPage;
    expect(secondPage.facts.map((f) => f.type)).toEqual(['points.burned']);
    expect(secondPage.facts[0]?.payload).toEqual({ points: '4' });

    const drained = await get(`?after=${secondPage.next}`, serviceToken());
    expect(secondPage.remaining).toBe(0);
    expect(drained.body).toEqual({ facts: [], next: secondPage.next, remaining: 0 });
  });

  it('serves an operator, for inspection', async () => {
    const { status, body } = await get('', tokenFor({ role: 'operator', sub: 'operator:ops' }));
    expect(status).toBe(200);
    expect((body as FeedPage).facts).toHaveLength(2);
  });

  it.each([
    ['no authorization header', () => undefined],
    ['a token that is not a JWT', () => 'Bearer not-a-jwt'],
    ['another scheme', () => `Basic ${Buffer.from('svc:secret').toString('base64')}`],
    [
      'a token signed by an unknown key',
      () =>
        `Bearer ${signToken(ensureSigningKey(strangerKeysDir), { role: 'service', sub: 'service:x' })}`,
    ],
    [
      'a token forged with a known key id',
      () =>
        `Bearer ${signToken({ kid: key.kid, privateKeyPem: ensureSigningKey(strangerKeysDir).privateKeyPem }, { role: 'service', sub: 'service:x' })}`,
    ],
  ])('rejects %s as unauthenticated (401)', async (_case, authorization) => {
    const { status, body, challenge } = await get('?after=0.0', authorization());
    expect(status).toBe(401);
    expect(challenge).toMatch(/^Bearer realm="coalition"/);
    expect(body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    expect(JSON.stringify(body)).not.toContain('points');
  });

  it.each<[string, Claims]>([
    ['a member', { role: 'member', sub: 'member:1', memberId: randomUUID() }],
    ['a partner', { role: 'partner', sub: 'partner:1', partnerId: randomUUID() }],
    [
      'a terminal',
      { role: 'terminal', sub: 'terminal:1', partnerId: randomUUID(), storeId: randomUUID() },
    ],
  ])('refuses %s (403)', async (_case, claims) => {
    const { status, body } = await get('?after=0.0', tokenFor(claims));
    expect(status).toBe(403);
    expect(body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(JSON.stringify(body)).not.toContain('points');
  });

  it.each([
    ['a position without a sequence', '?after=12'],
    ['a position that is not numeric', '?after=abc.def'],
    ['a negative position', '?after=-1.2'],
    ['a position with three parts', '?after=1.2.3'],
    ['a transaction id beyond xid8 (2^64)', '?after=18446744073709551616.0'],
    ['a sequence beyond bigint (2^63)', '?after=1.9223372036854775808'],
    ['two positions', '?after=0.0&after=5.1'],
    ['a zero limit', '?after=0.0&limit=0'],
    ['a fractional limit', '?after=0.0&limit=1.5'],
    ['a limit that is not a number', '?after=0.0&limit=ten'],
  ])('rejects %s as bad input (400)', async (_case, query) => {
    const { status, body } = await get(query, serviceToken());
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { code: 'BAD_USER_INPUT' } });
  });

  it('answered every request above without a server error', () => {
    expect(feed.statuses.length).toBeGreaterThan(0);
    expect(feed.statuses.filter((status) => status >= 500)).toEqual([]);
  });
});
