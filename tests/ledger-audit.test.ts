import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../shared/src/logger';
import {
  auditLedger,
  formatReport,
  violatedInvariants,
  type AuditOptions,
  type AuditReport,
} from '../subgraphs/member/src/modules/audit/ledger-audit';
import { ExpiryService } from '../subgraphs/member/src/modules/wallet/expiry.service';
import { connectMemberDatabase, expectLedgerClean } from './support/audit';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, gql, operatorToken, tokenFor } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { sleep } from './support/random';
import { burn, capture, earn, earnInput, hold, voidHold } from './support/wallet';

let network: TestNetwork | undefined;
let db: DataSource | undefined;
let shop: OnboardedPartner;
let other: OnboardedPartner;

/** The ids of the small ledger built through the API, for the corruptions to aim at. */
const ids = {
  spender: '', // earned twice at the shop, once pending at the other brand; a one-step burn over two lots; one open hold
  captor: '', // partial capture, a void, an expired hold
  fifo: '', // two lots, one burn that took from the older
  debtor: '', // a purchase refunded after its points were spent: debt, repaid by an earn and burn refunds that restore a lot
  spenderBurn: '',
  spenderOpenHold: '',
  capturedHold: '',
  fifoBurn: '',
  fifoOlderLot: '',
  fifoNewerLot: '',
  refusedKey: '',
};

const ok = <T extends { errors?: unknown }>(response: T): T => {
  expect(response.errors).toBeUndefined();
  return response;
};

type RefundResponse = {
  refundPurchase?: { debtRecorded: string };
  refundBurn?: { points: string };
};
const refund = (
  url: string,
  token: string,
  kind: 'refundPurchase' | 'refundBurn',
  input: Record<string, unknown>,
) =>
  gql<RefundResponse>(
    url,
    `mutation R($input: ${kind === 'refundPurchase' ? 'RefundPurchaseInput' : 'RefundBurnInput'}!) { ${kind}(input: $input) { ${kind === 'refundPurchase' ? 'debtRecorded' : 'points'} } }`,
    { input: { idempotencyKey: randomUUID(), ...input } },
    token,
  );

/** Operator adjustments (lots with no issuer, debits into debt) and a household transfer (lots handed on to another member). */
async function buildHousehold(url: string, shopToken: string): Promise<void> {
  const [giver, taker] = [await enrolMember(url, 'Giver'), await enrolMember(url, 'Taker')];
  const operator = operatorToken();
  const call = (mutation: string, input: Record<string, unknown>, token = operator) =>
    gql(
      url,
      `mutation M($input: ${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $input) { __typename } }`,
      { input },
      token,
    ).then(ok);
  const adjust = (memberId: string, direction: 'CREDIT' | 'DEBIT', points: string) =>
    call('adjustPoints', {
      idempotencyKey: randomUUID(),
      memberId,
      direction,
      points,
      reason: 'CORRECTION',
      note: 'audit test',
    });
  ok(
    await earn(
      url,
      shopToken,
      earnInput({ memberId: giver.id, storeId: shop.stores[0]!.id, total: '10000' }),
    ),
  );
  await adjust(giver.id, 'CREDIT', '50');
  ok(
    await gql(
      url,
      'mutation H($input: CreateHouseholdInput!) { createHousehold(input: $input) { id } }',
      { input: { name: 'Audit family', memberIds: [giver.id, taker.id] } },
      operator,
    ),
  );
  await call('transferPoints', {
    idempotencyKey: randomUUID(),
    fromMemberId: giver.id,
    toMemberId: taker.id,
    points: '120',
  });
  await adjust(taker.id, 'DEBIT', '40');
  await adjust(giver.id, 'DEBIT', '50');
  const lots: { restored: boolean; issued: boolean }[] = await db!.query(
    'SELECT restored_from_lot_id IS NOT NULL AS restored, issuer_partner_id IS NOT NULL AS issued FROM lot WHERE member_id = $1 ORDER BY expires_at',
    [taker.id],
  );
  expect(lots).toEqual([
    { restored: true, issued: true },
    { restored: true, issued: false },
  ]);
  const debt: { debt: string }[] = await db!.query(
    'SELECT debt::text FROM wallet WHERE member_id = $1',
    [giver.id],
  );
  expect(debt).toEqual([{ debt: '20' }]);
}

