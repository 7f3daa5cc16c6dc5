import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { createLogger } from '../shared/src/logger';
import { ExpiryService } from '../subgraphs/member/src/modules/wallet/expiry.service';
import { connectMemberDatabase, expectLedgerClean } from './support/audit';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, gql, tokenFor, type GraphQLResponse } from './support/graphql';
import { DAY_MS, HOUR_MS, ledgerClock, MINUTE_MS, type LedgerClock } from './support/ledger-clock';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase, type Database } from './support/sql';
import {
  burn,
  capture,
  earnInput,
  hold,
  refundBurn,
  refundPurchase,
  voidHold,
} from './support/wallet';

/**
 * docs/ledger.md, Lots and Expiry: boundaries by ledger time, to the millisecond. The suite freezes the
 * member database's ledger clock (ledger_now()) at a lot's expiry − 1 ms, at it and at + 1 ms, and
 * the same for a hold's timeout, a pending lot's availableAt and the expiry run (npm run expire at
 * the boundary; the same ExpiryService in-process for the later runs); then a burn refunded after
 * the lots it took have expired. (A purchase refund clawing back points
 * already spent, recorded as debt, is wallet-operations.test.ts's "records points already spent as
 * a debt…" and the ledger audit's debtor; it is not repeated here.)
 *
 * Ledger time only moves forward through the file: each scenario starts a day after the last
 * instant the one before it froze, and the pending-lot scenario, which needs ledger time near the
 * wall clock (a purchase's occurredAt is checked against the real clock), comes first.
 */

const LIFETIME_MS = 730 * DAY_MS;
const CAFE_RETURN_WINDOW_DAYS = 14;

let network: TestNetwork;
let url: string;
let memberDb: Database;
let expiryDb: DataSource;
let clock: LedgerClock;
let shop: OnboardedPartner;
let kiosk: OnboardedPartner;
let cafe: OnboardedPartner;
const tokens = new Map<string, string>();

interface WalletNow {
  available: string;
  pending: string;
  held: string;
  debt: string;
  asOf: string;
}

interface Earned {
  transactionId: string;
  pointsEarned: string;
  availableAt: string;
  expiresAt: string;
}

interface LotRow extends Record<string, unknown> {
  id: string;
  issuer_partner_id: string;
  points: string;
  remaining: string;
  available_at: Date;
  expires_at: Date;
  restored_from_lot_id: string | null;
}

const key = () => randomUUID();
const tokenOf = (partner: OnboardedPartner) => tokens.get(partner.id)!;
const storeOf = (partner: OnboardedPartner) => partner.stores[0]!.id;
const at = (instant: Date, offsetMs: number) => new Date(instant.getTime() + offsetMs);

async function newMember(): Promise<string> {
  return (await enrolMember(url, `Boundary ${randomUUID().slice(0, 6)}`)).id;
}

/** A fresh stretch of ledger time for one scenario: a day after the last instant frozen. */
async function nextEpoch(): Promise<Date> {
  const last = clock.now ?? new Date();
  return clock.freezeAt(new Date(last.getTime() + DAY_MS));
}

async function earnAt(
  memberId: string,
  partner: OnboardedPartner,
  total: string,
  occurredAt?: Date,
): Promise<Earned> {
  const input = earnInput({
    memberId,
    storeId: storeOf(partner),
    total,
    ...(occurredAt ? { occurredAt: occurredAt.toISOString() } : {}),
  });
  const response = await gql<{ earnPoints: Earned }>(
    url,
    'mutation E($input: EarnPointsInput!) { earnPoints(input: $input) { transactionId pointsEarned availableAt expiresAt } }',
    { input },
    tokenOf(partner),
  );
  expect(response.errors).toBeUndefined();
  return response.data!.earnPoints;
}

