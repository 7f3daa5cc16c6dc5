import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, gql, operatorToken, tokenFor } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase } from './support/sql';
import { burn, capture, earn, earnInput, hold, voidHold, walletOf } from './support/wallet';
import { luhnCheckDigit } from '../subgraphs/member/src/modules/members/card-number';

let network: TestNetwork;
let url: string;
let shop: OnboardedPartner;
let other: OnboardedPartner;
let limited: OnboardedPartner;
let shopToken: string;
let otherToken: string;
let limitedToken: string;

/** A member who linked the shop, with `points` available (the shop's return window is zero). */
async function memberWith(points: number): Promise<{ id: string; cardNumber: string }> {
  const member = await enrolMember(url, `Member ${randomUUID().slice(0, 6)}`);
  await linkPartner(url, member.id, shop.id);
  if (points > 0) {
    const response = await earn(
      url,
      shopToken,
      earnInput({ memberId: member.id, storeId: shop.stores[0]!.id, total: `${points * 100}` }),
    );
    expect(response.errors).toBeUndefined();
  }
  return member;
}

beforeAll(async () => {
  network = await startTestNetwork('wallet');
  url = network.graphqlUrl;
  shop = await onboardPartner(url, 'Corner Shop', ['High Street', 'Station'], undefined, {
    returnWindowDays: 0,
  });
  other = await onboardPartner(url, 'Other Brand', ['Elsewhere'], undefined, {
    returnWindowDays: 30,
    pointsPerCurrencyUnit: 2,
  });
  shopToken = tokenFor({ role: 'partner', sub: 'partner:shop', partnerId: shop.id });
  otherToken = tokenFor({ role: 'partner', sub: 'partner:other', partnerId: other.id });
  limited = await onboardPartner(url, 'Limited Burns', ['Till'], undefined, {
    returnWindowDays: 0,
    burnPointsMin: 50,
    burnPointsMax: 200,
  });
  limitedToken = tokenFor({ role: 'partner', sub: 'partner:limited', partnerId: limited.id });
  // The wallet learns stores from the partner feed: wait until both partners have reached it.
  const probe = await enrolMember(url, 'Probe');
  await linkPartner(url, probe.id, shop.id);
  await linkPartner(url, probe.id, other.id);
  await linkPartner(url, probe.id, limited.id);
});

afterAll(async () => {
  await network?.stop();
});