/** Debt and restored lots (the refunds of the wallet's second increment), so the audit is proven against them too. */
async function buildDebt(url: string, shopToken: string): Promise<void> {
  const debtor = await enrolMember(url, 'Debtor');
  ids.debtor = debtor.id;
  await linkPartner(url, debtor.id, shop.id);
  const store = shop.stores[0]!.id;
  ok(
    await earn(
      url,
      shopToken,
      earnInput({ memberId: debtor.id, storeId: store, total: '10000', receiptId: 'R-DEBT' }),
    ),
  );
  const spent = ok(
    await burn(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: debtor.id,
      storeId: store,
      points: '80',
    }),
  ).data!.burnPoints!.transactionId;
  expect(
    ok(await refund(url, shopToken, 'refundPurchase', { storeId: store, receiptId: 'R-DEBT' })).data
      ?.refundPurchase?.debtRecorded,
  ).toBe('80');
  ok(await earn(url, shopToken, earnInput({ memberId: debtor.id, storeId: store, total: '3000' })));
  ok(await refund(url, shopToken, 'refundBurn', { transactionId: spent, points: '40' }));
  ok(await refund(url, shopToken, 'refundBurn', { transactionId: spent }));
  const lots: { points: string; restored: boolean }[] = await db!.query(
    'SELECT points, restored_from_lot_id IS NOT NULL AS restored FROM lot WHERE member_id = $1 AND remaining > 0',
    [debtor.id],
  );
  expect(lots).toEqual([{ points: '30', restored: true }]);
}

async function buildLedger(url: string, shopToken: string, otherToken: string): Promise<void> {
  const [spender, captor, fifo] = [
    await enrolMember(url, 'Spender'),
    await enrolMember(url, 'Captor'),
    await enrolMember(url, 'Fifo'),
  ];
  Object.assign(ids, { spender: spender.id, captor: captor.id, fifo: fifo.id });
  for (const member of [spender, captor, fifo]) await linkPartner(url, member.id, shop.id);
  // Linking also waits for the partner feed to bring the other brand's store to the wallet.
  await linkPartner(url, spender.id, other.id);
  const store = shop.stores[0]!.id;
  const earnAt = (memberId: string, total: string, receiptId?: string) =>
    earn(
      url,
      shopToken,
      earnInput({ memberId, storeId: store, total, ...(receiptId ? { receiptId } : {}) }),
    ).then(ok);

  await earnAt(spender.id, '10000', 'R-1');
  await earnAt(spender.id, '5000', 'R-2');
  ok(
    await earn(
      url,
      otherToken,
      earnInput({ memberId: spender.id, storeId: other.stores[0]!.id, total: '1050' }),
    ),
  );
  expect(
    codesOf(
      await earn(
        url,
        shopToken,
        earnInput({ memberId: spender.id, storeId: store, total: '100', receiptId: 'R-1' }),
      ),
    ),
  ).toEqual(['DUPLICATE_RECEIPT']);
  ids.spenderBurn = ok(
    await burn(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: spender.id,
      storeId: store,
      points: '120',
    }),
  ).data!.burnPoints!.transactionId;
  ids.spenderOpenHold = ok(
    await hold(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: spender.id,
      storeId: store,
      points: '10',
    }),
  ).data!.holdPoints.id;
  ids.refusedKey = randomUUID();
  expect(
    codesOf(
      await burn(url, shopToken, {
        idempotencyKey: ids.refusedKey,
        memberId: spender.id,
        storeId: store,
        points: '1000',
      }),
    ),
  ).toEqual(['INSUFFICIENT_POINTS']);

  await earnAt(captor.id, '20000');
  const expiring = ok(
    await hold(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: captor.id,
      storeId: store,
      points: '5',
      timeoutSeconds: 1,
    }),
  );
  ids.capturedHold = ok(
    await hold(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: captor.id,
      storeId: store,
      points: '60',
    }),
  ).data!.holdPoints.id;
  ok(
    await capture(url, shopToken, {
      idempotencyKey: randomUUID(),
      holdId: ids.capturedHold,
      points: '25',
    }),
  );
  const voided = ok(
    await hold(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: captor.id,
      storeId: store,
      points: '30',
    }),
  );
  ok(
    await voidHold(url, shopToken, {
      idempotencyKey: randomUUID(),
      holdId: voided.data!.holdPoints.id,
    }),
  );

  await earnAt(fifo.id, '10000');
  await earnAt(fifo.id, '10000');
  ids.fifoBurn = ok(
    await burn(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: fifo.id,
      storeId: store,
      points: '50',
    }),
  ).data!.burnPoints!.transactionId;
  const lots: { id: string }[] = await db!.query(
    'SELECT id FROM lot WHERE member_id = $1 ORDER BY created_at',
    [fifo.id],
  );
  ids.fifoOlderLot = lots[0]!.id;
  ids.fifoNewerLot = lots[1]!.id;

  // The 1-second hold times out by ledger time; the captor's next operation records it EXPIRED.
  await sleep(1_100);
  expect(
    codesOf(
      await capture(url, shopToken, {
        idempotencyKey: randomUUID(),
        holdId: expiring.data!.holdPoints.id,
      }),
    ),
  ).toEqual(['HOLD_EXPIRED']);
}

