import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { gql, tokenFor, type GraphQLResponse } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase, type Database } from './support/sql';
import { burn, capture, earn, earnInput, hold, voidHold, walletOf } from './support/wallet';

/**
 * docs/architecture.md, The hot path: the wallet evaluates rules on its own copy of the partner
 * configuration (replicated from the partner feed), so earn and burn keep working while the
 * partner and settlement services are down. Both are stopped here as processes (SIGTERM, exited), and every
 * point-of-sale operation still goes through the gateway; a read that also wants partner fields
 * gets the wallet and a coded, address-free error for the partner part only.
 */

/** Far below the gateway's 5 s subgraph deadline: an operation that waited on a dead service would show. */
const FAST_MS = 3_000;

let network: TestNetwork;
let url: string;
let memberDb: Database;
let shop: OnboardedPartner;
let shopToken: string;
let spender: { id: string; cardNumber: string };
const timings: Record<string, number> = {};

async function timed<T>(label: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await call();
  timings[label] = Math.round(performance.now() - started);
  expect(timings[label], `${label} took ${timings[label]} ms`).toBeLessThan(FAST_MS);
  return result;
}

/** Enrols and links a member and earns them `points` at the shop: all of it the member service's own work. */
async function memberWith(points: number): Promise<{ id: string; cardNumber: string }> {
  const member = await enrolMember(url, `Member ${randomUUID().slice(0, 6)}`, shopToken);
  await linkPartner(url, member.id, shop.id);
  const response = await earn(
    url,
    shopToken,
    earnInput({ memberId: member.id, storeId: shop.stores[0]!.id, total: `${points * 100}` }),
  );
  expect(response.errors).toBeUndefined();
  return member;
}

const exited = (name: 'partner-merchant' | 'settlement') => {
  const child = network.services[name].child;
  return child.exitCode !== null || child.signalCode !== null;
};

beforeAll(async () => {
  network = await startTestNetwork('wallet_availability');
  url = network.graphqlUrl;
  memberDb = openDatabase(network.databaseUrls.member);
  shop = await onboardPartner(url, 'Always Open Grocer', ['Night Street'], undefined, {
    returnWindowDays: 0,
  });
  shopToken = tokenFor({ role: 'partner', sub: 'partner:always-open', partnerId: shop.id });
  spender = await enrolMember(url, 'Spending Sam');
  // Linking waits until the member service's replica knows the partner (and, from the same fact, its stores).
  await linkPartner(url, spender.id, shop.id);
  await network.services['partner-merchant'].stop();
  await network.services.settlement.stop();
});

afterAll(async () => {
  await memberDb?.close();
  await network?.stop();
  console.info(
    `wallet-availability timings (ms), partner-merchant and settlement down: ${JSON.stringify(timings)}`,
  );
});