describe('earning', () => {
  it('earns whole currency units at the partner rate, rounded down, available at once with a zero return window', async () => {
    const member = await memberWith(0);
    const response = await earn(
      url,
      shopToken,
      earnInput({ cardNumber: member.cardNumber, storeId: shop.stores[0]!.id, total: '12399' }),
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.earnPoints.pointsEarned).toBe('123');
    expect(response.data?.earnPoints.wallet).toEqual({
      available: '123',
      pending: '0',
      held: '0',
      lifetimeEarned: '123',
    });
  });

  it('keeps points pending through the return window', async () => {
    const member = await enrolMember(url, 'Pending Pat');
    const response = await earn(
      url,
      otherToken,
      earnInput({ memberId: member.id, storeId: other.stores[0]!.id, total: '1050' }),
    );
    // 10.50 EUR at 2 points per euro: 21 points.
    expect(response.data?.earnPoints.pointsEarned).toBe('21');
    expect(response.data?.earnPoints.wallet).toMatchObject({ available: '0', pending: '21' });
  });

  it('earns a receipt at most once per partner, whatever the idempotency key', async () => {
    const member = await memberWith(0);
    const input = earnInput({
      memberId: member.id,
      storeId: shop.stores[0]!.id,
      total: '500',
      receiptId: 'R-ONCE',
    });
    expect((await earn(url, shopToken, input)).errors).toBeUndefined();
    const again = await earn(url, shopToken, { ...input, idempotencyKey: randomUUID() });
    expect(codesOf(again)).toEqual(['DUPLICATE_RECEIPT']);
    expect((await walletOf(url, shopToken, member.id))?.available).toBe('5');
  });

  it.each([
    ['lines that do not add up', { lines: [{ sku: 'a', category: 'c', amount: '100' }] }, 'lines'],
    ['a zero total', { total: '0', lines: [{ sku: 'a', category: 'c', amount: '0' }] }, 'total'],
    [
      'a negative total',
      { total: '-5', lines: [{ sku: 'a', category: 'c', amount: '-5' }] },
      'total',
    ],
    [
      'an absurd total',
      { total: '100000000000', lines: [{ sku: 'a', category: 'c', amount: '100000000000' }] },
      'total',
    ],
    ['a currency the partner does not use', { currency: 'USD' }, 'currency'],
    ['no lines', { lines: [] }, 'lines'],
    ['a malformed store id', { storeId: 'store-1' }, 'storeId'],
    ['both member and card', { cardNumber: 'own' }, 'memberId'],
    [
      'a purchase in the future',
      { occurredAt: new Date(Date.now() + 3_600_000).toISOString() },
      'occurredAt',
    ],
    [
      'a purchase from last year',
      { occurredAt: new Date(Date.now() - 200 * 86_400_000).toISOString() },
      'occurredAt',
    ],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_, override, field) => {
    const member = await memberWith(0);
    const withCard = 'cardNumber' in override ? { cardNumber: member.cardNumber } : override;
    const response = await earn(url, shopToken, {
      ...earnInput({ memberId: member.id, storeId: shop.stores[0]!.id, total: '999' }),
      ...withCard,
    });
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.extensions?.field).toBe(field);
    expect(await walletOf(url, shopToken, member.id)).toEqual({
      available: '0',
      pending: '0',
      held: '0',
      lifetimeEarned: '0',
    });
  });

  it("refuses an unknown card, and another partner's store as not found", async () => {
    const member = await memberWith(0);
    const unissued = `700000000000000${luhnCheckDigit('700000000000000')}`;
    const unknownCard = await earn(
      url,
      shopToken,
      earnInput({ cardNumber: unissued, storeId: shop.stores[0]!.id, total: '100' }),
    );
    expect(codesOf(unknownCard)).toEqual(['NOT_FOUND']);
    const foreign = await earn(
      url,
      shopToken,
      earnInput({ memberId: member.id, storeId: other.stores[0]!.id, total: '100' }),
    );
    expect(codesOf(foreign)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(foreign.errors)).not.toContain('Other Brand');
  });

  it('lets a terminal earn only at its own store', async () => {
    const member = await memberWith(0);
    const terminal = tokenFor({
      role: 'terminal',
      sub: 'terminal:t',
      partnerId: shop.id,
      storeId: shop.stores[0]!.id,
    });
    expect(
      (
        await earn(
          url,
          terminal,
          earnInput({ memberId: member.id, storeId: shop.stores[0]!.id, total: '100' }),
        )
      ).errors,
    ).toBeUndefined();
    const elsewhere = await earn(
      url,
      terminal,
      earnInput({ memberId: member.id, storeId: shop.stores[1]!.id, total: '100' }),
    );
    expect(codesOf(elsewhere)).toEqual(['FORBIDDEN']);
  });
});

