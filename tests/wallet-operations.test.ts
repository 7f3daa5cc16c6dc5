import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, gql, tokenFor } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { burn, earn, earnInput, refundBurn, refundPurchase, walletOf } from './support/wallet';

let network: TestNetwork;
let url: string;
let shop: OnboardedPartner;
let cafe: OnboardedPartner;
let shopToken: string;
let cafeToken: string;
let memberDb: pg.Client;

const key = () => randomUUID();

async function member(): Promise<string> {
  const m = await enrolMember(url, `Refund ${randomUUID().slice(0, 6)}`);
  await linkPartner(url, m.id, shop.id);
  await linkPartner(url, m.id, cafe.id);
  return m.id;
}

async function purchase(
  memberId: string,
  partner: OnboardedPartner,
  token: string,
  total: string,
  receiptId = `R-${randomUUID()}`,
): Promise<string> {
  const response = await earn(
    url,
    token,
    earnInput({ memberId, storeId: partner.stores[0]!.id, total, receiptId }),
  );
  expect(response.errors).toBeUndefined();
  return receiptId;
}

/** Moves ledger time for one member's points: their lots now expire at `at` (tests cannot wait two years). */
async function expireLotsOf(memberId: string, at: string): Promise<void> {
  await memberDb.query('UPDATE lot SET expires_at = $2 WHERE member_id = $1', [memberId, at]);
}

