import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../shared/src/logger';
import { ExpiryService } from '../subgraphs/member/src/modules/wallet/expiry.service';
import { connectMemberDatabase, expectLedgerClean } from './support/audit';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, eventually, gql, operatorToken, tokenFor } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { sleep } from './support/random';
import { openDatabase, type Database } from './support/sql';
import { burn, capture, earn, earnInput, hold, refundPurchase, voidHold } from './support/wallet';

/**
 * The debt policy for refunds under open holds (schema.graphql, refundPurchase): a purchase refund
 * never takes points an open hold reserves; what it cannot take is the member's debt, and the
 * points a hold releases (void, timeout, the rest of a partial capture) repay it first. The
 * available balance never goes below zero through a refund, every hold can still be captured,
 * and the ledger audit passes after every step.
 */

let network: TestNetwork;
let url: string;
let memberDb: Database;
let expiryDb: DataSource;
let shop: OnboardedPartner;
let shopToken: string;
let cafe: OnboardedPartner;
let cafeToken: string;
let store: string;

interface Wallet {
  available: string;
  pending: string;
  held: string;
  debt: string;
}

const WALLET = 'available pending held debt';

async function walletOf(memberId: string): Promise<Wallet> {
  const response = await gql<{ wallet: Wallet }>(
    url,
    `query W($id: ID!) { wallet(memberId: $id) { ${WALLET} } }`,
    { id: memberId },
    operatorToken(),
  );
  expect(response.errors).toBeUndefined();
  return response.data!.wallet;
}

/** A member with `totals` (in cents, 1 point per euro) earned at the shop, available at once. */
async function memberWith(...totals: string[]): Promise<{ memberId: string; receipts: string[] }> {
  const { id: memberId } = await enrolMember(url, `Holder ${randomUUID().slice(0, 6)}`);
  await linkPartner(url, memberId, shop.id);
  const receipts: string[] = [];
  for (const total of totals) {
    const receiptId = `R-${randomUUID()}`;
    expect(
      (await earn(url, shopToken, earnInput({ memberId, storeId: store, total, receiptId })))
        .errors,
    ).toBeUndefined();
    receipts.push(receiptId);
  }
  return { memberId, receipts };
}

async function holdPoints(
  memberId: string,
  points: string,
  timeoutSeconds?: number,
): Promise<string> {
  const response = await hold(url, shopToken, {
    idempotencyKey: randomUUID(),
    memberId,
    storeId: store,
    points,
    ...(timeoutSeconds ? { timeoutSeconds } : {}),
  });
  expect(response.errors).toBeUndefined();
  return response.data!.holdPoints.id;
}

async function refund(receiptId: string, amount?: string) {
  const response = await refundPurchase(url, shopToken, {
    idempotencyKey: randomUUID(),
    storeId: store,
    receiptId,
    ...(amount ? { amount } : {}),
  });
  expect(response.errors).toBeUndefined();
  return response.data!.refundPurchase!;
}

/** The member's DEBT_REPAYMENT transactions: points, postings, and points linked out of lots. */
async function repaymentsOf(memberId: string) {
  return memberDb.rows<{ points: string; cause: string; postings: string; linked: string }>(
    `SELECT t.points::text, t.details->>'cause' AS cause,
            (SELECT count(*) FROM posting p WHERE p.transaction_id = t.id)::text AS postings,
            (SELECT coalesce(sum(k.points), 0) FROM lot_link k WHERE k.transaction_id = t.id)::text AS linked
       FROM ledger_transaction t WHERE t.member_id = $1 AND t.kind = 'DEBT_REPAYMENT' ORDER BY t.created_at`,
    [memberId],
  );
}