beforeAll(async () => {
  network = await startTestNetwork('audit');
  const url = network.graphqlUrl;
  shop = await onboardPartner(url, 'Audit Shop', ['Till'], undefined, { returnWindowDays: 0 });
  other = await onboardPartner(url, 'Audit Other', ['Till'], undefined, {
    returnWindowDays: 30,
    pointsPerCurrencyUnit: 2,
  });
  db = await connectMemberDatabase(network.databaseUrls.member);
  const shopToken = tokenFor({ role: 'partner', sub: 'partner:shop', partnerId: shop.id });
  await buildLedger(
    url,
    shopToken,
    tokenFor({ role: 'partner', sub: 'partner:other', partnerId: other.id }),
  );
  await buildDebt(url, shopToken);
  await buildHousehold(url, shopToken);
});

afterAll(async () => {
  await db?.destroy();
  await network?.stop();
});

/**
 * Corrupts the ledger inside a transaction on a connection of its own (append-only triggers and
 * foreign keys off: session_replication_role = replica), audits what that transaction sees, and
 * rolls everything back: the real ledger is never touched.
 */
async function auditCorrupted(
  corrupt: (runner: QueryRunner) => Promise<unknown>,
  options: AuditOptions = {},
): Promise<AuditReport> {
  const runner = db!.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    await runner.query('SET LOCAL session_replication_role = replica');
    await corrupt(runner);
    await runner.query('SET LOCAL session_replication_role = origin');
    return await auditLedger(runner.manager, options);
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
}

const dropHoldChecks = async (runner: QueryRunner) => {
  const checks: { conname: string }[] = await runner.query(
    "SELECT conname FROM pg_constraint WHERE conrelid = 'hold'::regclass AND contype = 'c'",
  );
  for (const { conname } of checks)
    await runner.query(`ALTER TABLE hold DROP CONSTRAINT "${conname}"`);
};