async function runExpiry(): Promise<string> {
  const { execFile } = await import('node:child_process');
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

beforeAll(async () => {
  network = await startTestNetwork('refunds');
  url = network.graphqlUrl;
  shop = await onboardPartner(url, 'Refund Shop', ['Main'], undefined, { returnWindowDays: 0 });
  cafe = await onboardPartner(url, 'Refund Cafe', ['Corner'], undefined, { returnWindowDays: 14 });
  shopToken = tokenFor({ role: 'partner', sub: 'partner:shop', partnerId: shop.id });
  cafeToken = tokenFor({ role: 'partner', sub: 'partner:cafe', partnerId: cafe.id });
  memberDb = new pg.Client({ connectionString: network.databaseUrls.member });
  await memberDb.connect();
});

afterAll(async () => {
  await memberDb?.end();
  await network?.stop();
});

describe('refunding a purchase', () => {
  it('claws back points in proportion, and a full refund in parts takes back exactly what was earned', async () => {
    const memberId = await member();
    const receiptId = await purchase(memberId, shop, shopToken, '1000'); // 10 points
    const first = await refundPurchase(url, shopToken, {
      idempotencyKey: key(),
      storeId: shop.stores[0]!.id,
      receiptId,
      amount: '333',
    });
    expect(first.data?.refundPurchase?.points).toBe('3');
    const second = await refundPurchase(url, shopToken, {
      idempotencyKey: key(),
      storeId: shop.stores[0]!.id,
      receiptId,
      amount: '333',
    });
    expect(second.data?.refundPurchase?.points).toBe('3');
    const rest = await refundPurchase(url, shopToken, {
      idempotencyKey: key(),
      storeId: shop.stores[0]!.id,
      receiptId,
    });
    expect(rest.data?.refundPurchase?.points).toBe('4');
    expect(rest.data?.refundPurchase?.wallet).toMatchObject({
      available: '0',
      debt: '0',
      lifetimeEarned: '10',
    });
    const beyond = await refundPurchase(url, shopToken, {
      idempotencyKey: key(),
      storeId: shop.stores[0]!.id,
      receiptId,
      amount: '1',
    });
    expect(codesOf(beyond)).toEqual(['REFUND_EXCEEDS_ORIGINAL']);
  });

  it('takes pending points first, then available ones', async () => {
    const memberId = await member();
    await purchase(memberId, shop, shopToken, '5000'); // 50 available
    const receiptId = await purchase(memberId, cafe, cafeToken, '2000'); // 20 pending at the cafe
    await burn(url, cafeToken, {
      idempotencyKey: key(),
      memberId,
      storeId: cafe.stores[0]!.id,
      points: '1',
    });
    const refund = await refundPurchase(url, cafeToken, {
      idempotencyKey: key(),
      storeId: cafe.stores[0]!.id,
      receiptId,
    });
    expect(refund.data?.refundPurchase).toMatchObject({
      points: '20',
      debtRecorded: '0',
      wallet: { pending: '0', available: '49' },
    });
  });

  it('records points already spent as a debt, repaid first from the next earnings', async () => {
    const memberId = await member();
    const receiptId = await purchase(memberId, shop, shopToken, '3000'); // 30
    await burn(url, shopToken, {
      idempotencyKey: key(),
      memberId,
      storeId: shop.stores[0]!.id,
      points: '25',
    });
    const refund = await refundPurchase(url, shopToken, {
      idempotencyKey: key(),
      storeId: shop.stores[0]!.id,
      receiptId,
    });
    expect(refund.data?.refundPurchase).toMatchObject({
      points: '30',
      debtRecorded: '25',
      wallet: { available: '0', debt: '25' },
    });
    await purchase(memberId, shop, shopToken, '4000'); // 40: 25 repay the debt
    expect(await walletOf(url, shopToken, memberId)).toMatchObject({
      available: '15',
      lifetimeEarned: '70',
    });
  });

  it('refuses an unknown receipt and another partner’s purchase as not found', async () => {
    const memberId = await member();
    const receiptId = await purchase(memberId, shop, shopToken, '1000');
    expect(
      codesOf(
        await refundPurchase(url, shopToken, {
          idempotencyKey: key(),
          storeId: shop.stores[0]!.id,
          receiptId: 'NOPE',
        }),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(
      codesOf(
        await refundPurchase(url, cafeToken, {
          idempotencyKey: key(),
          storeId: cafe.stores[0]!.id,
          receiptId,
        }),
      ),
    ).toEqual(['NOT_FOUND']);
  });
});

describe('refunding a burn', () => {
  it('gives the points back with their issuer and expiry, in parts, never more than was burned', async () => {
    const memberId = await member();
    await purchase(memberId, shop, shopToken, '4000'); // 40 issued by the shop
    const burned = await burn(url, cafeToken, {
      idempotencyKey: key(),
      memberId,
      storeId: cafe.stores[0]!.id,
      points: '30',
    });
    const transactionId = burned.data!.burnPoints!.transactionId;
    const part = await refundBurn(url, cafeToken, {
      idempotencyKey: key(),
      transactionId,
      points: '10',
    });
    expect(part.data?.refundBurn).toMatchObject({ points: '10', wallet: { available: '20' } });
    const rest = await refundBurn(url, cafeToken, { idempotencyKey: key(), transactionId });
    expect(rest.data?.refundBurn).toMatchObject({ points: '20', wallet: { available: '40' } });
    expect(
      codesOf(
        await refundBurn(url, cafeToken, { idempotencyKey: key(), transactionId, points: '1' }),
      ),
    ).toEqual(['REFUND_EXCEEDS_ORIGINAL']);
    const { rows } = await memberDb.query(
      `SELECT count(*)::int AS lots, bool_and(issuer_partner_id = $2) AS shop_issued FROM lot WHERE member_id = $1 AND restored_from_lot_id IS NOT NULL`,
      [memberId, shop.id],
    );
    expect(rows[0]).toEqual({ lots: 2, shop_issued: true });
    expect(
      codesOf(await refundBurn(url, shopToken, { idempotencyKey: key(), transactionId })),
    ).toEqual(['NOT_FOUND']);
  });
});

describe('expiry', () => {
  it('expires lots past their expiry exactly once, by ledger time, and leaves the rest', async () => {
    const expiring = await member();
    const keeping = await member();
    await purchase(expiring, shop, shopToken, '1200');
    await purchase(keeping, shop, shopToken, '800');
    await expireLotsOf(expiring, new Date(Date.now() - 1000).toISOString());
    expect((await walletOf(url, shopToken, expiring))?.available).toBe('0');
    expect(await runExpiry()).toMatch(/Expired \d+ points in \d+ lots of \d+ members/);
    const { rows } = await memberDb.query(
      `SELECT kind, points FROM ledger_transaction WHERE member_id = $1 AND kind = 'EXPIRY'`,
      [expiring],
    );
    expect(rows).toEqual([{ kind: 'EXPIRY', points: '12' }]);
    expect(await runExpiry()).toContain('Expired 0 points');
    const again = await memberDb.query(
      `SELECT count(*)::int AS n FROM ledger_transaction WHERE member_id = $1 AND kind = 'EXPIRY'`,
      [expiring],
    );
    expect(again.rows[0]).toEqual({ n: 1 });
    expect((await walletOf(url, shopToken, keeping))?.available).toBe('8');
  });

  it('lets a burn spend points before their expiry and not once it has passed', async () => {
    const memberId = await member();
    await purchase(memberId, shop, shopToken, '1000');
    await expireLotsOf(memberId, new Date(Date.now() + 60_000).toISOString());
    expect(
      (
        await burn(url, shopToken, {
          idempotencyKey: key(),
          memberId,
          storeId: shop.stores[0]!.id,
          points: '1',
        })
      ).errors,
    ).toBeUndefined();
    await expireLotsOf(memberId, new Date(Date.now()).toISOString());
    expect(
      codesOf(
        await burn(url, shopToken, {
          idempotencyKey: key(),
          memberId,
          storeId: shop.stores[0]!.id,
          points: '1',
        }),
      ),
    ).toEqual(['INSUFFICIENT_POINTS']);
  });
});

describe('operator adjustments', () => {
  const ADJUST = `mutation A($input: AdjustPointsInput!) { adjustPoints(input: $input) { transactionId points direction debtRecorded wallet { available debt } } }`;
  type Adjusted = {
    adjustPoints: {
      points: string;
      direction: string;
      debtRecorded: string;
      wallet: { available: string; debt: string };
    };
  };

  it('credits operator-funded points with a reason, and debits them back, recording debt for what was spent', async () => {
    const memberId = await member();
    const credit = await gql<Adjusted>(url, ADJUST, {
      input: {
        idempotencyKey: key(),
        memberId,
        direction: 'CREDIT',
        points: '50',
        reason: 'GOODWILL',
        note: 'Ticket 123: late delivery',
      },
    });
    expect(credit.data?.adjustPoints).toMatchObject({
      points: '50',
      direction: 'CREDIT',
      wallet: { available: '50', debt: '0' },
    });
    await burn(url, shopToken, {
      idempotencyKey: key(),
      memberId,
      storeId: shop.stores[0]!.id,
      points: '45',
    });
    const debit = await gql<Adjusted>(url, ADJUST, {
      input: {
        idempotencyKey: key(),
        memberId,
        direction: 'DEBIT',
        points: '50',
        reason: 'CORRECTION',
        note: 'Credited twice',
      },
    });
    expect(debit.data?.adjustPoints).toMatchObject({
      debtRecorded: '45',
      wallet: { available: '0', debt: '45' },
    });
    const { rows } = await memberDb.query(
      `SELECT details->>'operator' AS operator, details->>'note' AS note FROM ledger_transaction WHERE member_id = $1 AND kind = 'ADJUSTMENT' ORDER BY created_at`,
      [memberId],
    );
    expect(rows).toEqual([
      { operator: 'operator:test', note: 'Ticket 123: late delivery' },
      { operator: 'operator:test', note: 'Credited twice' },
    ]);
    const lot = await memberDb.query('SELECT issuer_partner_id FROM lot WHERE member_id = $1', [
      memberId,
    ]);
    expect(lot.rows).toEqual([{ issuer_partner_id: null }]);
  });

  it('is for operators only, and wants a note', async () => {
    const memberId = await member();
    const asPartner = await gql(
      url,
      ADJUST,
      {
        input: {
          idempotencyKey: key(),
          memberId,
          direction: 'CREDIT',
          points: '5',
          reason: 'GOODWILL',
          note: 'x',
        },
      },
      shopToken,
    );
    expect(codesOf(asPartner)).toEqual(['FORBIDDEN']);
    const noNote = await gql(url, ADJUST, {
      input: {
        idempotencyKey: key(),
        memberId,
        direction: 'CREDIT',
        points: '5',
        reason: 'GOODWILL',
        note: '  ',
      },
    });
    expect(codesOf(noNote)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('household transfers', () => {
  const HOUSEHOLD = `mutation H($input: CreateHouseholdInput!) { createHousehold(input: $input) { id members { id } } }`;
  const TRANSFER = `mutation T($input: TransferPointsInput!) { transferPoints(input: $input) { points from { available } to { available } } }`;
  type Transferred = {
    transferPoints: { points: string; from: { available: string }; to: { available: string } };
  };

  it('moves points inside a household, keeping their issuer and expiry', async () => {
    const parent = await member();
    const child = await member();
    const stranger = await member();
    await purchase(parent, shop, shopToken, '3000');
    const created = await gql<{ createHousehold: { members: { id: string }[] } }>(url, HOUSEHOLD, {
      input: { name: 'The Examples', memberIds: [parent, child] },
    });
    expect(created.data?.createHousehold.members.map((m) => m.id).sort()).toEqual(
      [parent, child].sort(),
    );

    const asParent = tokenFor({ role: 'member', sub: `member:${parent}`, memberId: parent });
    const moved = await gql<Transferred>(
      url,
      TRANSFER,
      { input: { idempotencyKey: key(), fromMemberId: parent, toMemberId: child, points: '12' } },
      asParent,
    );
    expect(moved.data?.transferPoints).toEqual({
      points: '12',
      from: { available: '18' },
      to: { available: '12' },
    });
    const { rows } = await memberDb.query(
      `SELECT r.issuer_partner_id = s.issuer_partner_id AS same_issuer, r.expires_at = s.expires_at AS same_expiry
         FROM lot r JOIN lot s ON s.id = r.restored_from_lot_id WHERE r.member_id = $1`,
      [child],
    );
    expect(rows).toEqual([{ same_issuer: true, same_expiry: true }]);

    const outside = await gql(
      url,
      TRANSFER,
      { input: { idempotencyKey: key(), fromMemberId: parent, toMemberId: stranger, points: '1' } },
      asParent,
    );
    expect(codesOf(outside)).toEqual(['FORBIDDEN']);
    const asChild = tokenFor({ role: 'member', sub: `member:${child}`, memberId: child });
    const notYours = await gql(
      url,
      TRANSFER,
      { input: { idempotencyKey: key(), fromMemberId: parent, toMemberId: child, points: '1' } },
      asChild,
    );
    expect(codesOf(notYours)).toEqual(['FORBIDDEN']);
    const tooMuch = await gql(
      url,
      TRANSFER,
      { input: { idempotencyKey: key(), fromMemberId: parent, toMemberId: child, points: '19' } },
      asParent,
    );
    expect(codesOf(tooMuch)).toEqual(['INSUFFICIENT_POINTS']);
  });

  it('refuses a member who already has a household', async () => {
    const a = await member();
    const b = await member();
    const c = await member();
    expect(
      (await gql(url, HOUSEHOLD, { input: { name: 'One', memberIds: [a, b] } })).errors,
    ).toBeUndefined();
    expect(
      codesOf(await gql(url, HOUSEHOLD, { input: { name: 'Two', memberIds: [b, c] } })),
    ).toEqual(['BAD_USER_INPUT']);
  });
});

describe('append-only history (L4)', () => {
  it.each([
    ['UPDATE posting SET points = points'],
    ['DELETE FROM lot_link'],
    ['UPDATE ledger_transaction SET points = points'],
    ['TRUNCATE posting CASCADE'],
    ['TRUNCATE ledger_transaction CASCADE'],
  ])('refuses %s', async (statement) => {
    const memberId = await member();
    await purchase(memberId, shop, shopToken, '500');
    await expect(memberDb.query(statement)).rejects.toThrow(/append-only/);
  });
});