beforeAll(async () => {
  network = await startTestNetwork('wallet_refund_holds');
  url = network.graphqlUrl;
  shop = await onboardPartner(url, 'Hold Shop', ['Till'], undefined, { returnWindowDays: 0 });
  shopToken = tokenFor({ role: 'partner', sub: 'partner:hold-shop', partnerId: shop.id });
  store = shop.stores[0]!.id;
  cafe = await onboardPartner(url, 'Hold Cafe', ['Corner'], undefined, { returnWindowDays: 14 });
  cafeToken = tokenFor({ role: 'partner', sub: 'partner:hold-cafe', partnerId: cafe.id });
  memberDb = openDatabase(network.databaseUrls.member);
  expiryDb = await connectMemberDatabase(network.databaseUrls.member);
});

afterEach(async () => {
  await expectLedgerClean(network.databaseUrls.member);
});

afterAll(async () => {
  await expiryDb?.destroy();
  await memberDb?.close();
  await network?.stop();
});

describe('a purchase refund while a hold reserves the points', () => {
  it('leaves what the hold reserves, records the rest as debt, and the hold is still captured in full', async () => {
    const { memberId, receipts } = await memberWith('10000'); // 100 points
    const holdId = await holdPoints(memberId, '80');
    const refunded = await refund(receipts[0]!);
    expect(refunded).toMatchObject({
      points: '100',
      debtRecorded: '80',
      wallet: { available: '0', held: '80', debt: '80' },
    });
    await expectLedgerClean(network.databaseUrls.member);

    const captured = await capture(url, shopToken, { idempotencyKey: randomUUID(), holdId });
    expect(captured.errors).toBeUndefined();
    expect(captured.data?.capturePoints).toMatchObject({
      pointsBurned: '80',
      hold: { status: 'CAPTURED' },
    });
    // Captured in full: nothing was released, so the debt stays for later earnings.
    expect(await walletOf(memberId)).toEqual({
      available: '0',
      pending: '0',
      held: '0',
      debt: '80',
    });
    expect(await repaymentsOf(memberId)).toEqual([]);
  });

  it('takes what the holds leave free, and pending points as before, never less than the holds reserve', async () => {
    const { memberId, receipts } = await memberWith('6000', '5000'); // 60 + 50 points
    await holdPoints(memberId, '70');
    // 60 clawed back: 40 are free of the hold (110 − 70), the other 20 become debt.
    expect(await refund(receipts[0]!)).toMatchObject({
      points: '60',
      debtRecorded: '20',
      wallet: { available: '0', held: '70', debt: '20' },
    });
    expect(
      codesOf(
        await burn(url, shopToken, {
          idempotencyKey: randomUUID(),
          memberId,
          storeId: store,
          points: '1',
        }),
      ),
    ).toEqual(['INSUFFICIENT_POINTS']);

    // Pending points are no hold's: a clawback takes them whatever is held. (Of 30 earned at the
    // cafe, 20 repay the debt; 10 wait out its return window.)
    await linkPartner(url, memberId, cafe.id);
    expect(
      (
        await earn(
          url,
          cafeToken,
          earnInput({ memberId, storeId: cafe.stores[0]!.id, total: '3000' }),
        )
      ).errors,
    ).toBeUndefined();
    expect(await walletOf(memberId)).toEqual({
      available: '0',
      pending: '10',
      held: '70',
      debt: '0',
    });
    expect(await refund(receipts[1]!)).toMatchObject({
      points: '50',
      debtRecorded: '40',
      wallet: { available: '0', pending: '0', held: '70', debt: '40' },
    });
  });

  it('counts the purchase’s own available lot against what the holds leave free', async () => {
    const { memberId, receipts } = await memberWith('4000', '3000'); // 40 + 30 points
    await holdPoints(memberId, '50');
    // A partial refund of the first purchase: 30 of its points; 20 are free of the hold.
    expect(await refund(receipts[0]!, '3000')).toMatchObject({
      points: '30',
      debtRecorded: '10',
      wallet: { available: '0', held: '50', debt: '10' },
    });
  });
});