describe('the ledger audit', () => {
  it('passes a ledger built through the API: earns, a pending lot, burns over two lots, holds captured, voided, expired and open, debt, restored lots, adjustments and a household transfer', async () => {
    const report = await expectLedgerClean(network!.databaseUrls.member);
    expect(report.checks.filter((c) => c.skipped).map((c) => c.check)).toEqual([
      'expired-lots-emptied',
    ]);
    expect(new Set(report.checks.map((c) => c.invariant))).toEqual(
      new Set(['L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L7', 'L8', 'L9']),
    );
    const expired: { status: string }[] = await db!.query(
      'SELECT status FROM hold WHERE member_id = $1 AND points = 5',
      [ids.captor],
    );
    expect(expired).toEqual([{ status: 'EXPIRED' }]);
  });

  // Each corruption breaks one invariant. A lot whose remaining drifts breaks L7 and, since L8 is
  // that same conservation summed per issuing partner, L8 with it; nothing else breaks two.
  it.each<[string, (runner: QueryRunner) => Promise<unknown>, string[], string]>([
    [
      'an unbalanced posting (L1)',
      (r) =>
        r.query(
          "UPDATE posting SET points = points + 1 WHERE transaction_id = $1 AND account LIKE 'partner:%:redemption'",
          [ids.spenderBurn],
        ),
      ['L1'],
      'transaction-balances',
    ],
    [
      'a drifted wallet balance (L2)',
      (r) => r.query('UPDATE wallet SET balance = balance + 7 WHERE member_id = $1', [ids.fifo]),
      ['L2'],
      'wallet-balance',
    ],
    [
      'a drifted lifetime_earned (L2)',
      (r) =>
        r.query('UPDATE wallet SET lifetime_earned = lifetime_earned + 1 WHERE member_id = $1', [
          ids.fifo,
        ]),
      ['L2'],
      'lifetime-earned',
    ],
    [
      'an open hold reserving more than the lots hold (L3)',
      (r) =>
        r.query(
          `INSERT INTO hold (id, member_id, partner_id, store_id, points, status, expires_at, created_at) VALUES ($1, $2, $3, $4, 1000000, 'OPEN', now() + interval '1 hour', now())`,
          [randomUUID(), ids.fifo, shop.id, shop.stores[0]!.id],
        ),
      ['L3'],
      'available-not-negative',
    ],
    [
      'a dropped append-only trigger (L4)',
      (r) => r.query('DROP TRIGGER posting_append_only ON posting'),
      ['L4'],
      'append-only-triggers',
    ],
    [
      'a disabled append-only trigger (L4)',
      (r) => r.query('ALTER TABLE lot_link DISABLE TRIGGER lot_link_append_only'),
      ['L4'],
      'append-only-triggers',
    ],
    [
      'postings of a transaction that does not exist (L4)',
      (r) =>
        r.query(
          "INSERT INTO posting (transaction_id, account, points) VALUES ($1, 'operator:promotion', 5), ($1, 'operator:breakage', -5)",
          [randomUUID()],
        ),
      ['L4'],
      'references',
    ],
    [
      'a duplicate receipt (L5)',
      async (r) => {
        await r.query('DROP INDEX ledger_transaction_receipt');
        await r.query(
          "UPDATE ledger_transaction SET receipt_id = 'R-1' WHERE receipt_id = 'R-2' AND partner_id = $1",
          [shop.id],
        );
      },
      ['L5'],
      'duplicate-receipts',
    ],
    [
      'an idempotency record with an unknown failure code (L5)',
      (r) =>
        r.query(
          `UPDATE idempotency_record SET response = '{"error": {"code": "OOPS", "message": "?"}}' WHERE key = $1`,
          [ids.refusedKey],
        ),
      ['L5'],
      'idempotency-records',
    ],
    [
      'an idempotency record whose response is not an outcome at all (L5)',
      (r) =>
        r.query(`UPDATE idempotency_record SET response = '"done"' WHERE key = $1`, [
          ids.refusedKey,
        ]),
      ['L5'],
      'idempotency-records',
    ],
    [
      'a hold CAPTURED without a transaction (L6)',
      async (r) => {
        await dropHoldChecks(r);
        await r.query(
          "UPDATE hold SET status = 'CAPTURED', resolved_at = created_at, captured_points = points WHERE id = $1",
          [ids.spenderOpenHold],
        );
      },
      ['L6'],
      'hold-states',
    ],
    [
      'a second burn naming a captured hold (L6)',
      (r) =>
        r.query(
          `UPDATE ledger_transaction SET details = jsonb_set(details, '{holdId}', to_jsonb($2::text)) WHERE id = $1`,
          [ids.spenderBurn, ids.capturedHold],
        ),
      ['L6'],
      'hold-resolved-once',
    ],
    [
      'a lot whose remaining disagrees with its links (L7, and so L8)',
      (r) => r.query('UPDATE lot SET remaining = remaining - 1 WHERE id = $1', [ids.fifoNewerLot]),
      ['L7', 'L8'],
      'lot-remaining',
    ],
    [
      'a burn that took from a lot still pending (L7)',
      (r) =>
        r.query("UPDATE lot SET available_at = created_at + interval '1 day' WHERE id = $1", [
          ids.fifoOlderLot,
        ]),
      ['L7'],
      'spendable-links',
    ],
    [
      'a burn that left an earlier-expiring lot untouched (L7)',
      (r) =>
        r.query(
          "UPDATE lot SET expires_at = (SELECT expires_at FROM lot WHERE id = $2) - interval '1 day' WHERE id = $1",
          [ids.fifoNewerLot, ids.fifoOlderLot],
        ),
      ['L7'],
      'oldest-expiry-first',
    ],
    [
      'a lot attributed to the wrong issuer (L8)',
      (r) =>
        r.query(
          `UPDATE lot SET issuer_partner_id = $2::uuid, funded_by = jsonb_build_array(jsonb_build_object('partnerId', $2::text, 'points', points::text)) WHERE id = $1`,
          [ids.fifoNewerLot, other.id],
        ),
      ['L8'],
      'issuer-attribution',
    ],
    [
      'a debt beside unexpired points (L7)',
      (r) => r.query('UPDATE wallet SET debt = debt + 5 WHERE member_id = $1', [ids.fifo]),
      ['L7'],
      'debt-without-lots',
    ],
    [
      'a lot handed on by a transfer under another issuer (L8)',
      (r) =>
        r.query(
          `UPDATE lot SET issuer_partner_id = $1::uuid WHERE restored_from_lot_id IS NOT NULL AND issuer_partner_id IS NULL`,
          [other.id],
        ),
      ['L8'],
      'restored-lots',
    ],
    [
      'a restored lot that outlives the lot it restores (L8)',
      (r) =>
        r.query(
          "UPDATE lot SET expires_at = expires_at + interval '1 day' WHERE member_id = $1 AND restored_from_lot_id IS NOT NULL",
          [ids.debtor],
        ),
      ['L8'],
      'restored-lots',
    ],
  ])('catches %s', async (_, corrupt, invariants, check) => {
    const report = await auditCorrupted(corrupt);
    expect(violatedInvariants(report), formatReport(report)).toEqual(invariants);
    expect(report.violations.map((v) => v.check)).toContain(check);
    expect(report.ok).toBe(false);
  });

  it('names the corrupted rows among its samples', async () => {
    const report = await auditCorrupted((r) =>
      r.query('UPDATE wallet SET balance = balance + 7 WHERE member_id = $1', [ids.fifo]),
    );
    expect(report.violations).toEqual([
      expect.objectContaining({
        invariant: 'L2',
        check: 'wallet-balance',
        count: 1,
        sampleIds: [ids.fifo],
      }),
    ]);
    expect(report.violations[0]!.message).toMatch(/wallet\.balance 157, postings 150/);
  });

  it('checks expired lots only when told when the expiry run happened (L9)', async () => {
    const expireNewerLot = (r: QueryRunner) =>
      r.query("UPDATE lot SET expires_at = now() - interval '1 hour' WHERE id = $1", [
        ids.fifoNewerLot,
      ]);
    expect((await auditCorrupted(expireNewerLot)).ok).toBe(true);
    const afterRun = await auditCorrupted(expireNewerLot, { expiryRunAt: new Date() });
    expect(violatedInvariants(afterRun), formatReport(afterRun)).toEqual(['L9']);
    expect(afterRun.violations[0]?.sampleIds).toEqual([ids.fifoNewerLot]);
    const beforeItExpired = await auditCorrupted(expireNewerLot, {
      expiryRunAt: new Date(Date.now() - 2 * 3_600_000),
    });
    expect(beforeItExpired.ok).toBe(true);
  });

  it('leaves the ledger as it was after every corruption', async () => {
    await expectLedgerClean(network!.databaseUrls.member);
  });
});