describe('burning', () => {
  it('holds, then captures part of a hold and releases the rest', async () => {
    const member = await memberWith(100);
    const held = await hold(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: shop.stores[0]!.id,
      points: '60',
    });
    expect(held.data?.holdPoints).toMatchObject({ status: 'OPEN', points: '60' });
    expect(await walletOf(url, shopToken, member.id)).toMatchObject({
      available: '40',
      held: '60',
    });
    const captured = await capture(url, shopToken, {
      idempotencyKey: randomUUID(),
      holdId: held.data!.holdPoints.id,
      points: '25',
    });
    expect(captured.errors).toBeUndefined();
    expect(captured.data?.capturePoints).toMatchObject({
      pointsBurned: '25',
      hold: { status: 'CAPTURED' },
      wallet: { available: '75', held: '0' },
    });
  });

  it('refuses a hold beyond the available balance, and a capture above its hold', async () => {
    const member = await memberWith(50);
    const tooMuch = await hold(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: shop.stores[0]!.id,
      points: '51',
    });
    expect(codesOf(tooMuch)).toEqual(['INSUFFICIENT_POINTS']);
    const held = await hold(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: shop.stores[0]!.id,
      points: '10',
    });
    const above = await capture(url, shopToken, {
      idempotencyKey: randomUUID(),
      holdId: held.data!.holdPoints.id,
      points: '11',
    });
    expect(codesOf(above)).toEqual(['CAPTURE_EXCEEDS_HOLD']);
    expect(await walletOf(url, shopToken, member.id)).toMatchObject({
      available: '40',
      held: '10',
    });
  });

  it('voids a hold once; it can then be neither captured nor voided again', async () => {
    const member = await memberWith(30);
    const held = await hold(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: shop.stores[0]!.id,
      points: '30',
    });
    const holdId = held.data!.holdPoints.id;
    expect(
      (await voidHold(url, shopToken, { idempotencyKey: randomUUID(), holdId })).data?.voidHold
        .status,
    ).toBe('VOIDED');
    expect(
      codesOf(await capture(url, shopToken, { idempotencyKey: randomUUID(), holdId })),
    ).toEqual(['HOLD_NOT_OPEN']);
    expect(
      codesOf(await voidHold(url, shopToken, { idempotencyKey: randomUUID(), holdId })),
    ).toEqual(['HOLD_NOT_OPEN']);
    expect(await walletOf(url, shopToken, member.id)).toMatchObject({ available: '30', held: '0' });
  });

  it('expires a hold by ledger time: it stops counting and cannot be captured', async () => {
    const member = await memberWith(20);
    const held = await hold(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: shop.stores[0]!.id,
      points: '20',
      timeoutSeconds: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await walletOf(url, shopToken, member.id)).toMatchObject({ available: '20', held: '0' });
    expect(
      codesOf(
        await capture(url, shopToken, {
          idempotencyKey: randomUUID(),
          holdId: held.data!.holdPoints.id,
        }),
      ),
    ).toEqual(['HOLD_EXPIRED']);
  });

  it("keeps one partner's holds from another partner", async () => {
    const member = await memberWith(20);
    const held = await hold(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: shop.stores[0]!.id,
      points: '5',
    });
    const stolen = await capture(url, otherToken, {
      idempotencyKey: randomUUID(),
      holdId: held.data!.holdPoints.id,
    });
    expect(codesOf(stolen)).toEqual(['NOT_FOUND']);
  });

  it('burns in one step for online checkout', async () => {
    const member = await memberWith(80);
    const response = await burn(url, shopToken, {
      idempotencyKey: randomUUID(),
      cardNumber: member.cardNumber,
      storeId: shop.stores[1]!.id,
      points: '80',
      reference: 'ORDER-1',
    });
    expect(response.data?.burnPoints).toMatchObject({
      pointsBurned: '80',
      wallet: { available: '0' },
    });
  });
});

describe('points expiring soon', () => {
  it('lists what expires in the next 30 days by ledger time, by day', async () => {
    const member = await memberWith(70);
    const read = () =>
      gql<{ wallet: { expiringSoon: { date: string; firstExpiresAt: string; points: string }[] } }>(
        url,
        'query W($id: ID!) { wallet(memberId: $id) { expiringSoon { date firstExpiresAt points } } }',
        { id: member.id },
        shopToken,
      );
    expect((await read()).data?.wallet.expiringSoon).toEqual([]);
    const memberDb = openDatabase(network.databaseUrls.member);
    try {
      const [lot] = await memberDb.rows<{ expires_at: Date }>(
        'SELECT expires_at FROM lot WHERE member_id = $1',
        [member.id],
      );
      const expiresAt = lot!.expires_at;
      // Ledger time ten days before the points expire (the clock is frozen for this read only).
      await memberDb.rows('INSERT INTO ledger_clock (singleton, frozen_at) VALUES (true, $1)', [
        new Date(expiresAt.getTime() - 10 * 86_400_000),
      ]);
      expect((await read()).data?.wallet.expiringSoon).toEqual([
        {
          date: expiresAt.toISOString().slice(0, 10),
          firstExpiresAt: expiresAt.toISOString(),
          points: '70',
        },
      ]);
    } finally {
      await memberDb.rows('DELETE FROM ledger_clock');
      await memberDb.close();
    }
  });
});