describe('with the partner and settlement services stopped', () => {
  it('really has them stopped: their processes have exited and their ports refuse', async () => {
    expect(exited('partner-merchant')).toBe(true);
    expect(exited('settlement')).toBe(true);
    for (const name of ['partner-merchant', 'settlement'] as const) {
      await expect(fetch(`${network.services[name].url}/healthz`)).rejects.toThrow();
    }
  });

  it('earn, hold, capture, void and a one-step burn all succeed through the gateway, with the right balances', async () => {
    const storeId = shop.stores[0]!.id;

    const earned = await timed('earn', () =>
      earn(url, shopToken, earnInput({ memberId: spender.id, storeId, total: '10000' })),
    );
    expect(earned.errors).toBeUndefined();
    expect(earned.data?.earnPoints).toMatchObject({
      pointsEarned: '100',
      wallet: { available: '100', pending: '0', held: '0', lifetimeEarned: '100' },
    });

    const held = await timed('hold', () =>
      hold(url, shopToken, {
        idempotencyKey: randomUUID(),
        cardNumber: spender.cardNumber,
        storeId,
        points: '40',
      }),
    );
    expect(held.errors).toBeUndefined();
    expect(held.data?.holdPoints).toMatchObject({ status: 'OPEN', points: '40' });
    expect(await walletOf(url, shopToken, spender.id)).toEqual({
      available: '60',
      pending: '0',
      held: '40',
      lifetimeEarned: '100',
    });

    const captured = await timed('capture', () =>
      capture(url, shopToken, {
        idempotencyKey: randomUUID(),
        holdId: held.data!.holdPoints.id,
        points: '30',
      }),
    );
    expect(captured.errors).toBeUndefined();
    expect(captured.data?.capturePoints).toMatchObject({
      pointsBurned: '30',
      hold: { status: 'CAPTURED' },
      wallet: { available: '70', held: '0' },
    });

    const second = await hold(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: spender.id,
      storeId,
      points: '20',
    });
    expect(second.errors).toBeUndefined();
    expect(await walletOf(url, shopToken, spender.id)).toMatchObject({
      available: '50',
      held: '20',
    });
    const voided = await timed('void', () =>
      voidHold(url, shopToken, {
        idempotencyKey: randomUUID(),
        holdId: second.data!.holdPoints.id,
      }),
    );
    expect(voided.errors).toBeUndefined();
    expect(voided.data?.voidHold.status).toBe('VOIDED');
    expect(await walletOf(url, shopToken, spender.id)).toMatchObject({
      available: '70',
      held: '0',
    });

    const burned = await timed('burn', () =>
      burn(url, shopToken, {
        idempotencyKey: randomUUID(),
        cardNumber: spender.cardNumber,
        storeId,
        points: '25',
        reference: 'ORDER-OFFLINE-1',
      }),
    );
    expect(burned.errors).toBeUndefined();
    expect(burned.data?.burnPoints).toMatchObject({
      pointsBurned: '25',
      wallet: { available: '45', pending: '0', held: '0', lifetimeEarned: '100' },
    });

    expect(await walletOf(url, shopToken, spender.id)).toEqual({
      available: '45',
      pending: '0',
      held: '0',
      lifetimeEarned: '100',
    });
    // The member's own token reads the same wallet.
    const self = tokenFor({ role: 'member', sub: `member:${spender.id}`, memberId: spender.id });
    expect(await walletOf(url, self, spender.id)).toEqual({
      available: '45',
      pending: '0',
      held: '0',
      lifetimeEarned: '100',
    });

    // Settlement is down, so nothing takes these yet: the member outbox keeps them for it.
    const facts = await memberDb.rows<{ type: string; points: string }>(
      `SELECT type, payload->>'points' AS points FROM outbox WHERE key = $1 AND type LIKE 'points.%' ORDER BY tx_id, seq`,
      [spender.id],
    );
    expect(facts).toEqual([
      { type: 'points.earned', points: '100' },
      { type: 'points.burned', points: '30' },
      { type: 'points.burned', points: '25' },
    ]);
  });

  it('keeps the wallet and the gateway ready, and finds a member by the card presented at the till', async () => {
    expect((await fetch(`${network.services.member.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${network.gateway.url}/readyz`)).status).toBe(200);
    const member = await memberWith(12);
    const found = await gql<{
      memberByCard: { id: string; wallet: { available: string } | null } | null;
    }>(
      url,
      'query Card($card: String!) { memberByCard(cardNumber: $card) { id wallet { available } } }',
      { card: member.cardNumber },
      shopToken,
    );
    expect(found.errors).toBeUndefined();
    expect(found.data?.memberByCard).toEqual({ id: member.id, wallet: { available: '12' } });
  });

  it('enrols and links a new member, and lets a terminal earn for them: none of it needs the partner service', async () => {
    const browser = await enrolMember(url, 'Browsing Bea', shopToken);
    await linkPartner(url, browser.id, shop.id);
    const terminal = tokenFor({
      role: 'terminal',
      sub: 'terminal:night',
      partnerId: shop.id,
      storeId: shop.stores[0]!.id,
    });
    const response = await earn(
      url,
      terminal,
      earnInput({ memberId: browser.id, storeId: shop.stores[0]!.id, total: '700' }),
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.earnPoints).toMatchObject({
      pointsEarned: '7',
      wallet: { available: '7' },
    });
  });

  describe('a read that mixes member and partner fields', () => {
    type Across = {
      wallet: { available: string } | null;
      linkedPartners: ({ name: string } | null)[];
    };

    function expectPartnerPartNulled(response: GraphQLResponse<unknown>): void {
      expect(response.errors).toEqual([
        {
          message: 'The partner-merchant service is unavailable.',
          extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'partner-merchant' },
        },
      ]);
      const text = JSON.stringify({ data: response.data, errors: response.errors });
      expect(text).not.toMatch(
        /127\.0\.0\.1|localhost|http:|ECONNREFUSED|ECONNRESET|fetch failed|stacktrace|\bat .+\.(ts|js):\d+/i,
      );
      for (const service of Object.values(network.services))
        expect(text).not.toMatch(new RegExp(`\\b${service.port}\\b`));
      expect(text).not.toMatch(new RegExp(`\\b${network.gateway.port}\\b`));
    }

    it('returns the wallet and nulls the partner entries, with SERVICE_UNAVAILABLE and no address (as the partner)', async () => {
      const browser = await memberWith(7);
      const response = await timed('mixed read (partner)', () =>
        gql<{ member: Across | null }>(
          url,
          'query Across($id: ID!) { member(id: $id) { wallet { available } linkedPartners { name } } }',
          { id: browser.id },
          shopToken,
        ),
      );
      expect(response.status).toBe(200);
      expect(response.data?.member?.wallet).toEqual({ available: '7' });
      expect(response.data?.member?.linkedPartners).toEqual([null]);
      expectPartnerPartNulled(response);
    });

    it('does the same for the member themself', async () => {
      const member = await memberWith(45);
      const self = tokenFor({ role: 'member', sub: `member:${member.id}`, memberId: member.id });
      const response = await gql<{ me: Across | null }>(
        url,
        '{ me { wallet { available } linkedPartners { name } } }',
        {},
        self,
      );
      expect(response.status).toBe(200);
      expect(response.data?.me?.wallet).toEqual({ available: '45' });
      expect(response.data?.me?.linkedPartners).toEqual([null]);
      expectPartnerPartNulled(response);
    });
  });
});