interface Run {
  code: number | null;
  output: string;
}

function npmAudit(databaseUrl: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'audit'], {
      env: { ...process.env, DATABASE_URL_MEMBER: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('npm run audit', () => {
  it('exits 0 on a clean member database and says every invariant is OK', async () => {
    const run = await npmAudit(network!.databaseUrls.member);
    expect(run.code, run.output).toBe(0);
    for (const invariant of ['L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L7', 'L8', 'L9'])
      expect(run.output).toMatch(new RegExp(`${invariant} OK`));
    expect(run.output).not.toContain('postgres:postgres@');
  });

  it('exits 2 when it cannot reach the database', async () => {
    const unreachable = new URL(network!.databaseUrls.member);
    unreachable.port = '1';
    const run = await npmAudit(unreachable.toString());
    expect(run.code, run.output).toBe(2);
    expect(run.output).toMatch(/cannot connect/);
  });
});

describe('on a scratch copy of the member database (the network stopped: a copy needs its source idle)', () => {
  let scratch: DataSource | undefined;
  let scratchUrl = '';
  const adminUrl = () =>
    Object.assign(new URL(network!.databaseUrls.member), { pathname: '/postgres' }).toString();

  beforeAll(async () => {
    await db!.destroy();
    db = undefined;
    await network!.stop();
    const source = new URL(network!.databaseUrls.member);
    scratchUrl = Object.assign(new URL(source), {
      pathname: `${source.pathname}_scratch`,
    }).toString();
    const server = await connectMemberDatabase(adminUrl());
    await server.query(
      `CREATE DATABASE "${source.pathname.slice(1)}_scratch" TEMPLATE "${source.pathname.slice(1)}"`,
    );
    await server.destroy();
    scratch = await connectMemberDatabase(scratchUrl);
  });

  afterAll(async () => {
    await scratch?.destroy();
    const server = await connectMemberDatabase(adminUrl());
    await server.query(`DROP DATABASE IF EXISTS "${new URL(scratchUrl).pathname.slice(1)}"`);
    await server.destroy();
    network = undefined;
  });

  it('agrees with the expiry run: an expired lot with points is flagged until the run, and a second run changes nothing (L9)', async () => {
    const counts = async () =>
      (
        (await scratch!.query(
          'SELECT (SELECT count(*) FROM ledger_transaction) AS t, (SELECT count(*) FROM lot_link) AS k, (SELECT sum(remaining) FROM lot) AS r',
        )) as unknown[]
      )[0];
    // The other brand's pending lot has no links: let it have expired a day ago.
    await scratch!.query(
      "UPDATE lot SET expires_at = now() - interval '1 day' WHERE member_id = $1 AND issuer_partner_id = $2",
      [ids.spender, other.id],
    );
    const before = await auditLedger(scratch!, { expiryRunAt: new Date() });
    expect(violatedInvariants(before)).toEqual(['L9']);
    const runStartedAt = new Date();
    const expiry = new ExpiryService(scratch!, createLogger('expire', 'warn'));
    expect(await expiry.run()).toEqual({ members: 1, lots: 1, points: 21n });
    const after = await auditLedger(scratch!, { expiryRunAt: runStartedAt });
    expect(after.ok, formatReport(after)).toBe(true);
    const settled = await counts();
    expect(await expiry.run()).toEqual({ members: 0, lots: 0, points: 0n });
    expect(await counts()).toEqual(settled);
    expect((await auditLedger(scratch!, { expiryRunAt: new Date() })).ok).toBe(true);
  });

  it('npm run audit exits 1 on a drifted wallet balance, naming L2 and the member', async () => {
    await scratch!.query('UPDATE wallet SET balance = balance + 7 WHERE member_id = $1', [
      ids.fifo,
    ]);
    const run = await npmAudit(scratchUrl);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(/L2 FAIL/);
    expect(run.output).toContain(ids.fifo);
    expect(run.output).toMatch(/L7 OK/);
  });
});