describe('points a hold releases repay the debt first', () => {
  it('a void: the released points repay the debt as a DEBT_REPAYMENT with lot links and no postings', async () => {
    const { memberId, receipts } = await memberWith('10000', '2000'); // 100 + 20 points
    const holdId = await holdPoints(memberId, '90');
    expect(await refund(receipts[0]!)).toMatchObject({
      debtRecorded: '70',
      wallet: { available: '0', held: '90', debt: '70' },
    });
    const before = await memberDb.rows<{ balance: string }>(
      'SELECT balance::text FROM wallet WHERE member_id = $1',
      [memberId],
    );

    const voided = await voidHold(url, shopToken, { idempotencyKey: randomUUID(), holdId });
    expect(voided.data?.voidHold.status).toBe('VOIDED');
    expect(await walletOf(memberId)).toEqual({
      available: '20',
      pending: '0',
      held: '0',
      debt: '0',
    });
    expect(await repaymentsOf(memberId)).toEqual([
      { points: '70', cause: 'VOIDED', postings: '0', linked: '70' },
    ]);
    // The clawback already debited the member account for the debt: repaying it moves no balance.
    expect(
      await memberDb.rows('SELECT balance::text FROM wallet WHERE member_id = $1', [memberId]),
    ).toEqual(before);

    const facts = await memberDb.rows<{
      payload: { points: string; links: { issuerPartnerId: string | null; points: string }[] };
    }>("SELECT payload FROM outbox WHERE type = 'debt.repaid' AND key = $1", [memberId]);
    expect(facts).toHaveLength(1);
    expect(facts[0]!.payload.points).toBe('70');
    expect(facts[0]!.payload.links.every((l) => l.issuerPartnerId === shop.id)).toBe(true);
    expect(facts[0]!.payload.links.reduce((sum, l) => sum + BigInt(l.points), 0n)).toBe(70n);
  });

  it('a partial capture: what it leaves of the hold repays the debt', async () => {
    const { memberId, receipts } = await memberWith('10000'); // 100 points
    const holdId = await holdPoints(memberId, '60');
    expect(await refund(receipts[0]!)).toMatchObject({ debtRecorded: '60' });
    const captured = await capture(url, shopToken, {
      idempotencyKey: randomUUID(),
      holdId,
      points: '25',
    });
    expect(captured.errors).toBeUndefined();
    expect(await walletOf(memberId)).toEqual({
      available: '0',
      pending: '0',
      held: '0',
      debt: '25',
    });
    expect(await repaymentsOf(memberId)).toEqual([
      { points: '35', cause: 'CAPTURED', postings: '0', linked: '35' },
    ]);
  });

  it('a timeout: a read already counts the repayment, and the next write records it', async () => {
    const { memberId, receipts } = await memberWith('10000', '5000'); // 100 + 50 points
    await holdPoints(memberId, '120', 2);
    expect(await refund(receipts[0]!)).toMatchObject({
      debtRecorded: '70',
      wallet: { available: '0', held: '120', debt: '70' },
    });
    await sleep(2_100);
    // Timed out by ledger time: the read shows the hold's points released and the debt repaid...
    expect(await walletOf(memberId)).toEqual({
      available: '50',
      pending: '0',
      held: '0',
      debt: '0',
    });
    // ...before anything is written, and the audit accepts the debt beside the hold's points.
    expect(await repaymentsOf(memberId)).toEqual([]);
    await expectLedgerClean(network.databaseUrls.member);
    // The next write expires the hold and repays first: what the read showed is what can be spent.
    expect(
      codesOf(
        await burn(url, shopToken, {
          idempotencyKey: randomUUID(),
          memberId,
          storeId: store,
          points: '51',
        }),
      ),
    ).toEqual(['INSUFFICIENT_POINTS']);
    expect(await repaymentsOf(memberId)).toEqual([
      { points: '70', cause: 'EXPIRED', postings: '0', linked: '70' },
    ]);
    expect(
      (
        await burn(url, shopToken, {
          idempotencyKey: randomUUID(),
          memberId,
          storeId: store,
          points: '50',
        })
      ).errors,
    ).toBeUndefined();
    expect(await walletOf(memberId)).toEqual({
      available: '0',
      pending: '0',
      held: '0',
      debt: '0',
    });
  });

  it('shows in the member’s history as DEBT_REPAYMENT', async () => {
    const { memberId, receipts } = await memberWith('3000');
    const holdId = await holdPoints(memberId, '30');
    await refund(receipts[0]!);
    await voidHold(url, shopToken, { idempotencyKey: randomUUID(), holdId });
    const history = await gql<{
      member: { history: { edges: { node: { kind: string; points: string } }[] } };
    }>(
      url,
      `query H($id: ID!) { member(id: $id) { history(first: 10) { edges { node { kind points } } } } }`,
      { id: memberId },
      operatorToken(),
    );
    expect(history.errors).toBeUndefined();
    expect(
      history.data!.member.history.edges.map((e) => `${e.node.kind} ${e.node.points}`),
    ).toEqual(['DEBT_REPAYMENT 30', 'REFUND 30', 'EARN 30']);
  });

  it('reaches settlement: the points leave the float with the lots they were taken from', async () => {
    const { memberId, receipts } = await memberWith('8000', '2000');
    const holdId = await holdPoints(memberId, '60');
    await refund(receipts[0]!);
    await voidHold(url, shopToken, { idempotencyKey: randomUUID(), holdId });
    const lots = await memberDb.rows<{ id: string; remaining: string }>(
      'SELECT id::text, remaining::text FROM lot WHERE member_id = $1 ORDER BY id',
      [memberId],
    );
    const settlementDb = openDatabase(network.databaseUrls.settlement);
    try {
      const float = await eventually(
        async () => {
          const repaid = await settlementDb.rows(
            "SELECT 1 FROM member_fact WHERE type = 'debt.repaid' AND key = $1",
            [memberId],
          );
          if (repaid.length === 0) return undefined;
          return settlementDb.rows<{ id: string; remaining: string }>(
            'SELECT lot_id::text AS id, sum(points)::text AS remaining FROM lot_flow WHERE lot_id = ANY($1::uuid[]) GROUP BY lot_id ORDER BY lot_id',
            [lots.map((l) => l.id)],
          );
        },
        15_000,
        'the debt.repaid fact in settlement',
      );
      expect(float).toEqual(lots);
    } finally {
      await settlementDb.close();
    }
  });
});