describe("a partner's burn limits", () => {
  const outside = (response: { errors?: { extensions?: Record<string, unknown> }[] }) =>
    response.errors?.[0]?.extensions;

  it('refuses holds and burns outside them with the limits in the error, and records nothing against the key', async () => {
    const member = await enrolMember(url, 'Limited Lou');
    expect(
      (
        await earn(
          url,
          limitedToken,
          earnInput({ memberId: member.id, storeId: limited.stores[0]!.id, total: '100000' }),
        )
      ).errors,
    ).toBeUndefined();
    const storeId = limited.stores[0]!.id;
    const tooFew = await hold(url, limitedToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId,
      points: '49',
    });
    expect(outside(tooFew)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'points',
      minPoints: '50',
      maxPoints: '200',
    });
    const tooMany = await burn(url, limitedToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId,
      points: '201',
    });
    expect(outside(tooMany)).toMatchObject({ code: 'BAD_USER_INPUT', maxPoints: '200' });
    // The till corrects the amount and retries with the same key: nothing was recorded against it.
    const key = randomUUID();
    expect(
      codesOf(
        await burn(url, limitedToken, {
          idempotencyKey: key,
          memberId: member.id,
          storeId,
          points: '500',
        }),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    const corrected = await burn(url, limitedToken, {
      idempotencyKey: key,
      memberId: member.id,
      storeId,
      points: '200',
    });
    expect(corrected.data?.burnPoints).toMatchObject({
      pointsBurned: '200',
      wallet: { available: '800' },
    });
    // The limits are the partner's own: the same amounts at another partner are fine.
    await linkPartner(url, member.id, shop.id);
    expect(
      (
        await burn(url, shopToken, {
          idempotencyKey: randomUUID(),
          memberId: member.id,
          storeId: shop.stores[0]!.id,
          points: '10',
        })
      ).errors,
    ).toBeUndefined();
    expect(await walletOf(url, shopToken, member.id)).toMatchObject({
      available: '790',
      held: '0',
    });
  });

  it('holds up to the maximum and captures at least the minimum', async () => {
    const member = await enrolMember(url, 'Limited Lee');
    await earn(
      url,
      limitedToken,
      earnInput({ memberId: member.id, storeId: limited.stores[0]!.id, total: '30000' }),
    );
    const held = await hold(url, limitedToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: limited.stores[0]!.id,
      points: '200',
    });
    expect(held.errors).toBeUndefined();
    const holdId = held.data!.holdPoints.id;
    expect(
      outside(
        await capture(url, limitedToken, { idempotencyKey: randomUUID(), holdId, points: '49' }),
      ),
    ).toMatchObject({ code: 'BAD_USER_INPUT', minPoints: '50' });
    const captured = await capture(url, limitedToken, {
      idempotencyKey: randomUUID(),
      holdId,
      points: '50',
    });
    expect(captured.data?.capturePoints).toMatchObject({
      pointsBurned: '50',
      wallet: { available: '250', held: '0' },
    });
  });

  it('shows the limits on the partner and refuses limits that contradict each other', async () => {
    const read = await gql<{ partner: { burnPointsMin: number; burnPointsMax: number | null } }>(
      url,
      'query P($id: ID!) { partner(id: $id) { burnPointsMin burnPointsMax } }',
      { id: limited.id },
      limitedToken,
    );
    expect(read.data?.partner).toEqual({ burnPointsMin: 50, burnPointsMax: 200 });
    const reversed = await gql(
      url,
      'mutation O($input: OnboardPartnerInput!) { onboardPartner(input: $input) { id } }',
      {
        input: {
          name: 'Reversed Limits',
          legalEntity: 'Reversed Ltd',
          category: 'GROCERY',
          settlementCurrency: 'EUR',
          burnPointsMin: 100,
          burnPointsMax: 99,
          stores: [],
        },
      },
      operatorToken(),
    );
    expect(reversed.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'burnPointsMax',
    });
  });
});