async function walletNow(memberId: string): Promise<WalletNow> {
  const response = await gql<{ wallet: WalletNow }>(
    url,
    'query W($id: ID!) { wallet(memberId: $id) { available pending held debt asOf } }',
    { id: memberId },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.wallet;
}

const burnAt = (memberId: string, partner: OnboardedPartner, points: string) =>
  burn(url, tokenOf(partner), {
    idempotencyKey: key(),
    memberId,
    storeId: storeOf(partner),
    points,
  });

function ok<T>(response: GraphQLResponse<T>): T {
  expect(response.errors).toBeUndefined();
  return response.data!;
}

async function lotOf(earnTransactionId: string): Promise<LotRow> {
  const rows = await memberDb.rows<LotRow>('SELECT * FROM lot WHERE earn_transaction_id = $1', [
    earnTransactionId,
  ]);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

/** The lots a transaction took points from, and how many from each. */
async function linksOf(transactionId: string): Promise<{ lot_id: string; points: string }[]> {
  return memberDb.rows(
    'SELECT lot_id::text, points::text FROM lot_link WHERE transaction_id = $1 ORDER BY lot_id',
    [transactionId],
  );
}

async function expiriesOf(memberId: string): Promise<{ points: string; created_at: Date }[]> {
  return memberDb.rows(
    `SELECT points::text, created_at FROM ledger_transaction WHERE member_id = $1 AND kind = 'EXPIRY' ORDER BY created_at`,
    [memberId],
  );
}

/** `npm run expire`, as an operator runs it: a process of its own, reading ledger time from the database. */
function runExpiry(): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'npm',
      ['run', '-s', 'expire'],
      { env: { ...process.env, DATABASE_URL_MEMBER: network.databaseUrls.member } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

/** The same run in this process (ExpiryService, which npm run expire and the service's job call): a few seconds quicker. */
const expireInProcess = () =>
  new ExpiryService(expiryDb, createLogger('boundaries-expiry', 'warn')).run();

beforeAll(async () => {
  // The member service's own expiry job waits its longest (10 minutes): the runs here are the suite's.
  network = await startTestNetwork('expiry_boundaries', { EXPIRY_INTERVAL_MS: '600000' });
  url = network.graphqlUrl;
  shop = await onboardPartner(url, 'Boundary Shop', ['Till'], undefined, { returnWindowDays: 0 });
  kiosk = await onboardPartner(url, 'Boundary Kiosk', ['Till'], undefined, { returnWindowDays: 0 });
  cafe = await onboardPartner(url, 'Boundary Cafe', ['Till'], undefined, {
    returnWindowDays: CAFE_RETURN_WINDOW_DAYS,
  });
  for (const partner of [shop, kiosk, cafe])
    tokens.set(
      partner.id,
      tokenFor({ role: 'partner', sub: `partner:${partner.id}`, partnerId: partner.id }),
    );
  memberDb = openDatabase(network.databaseUrls.member);
  clock = ledgerClock(memberDb);
  expiryDb = await connectMemberDatabase(network.databaseUrls.member);
  // The wallet learns stores from the partner feed: linking waits until each partner has reached it.
  const probe = await newMember();
  for (const partner of [shop, kiosk, cafe]) await linkPartner(url, probe, partner.id);
});

afterEach(async () => {
  await expectLedgerClean(network.databaseUrls.member);
});

afterAll(async () => {
  await clock?.thaw();
  await memberDb?.close();
  await expiryDb?.destroy();
  await network?.stop();
});

describe('a pending lot becomes spendable at its availableAt, by ledger time', () => {
  it('refuses a burn and a hold 1 ms before availableAt, and takes the lot at availableAt', async () => {
    // Near the wall clock: the purchase's occurredAt must be within the last 90 days of the real one.
    const start = await clock.freezeAt(new Date(Date.now() - HOUR_MS));
    const memberId = await newMember();
    const occurredAt = at(start, -DAY_MS);
    const earned = await earnAt(memberId, cafe, '2500', occurredAt);
    const availableAt = at(occurredAt, CAFE_RETURN_WINDOW_DAYS * DAY_MS);
    expect(earned).toMatchObject({
      pointsEarned: '25',
      availableAt: availableAt.toISOString(),
      expiresAt: at(start, LIFETIME_MS).toISOString(),
    });

    await clock.freezeAt(at(availableAt, -1));
    expect(await walletNow(memberId)).toEqual({
      available: '0',
      pending: '25',
      held: '0',
      debt: '0',
      asOf: at(availableAt, -1).toISOString(),
    });
    expect(codesOf(await burnAt(memberId, cafe, '1'))).toEqual(['INSUFFICIENT_POINTS']);
    expect(
      codesOf(
        await hold(url, tokenOf(cafe), {
          idempotencyKey: key(),
          memberId,
          storeId: storeOf(cafe),
          points: '1',
        }),
      ),
    ).toEqual(['INSUFFICIENT_POINTS']);

    await clock.freezeAt(availableAt);
    expect(await walletNow(memberId)).toMatchObject({ available: '25', pending: '0' });
    const burned = ok(await burnAt(memberId, cafe, '25')).burnPoints!;
    const lot = await lotOf(earned.transactionId);
    expect(await linksOf(burned.transactionId)).toEqual([{ lot_id: lot.id, points: '25' }]);
    expect(burned.wallet).toMatchObject({ available: '0', pending: '0' });
  });
});

describe('a burn at a lot’s expiry, by ledger time', () => {
  it.each([
    { when: '1 ms before the lot expires', offsetMs: -1, spendable: '10' },
    { when: 'at the instant the lot expires', offsetMs: 0, spendable: '0' },
    { when: '1 ms after the lot expires', offsetMs: 1, spendable: '0' },
  ])(
    '$when: $spendable points spendable, and a burn of 4 takes them from that lot or is refused',
    async ({ offsetMs, spendable }) => {
      const start = await nextEpoch();
      const memberId = await newMember();
      const earned = await earnAt(memberId, shop, '1000');
      const expiresAt = at(start, LIFETIME_MS);
      expect(earned.expiresAt).toBe(expiresAt.toISOString());
      const lot = await lotOf(earned.transactionId);
      expect(lot.expires_at.toISOString()).toBe(expiresAt.toISOString());

      await clock.freezeAt(at(expiresAt, offsetMs));
      expect(await walletNow(memberId)).toMatchObject({
        available: spendable,
        pending: '0',
        held: '0',
      });
      const response = await burnAt(memberId, shop, '4');
      if (spendable === '0') {
        expect(codesOf(response)).toEqual(['INSUFFICIENT_POINTS']);
        // The expired lot keeps its points for the expiry run: a burn never takes from it.
        expect((await lotOf(earned.transactionId)).remaining).toBe('10');
      } else {
        const burned = ok(response).burnPoints!;
        expect(await linksOf(burned.transactionId)).toEqual([{ lot_id: lot.id, points: '4' }]);
        expect(burned.wallet.available).toBe('6');
      }
    },
  );

  it('at one lot’s expiry takes the next lot instead, and refuses once that one has expired too', async () => {
    await nextEpoch();
    const memberId = await newMember();
    const older = await earnAt(memberId, shop, '1000');
    await clock.advance(1);
    const newer = await earnAt(memberId, kiosk, '1000');
    const [olderLot, newerLot] = [
      await lotOf(older.transactionId),
      await lotOf(newer.transactionId),
    ];
    const expiresAt = olderLot.expires_at;
    expect(newerLot.expires_at.getTime() - expiresAt.getTime()).toBe(1);

    await clock.freezeAt(at(expiresAt, -1));
    const before = ok(await burnAt(memberId, shop, '3')).burnPoints!;
    expect(await linksOf(before.transactionId)).toEqual([{ lot_id: olderLot.id, points: '3' }]);

    await clock.freezeAt(expiresAt);
    expect(await walletNow(memberId)).toMatchObject({ available: '10' });
    const onTheInstant = ok(await burnAt(memberId, shop, '5')).burnPoints!;
    expect(await linksOf(onTheInstant.transactionId)).toEqual([
      { lot_id: newerLot.id, points: '5' },
    ]);

    await clock.freezeAt(newerLot.expires_at);
    expect(await walletNow(memberId)).toMatchObject({ available: '0', pending: '0' });
    expect(codesOf(await burnAt(memberId, shop, '1'))).toEqual(['INSUFFICIENT_POINTS']);
  });
});

describe('a hold’s timeout, by ledger time', () => {
  it.each([
    { action: 'capture', when: '1 ms before', offsetMs: -1, outcome: 'CAPTURED' },
    { action: 'capture', when: 'at', offsetMs: 0, outcome: 'HOLD_EXPIRED' },
    { action: 'capture', when: '1 ms after', offsetMs: 1, outcome: 'HOLD_EXPIRED' },
    { action: 'void', when: '1 ms before', offsetMs: -1, outcome: 'VOIDED' },
    { action: 'void', when: 'at', offsetMs: 0, outcome: 'HOLD_EXPIRED' },
  ] as const)('a $action $when its timeout: $outcome', async ({ action, offsetMs, outcome }) => {
    await nextEpoch();
    const memberId = await newMember();
    await earnAt(memberId, shop, '2000');
    const placedAt = await clock.advance(MINUTE_MS);
    const placed = ok(
      await hold(url, tokenOf(shop), {
        idempotencyKey: key(),
        memberId,
        storeId: storeOf(shop),
        points: '8',
        timeoutSeconds: 90,
      }),
    ).holdPoints;
    const timeout = at(placedAt, 90_000);
    expect(placed).toMatchObject({ status: 'OPEN', expiresAt: timeout.toISOString() });

    await clock.freezeAt(at(timeout, offsetMs));
    const stillHeld = offsetMs < 0;
    expect(await walletNow(memberId)).toMatchObject(
      stillHeld ? { available: '12', held: '8' } : { available: '20', held: '0' },
    );
    const input = { idempotencyKey: key(), holdId: placed.id };
    const response =
      action === 'capture'
        ? await capture(url, tokenOf(shop), input)
        : await voidHold(url, tokenOf(shop), input);
    const [row] = await memberDb.rows<{ status: string; resolved_at: Date; expires_at: Date }>(
      'SELECT status, resolved_at, expires_at FROM hold WHERE id = $1',
      [placed.id],
    );
    if (outcome === 'HOLD_EXPIRED') {
      expect(codesOf(response)).toEqual(['HOLD_EXPIRED']);
      // Expired by ledger time, at its timeout, whenever the wallet noticed.
      expect(row).toEqual({ status: 'EXPIRED', resolved_at: timeout, expires_at: timeout });
      expect(await walletNow(memberId)).toMatchObject({ available: '20', held: '0' });
    } else {
      expect(response.errors).toBeUndefined();
      expect(row).toEqual({ status: outcome, resolved_at: at(timeout, -1), expires_at: timeout });
      expect(await walletNow(memberId)).toMatchObject(
        outcome === 'CAPTURED' ? { available: '12', held: '0' } : { available: '20', held: '0' },
      );
    }
  });
});

describe('the expiry run at a lot’s expiry (npm run expire)', () => {
  it('expires a lot at exactly its expiry and not one expiring 1 ms later; a second run changes nothing', async () => {
    await nextEpoch();
    const memberId = await newMember();
    const first = await earnAt(memberId, shop, '1000');
    await clock.advance(1);
    const second = await earnAt(memberId, kiosk, '700');
    const [firstLot, secondLot] = [
      await lotOf(first.transactionId),
      await lotOf(second.transactionId),
    ];

    const runAt = await clock.freezeAt(firstLot.expires_at);
    expect(await walletNow(memberId)).toMatchObject({ available: '7' });
    expect(await runExpiry()).toMatch(/^Expired \d+ points in \d+ lots of \d+ members\.$/m);
    expect(await lotOf(first.transactionId)).toMatchObject({ remaining: '0' });
    expect(await lotOf(second.transactionId)).toMatchObject({ remaining: '7' });
    expect(await expiriesOf(memberId)).toEqual([{ points: '10', created_at: runAt }]);

    await runExpiry();
    expect(await expiriesOf(memberId)).toHaveLength(1);
    expect(await walletNow(memberId)).toMatchObject({ available: '7' });

    const nextRunAt = await clock.freezeAt(secondLot.expires_at);
    expect(nextRunAt.getTime() - runAt.getTime()).toBe(1);
    await expireInProcess();
    expect(await lotOf(second.transactionId)).toMatchObject({ remaining: '0' });
    expect(await expiriesOf(memberId)).toEqual([
      { points: '10', created_at: runAt },
      { points: '7', created_at: nextRunAt },
    ]);
    expect(await walletNow(memberId)).toMatchObject({ available: '0', pending: '0' });
    await expectLedgerClean(network.databaseUrls.member, { expiryRunAt: nextRunAt });
  });
});

describe('refunding a burn whose lots have since expired (schema: refundBurn)', () => {
  it('gives the points back with their issuer and expiry, longest-lived first; those already expired expire at the next run', async () => {
    const start = await nextEpoch();
    const memberId = await newMember();
    const fromShop = await earnAt(memberId, shop, '3000');
    await clock.freezeAt(at(start, DAY_MS));
    const fromKiosk = await earnAt(memberId, kiosk, '2000');
    const [shopLot, kioskLot] = [
      await lotOf(fromShop.transactionId),
      await lotOf(fromKiosk.transactionId),
    ];
    await clock.freezeAt(at(start, 2 * DAY_MS));
    const burned = ok(await burnAt(memberId, shop, '40')).burnPoints!;
    expect(await linksOf(burned.transactionId)).toEqual(
      [
        { lot_id: shopLot.id, points: '30' },
        { lot_id: kioskLot.id, points: '10' },
      ].sort((a, b) => a.lot_id.localeCompare(b.lot_id)),
    );

    // 1 ms before the shop's lot expires: 10 come back from the kiosk's lot (the longer-lived), 2 from the shop's.
    await clock.freezeAt(at(shopLot.expires_at, -1));
    const part = ok(
      await refundBurn(url, tokenOf(shop), {
        idempotencyKey: key(),
        transactionId: burned.transactionId,
        points: '12',
      }),
    ).refundBurn!;
    expect(part.wallet).toMatchObject({ available: '22', pending: '0', debt: '0' });

    // At its expiry the shop's points are gone from the balance; the rest of the refund gives back
    // 28 of them, already expired: a lot the next run expires, never a silent loss or a spendable point.
    const expiredAt = await clock.freezeAt(shopLot.expires_at);
    expect(await walletNow(memberId)).toMatchObject({ available: '20' });
    const rest = ok(
      await refundBurn(url, tokenOf(shop), {
        idempotencyKey: key(),
        transactionId: burned.transactionId,
      }),
    ).refundBurn!;
    expect(rest).toMatchObject({
      points: '28',
      wallet: { available: '20', pending: '0', debt: '0' },
    });
    const restored = await memberDb.rows<LotRow>(
      'SELECT * FROM lot WHERE member_id = $1 AND restored_from_lot_id IS NOT NULL ORDER BY expires_at, points',
      [memberId],
    );
    expect(
      restored.map((l) => ({
        issuer: l.issuer_partner_id,
        from: l.restored_from_lot_id,
        points: l.points,
        expiresAt: l.expires_at,
      })),
    ).toEqual([
      { issuer: shop.id, from: shopLot.id, points: '2', expiresAt: shopLot.expires_at },
      { issuer: shop.id, from: shopLot.id, points: '28', expiresAt: shopLot.expires_at },
      { issuer: kiosk.id, from: kioskLot.id, points: '10', expiresAt: kioskLot.expires_at },
    ]);

    await expireInProcess();
    expect(await expiriesOf(memberId)).toEqual([{ points: '30', created_at: expiredAt }]);
    const expiredLinks = await memberDb.rows<{ issuer: string; points: string }>(
      `SELECT l.issuer_partner_id::text AS issuer, sum(k.points)::text AS points FROM lot_link k JOIN lot l ON l.id = k.lot_id
         JOIN ledger_transaction t ON t.id = k.transaction_id WHERE t.member_id = $1 AND t.kind = 'EXPIRY' GROUP BY 1`,
      [memberId],
    );
    expect(expiredLinks).toEqual([{ issuer: shop.id, points: '30' }]);
    expect(await walletNow(memberId)).toMatchObject({ available: '20', pending: '0', debt: '0' });
    await expectLedgerClean(network.databaseUrls.member, { expiryRunAt: expiredAt });
  });
});

describe('refunding a purchase whose points have expired (schema: refundPurchase, RefundResult.pointsExpired)', () => {
  /** A member with two 10-point purchases at the shop a day apart; ledger time then at the first one's expiry. */
  async function twoPurchasesThenFirstExpires() {
    const start = await nextEpoch();
    const memberId = await newMember();
    const first = await earnAt(memberId, shop, '1000');
    await clock.freezeAt(at(start, DAY_MS));
    const second = await earnAt(memberId, shop, '1000');
    const [firstLot, secondLot] = [
      await lotOf(first.transactionId),
      await lotOf(second.transactionId),
    ];
    const [receipt] = await memberDb.rows<{ receipt_id: string }>(
      'SELECT receipt_id FROM ledger_transaction WHERE id = $1',
      [first.transactionId],
    );
    const expiredAt = await clock.freezeAt(firstLot.expires_at);
    const refundFirst = () =>
      refundPurchase(url, tokenOf(shop), {
        idempotencyKey: key(),
        storeId: storeOf(shop),
        receiptId: receipt!.receipt_id,
      });
    return { memberId, firstLot, secondLot, expiredAt, refundFirst };
  }

  it('takes back the purchase’s own expired points while the expiry run has not emptied its lot, not other points', async () => {
    const { memberId, firstLot, secondLot, expiredAt, refundFirst } =
      await twoPurchasesThenFirstExpires();
    const refunded = ok(await refundFirst()).refundPurchase!;
    expect(refunded).toMatchObject({
      points: '10',
      debtRecorded: '0',
      pointsExpired: '0',
      wallet: { available: '10', debt: '0' },
    });
    expect(await linksOf(refunded.transactionId)).toEqual([{ lot_id: firstLot.id, points: '10' }]);
    expect(
      await memberDb.rows('SELECT remaining::text FROM lot WHERE id = $1', [secondLot.id]),
    ).toEqual([{ remaining: '10' }]);
    await expireInProcess();
    expect(await expiriesOf(memberId)).toEqual([]);
    await expectLedgerClean(network.databaseUrls.member, { expiryRunAt: expiredAt });
  });

  it('does not take them twice once the expiry run has: the refund takes nothing and says why', async () => {
    const { memberId, expiredAt, refundFirst } = await twoPurchasesThenFirstExpires();
    await expireInProcess();
    expect(await expiriesOf(memberId)).toEqual([{ points: '10', created_at: expiredAt }]);
    const refunded = ok(await refundFirst()).refundPurchase!;
    expect(refunded).toMatchObject({
      points: '0',
      debtRecorded: '0',
      pointsExpired: '10',
      wallet: { available: '10', debt: '0' },
    });
    expect(await linksOf(refunded.transactionId)).toEqual([]);
    await expectLedgerClean(network.databaseUrls.member, { expiryRunAt: expiredAt });
  });
});