describe('the audit around holds and debt', () => {
  it('accepts points that expired under an open hold, before and after the expiry run', async () => {
    const { memberId } = await memberWith('4000');
    await holdPoints(memberId, '30', 3_600);
    await memberDb.rows(
      "UPDATE lot SET expires_at = ledger_now() + interval '300 milliseconds' WHERE member_id = $1",
      [memberId],
    );
    await sleep(400);
    await expectLedgerClean(network.databaseUrls.member);
    await new ExpiryService(expiryDb, createLogger('wallet-refund-holds', 'warn')).run();
    expect(
      (
        await memberDb.rows<{ n: string }>(
          "SELECT count(*)::text AS n FROM ledger_transaction WHERE member_id = $1 AND kind = 'EXPIRY'",
          [memberId],
        )
      )[0]?.n,
    ).toBe('1');
  });

  it('an operator debit, like a clawback, leaves what holds reserve and records it as debt', async () => {
    const { memberId } = await memberWith('5000');
    const holdId = await holdPoints(memberId, '40');
    const debit = await gql<{ adjustPoints: { debtRecorded: string; wallet: Wallet } }>(
      url,
      `mutation A($input: AdjustPointsInput!) { adjustPoints(input: $input) { debtRecorded wallet { ${WALLET} } } }`,
      {
        input: {
          idempotencyKey: randomUUID(),
          memberId,
          direction: 'DEBIT',
          points: '50',
          reason: 'CORRECTION',
          note: 'double credit',
        },
      },
      operatorToken(),
    );
    expect(debit.errors).toBeUndefined();
    expect(debit.data!.adjustPoints).toEqual({
      debtRecorded: '40',
      wallet: { available: '0', pending: '0', held: '40', debt: '40' },
    });
    expect(
      (await capture(url, shopToken, { idempotencyKey: randomUUID(), holdId })).errors,
    ).toBeUndefined();
  });
});