describe('idempotency keys', () => {
  it('returns the first result for the same key and request, and refuses the same key with another request', async () => {
    const member = await memberWith(100);
    const input = {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: shop.stores[0]!.id,
      points: '10',
    };
    const first = await burn(url, shopToken, input);
    const second = await burn(url, shopToken, input);
    expect(second.data).toEqual(first.data);
    const conflict = await burn(url, shopToken, { ...input, points: '11' });
    expect(codesOf(conflict)).toEqual(['IDEMPOTENCY_CONFLICT']);
    expect((await walletOf(url, shopToken, member.id))?.available).toBe('90');
  });

  it('replays a refusal for lack of points even after a top-up; a new key succeeds', async () => {
    const member = await memberWith(10);
    const input = {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: shop.stores[0]!.id,
      points: '15',
    };
    expect(codesOf(await burn(url, shopToken, input))).toEqual(['INSUFFICIENT_POINTS']);
    await earn(
      url,
      shopToken,
      earnInput({ memberId: member.id, storeId: shop.stores[0]!.id, total: '1000' }),
    );
    expect(codesOf(await burn(url, shopToken, input))).toEqual(['INSUFFICIENT_POINTS']);
    expect(
      (await burn(url, shopToken, { ...input, idempotencyKey: randomUUID() })).errors,
    ).toBeUndefined();
  });
});

describe('who sees a wallet', () => {
  it('shows it to the member, operators and linked partners only', async () => {
    const member = await memberWith(7);
    const self = tokenFor({ role: 'member', sub: `member:${member.id}`, memberId: member.id });
    expect((await walletOf(url, self, member.id))?.available).toBe('7');
    expect(await walletOf(url, otherToken, member.id)).toBeNull();
    const viaMember = await gql<{ me: { wallet: { available: string } } }>(
      url,
      '{ me { wallet { available } } }',
      {},
      self,
    );
    expect(viaMember.data?.me.wallet.available).toBe('7');
  });
});

describe('history', () => {
  interface HistoryPage {
    member: {
      history: {
        edges: {
          node: {
            kind: string;
            points: string;
            partner: { name: string } | null;
            store: { name: string } | null;
          };
        }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      } | null;
    } | null;
  }
  const HISTORY = `query H($id: ID!, $first: Int, $after: String, $kinds: [TransactionKind!]) {
    member(id: $id) { history(first: $first, after: $after, kinds: $kinds) {
      edges { node { kind points partner { name } store { name } } } pageInfo { hasNextPage endCursor } } } }`;

  it('lists every partner’s transactions, newest first, with partner and store names, page by page', async () => {
    const member = await memberWith(10);
    await linkPartner(url, member.id, other.id);
    await earn(
      url,
      otherToken,
      earnInput({ memberId: member.id, storeId: other.stores[0]!.id, total: '300' }),
    );
    await burn(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: shop.stores[1]!.id,
      points: '4',
    });

    const first = await gql<HistoryPage>(url, HISTORY, { id: member.id, first: 2 });
    expect(first.errors).toBeUndefined();
    expect(first.data?.member?.history?.edges.map((e) => e.node)).toEqual([
      { kind: 'BURN', points: '4', partner: { name: 'Corner Shop' }, store: { name: 'Station' } },
      { kind: 'EARN', points: '6', partner: { name: 'Other Brand' }, store: { name: 'Elsewhere' } },
    ]);
    expect(first.data?.member?.history?.pageInfo.hasNextPage).toBe(true);
    const second = await gql<HistoryPage>(url, HISTORY, {
      id: member.id,
      first: 2,
      after: first.data?.member?.history?.pageInfo.endCursor,
    });
    expect(second.data?.member?.history?.edges.map((e) => e.node.kind)).toEqual(['EARN']);
    expect(second.data?.member?.history?.pageInfo.hasNextPage).toBe(false);

    const burnsOnly = await gql<HistoryPage>(url, HISTORY, { id: member.id, kinds: ['BURN'] });
    expect(burnsOnly.data?.member?.history?.edges).toHaveLength(1);
  });

  it('shows a partner only what happened at its own stores', async () => {
    const member = await memberWith(10);
    await linkPartner(url, member.id, other.id);
    await earn(
      url,
      otherToken,
      earnInput({ memberId: member.id, storeId: other.stores[0]!.id, total: '300' }),
    );
    const asShop = await gql<HistoryPage>(url, HISTORY, { id: member.id }, shopToken);
    expect(asShop.data?.member?.history?.edges.map((e) => e.node.partner?.name)).toEqual([
      'Corner Shop',
    ]);
  });
});
