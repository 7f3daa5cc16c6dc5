import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectMemberDatabase, expectLedgerClean } from './support/audit';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, operatorToken, tokenFor, type GraphQLResponse } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { seededRandom, sleep } from './support/random';
import {
  burn,
  capture,
  earn,
  earnInput,
  hold,
  voidHold,
  walletOf,
  type WalletView,
} from './support/wallet';
import { runStorm } from './support/wallet-storm';

/**
 * The wallet under concurrency (docs/ledger.md, what the suites prove: concurrency and idempotency), against the
 * real network. Races go through the gateway, as partners call it; the storm calls the member
 * subgraph directly (its own JWT check still applies) to keep hundreds of calls fast. After every
 * scenario the ledger audit (L1–L9) must pass.
 */

let network: TestNetwork;
let gateway: string;
let db: DataSource;
let shop: OnboardedPartner;
let token: string;
let store: string;

beforeAll(async () => {
  network = await startTestNetwork('concurrency');
  gateway = network.graphqlUrl;
  shop = await onboardPartner(gateway, 'Race Shop', ['Till'], undefined, { returnWindowDays: 0 });
  token = tokenFor({ role: 'partner', sub: 'partner:race', partnerId: shop.id });
  store = shop.stores[0]!.id;
  db = await connectMemberDatabase(network.databaseUrls.member);
  // The wallet learns the store from the partner feed: linking waits until it has.
  await linkPartner(gateway, (await enrolMember(gateway, 'Probe')).id, shop.id);
});

afterEach(async () => {
  await expectLedgerClean(network.databaseUrls.member);
});

afterAll(async () => {
  await db?.destroy();
  await network?.stop();
});

/** A member with `points` available, earned as `lots` equal purchases (so burns span lots). */
async function memberWith(points: number, lots = 1): Promise<{ id: string; cardNumber: string }> {
  const member = await enrolMember(gateway, `Racer ${randomUUID().slice(0, 6)}`);
  for (let i = 0; i < (points > 0 ? lots : 0); i++) {
    const response = await earn(
      gateway,
      token,
      earnInput({ memberId: member.id, storeId: store, total: `${(points / lots) * 100}` }),
    );
    expect(response.errors).toBeUndefined();
  }
  return member;
}

/**
 * As a till does: a call the gateway gave up on (SERVICE_UNAVAILABLE, its subgraph deadline hit
 * while 50 calls queue on one member's lock on a loaded machine) is sent again under the same key,
 * which must then replay or finish the one effect.
 */
async function retried<T extends GraphQLResponse<unknown>>(
  send: () => Promise<T>,
  attemptsMax = 4,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const response = await send();
    if (attempt >= attemptsMax || codesOf(response)[0] !== 'SERVICE_UNAVAILABLE') return response;
  }
}

const wallet = async (memberId: string): Promise<WalletView> =>
  (await walletOf(gateway, operatorToken(), memberId))!;
const outcome = (response: GraphQLResponse<unknown>) =>
  response.errors ? String(codesOf(response)[0]) : 'OK';
const tally = (responses: GraphQLResponse<unknown>[]) =>
  responses
    .map(outcome)
    .reduce<Record<string, number>>(
      (counts, code) => ({ ...counts, [code]: (counts[code] ?? 0) + 1 }),
      {},
    );
const times = <T>(n: number, make: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => make(i)));

type Resolution = GraphQLResponse<Record<string, unknown>>;
/** Even i captures, odd i voids: the two ways a till resolves a hold. */
const captureOrVoid = (i: number, holdId: string): Promise<Resolution> => {
  const input = { idempotencyKey: randomUUID(), holdId };
  return retried(
    () =>
      (i % 2 === 0
        ? capture(gateway, token, input)
        : voidHold(gateway, token, input)) as Promise<Resolution>,
  );
};
/** One call per fresh idempotency key, retried under that key. */
const once = <T extends GraphQLResponse<unknown>>(
  call: (input: Record<string, unknown>) => Promise<T>,
  input: Record<string, unknown>,
) => {
  const keyed = { idempotencyKey: randomUUID(), ...input };
  return retried(() => call(keyed));
};

const LEDGER_TABLES = [
  'ledger_transaction',
  'posting',
  'lot',
  'lot_link',
  'hold',
  'idempotency_record',
  'outbox',
  'wallet',
] as const;
async function rowCounts(): Promise<Record<string, string>> {
  const rows: Record<string, string>[] = await db.query(
    `SELECT ${LEDGER_TABLES.map((t) => `(SELECT count(*) FROM ${t})::text AS ${t}`).join(', ')}`,
  );
  return rows[0]!;
}
const balanceRow = async (memberId: string) =>
  (
    (await db.query('SELECT balance::text, updated_at FROM wallet WHERE member_id = $1', [
      memberId,
    ])) as unknown[]
  )[0];

describe('double spend', () => {
  // B = 1000 in four lots, a = 70: k = 14 since 980 <= 1000 < 1050.
  const [balance, amount, attempts, winners] = [1000, 70, 50, 14];

  it('lets exactly k of 50 concurrent one-step burns through; the rest are INSUFFICIENT_POINTS', async () => {
    const member = await memberWith(balance, 4);
    const responses = await times(attempts, () =>
      once((input) => burn(gateway, token, input), {
        memberId: member.id,
        storeId: store,
        points: `${amount}`,
      }),
    );
    expect(tally(responses)).toEqual({ OK: winners, INSUFFICIENT_POINTS: attempts - winners });
    // Each winner saw every earlier winner: the balances after them are exactly 930, 860, …, 20.
    const after = responses
      .filter((r) => !r.errors)
      .map((r) => Number(r.data!.burnPoints!.wallet.available))
      .sort((a, b) => b - a);
    expect(after).toEqual(Array.from({ length: winners }, (_, i) => balance - amount * (i + 1)));
    expect(await wallet(member.id)).toMatchObject({
      available: `${balance - winners * amount}`,
      held: '0',
    });
  });

  it('lets exactly k of 50 concurrent holds through; the held points cannot be spent again, and the holds still capture', async () => {
    const member = await memberWith(balance, 4);
    const responses = await times(attempts, () =>
      once((input) => hold(gateway, token, input), {
        memberId: member.id,
        storeId: store,
        points: `${amount}`,
      }),
    );
    expect(tally(responses)).toEqual({ OK: winners, INSUFFICIENT_POINTS: attempts - winners });
    expect(await wallet(member.id)).toMatchObject({
      available: `${balance - winners * amount}`,
      held: `${winners * amount}`,
    });
    // Every hold captured while five 10-point burns race for the 20 points left: two get them.
    const holdIds = responses.filter((r) => !r.errors).map((r) => r.data!.holdPoints.id);
    const [captures, burns] = await Promise.all([
      Promise.all(
        holdIds.map((holdId) => once((input) => capture(gateway, token, input), { holdId })),
      ),
      times(5, () =>
        once((input) => burn(gateway, token, input), {
          memberId: member.id,
          storeId: store,
          points: '10',
        }),
      ),
    ]);
    expect(tally(captures)).toEqual({ OK: winners });
    expect(tally(burns)).toEqual({ OK: 2, INSUFFICIENT_POINTS: 3 });
    expect(await wallet(member.id)).toMatchObject({ available: '0', held: '0' });
  });
});

describe('one hold, many resolutions', () => {
  it.each([1, 2, 3])(
    'lets exactly one of five captures and five voids resolve a hold (round %i)',
    async () => {
      const member = await memberWith(300);
      const holdId = (
        await hold(gateway, token, {
          idempotencyKey: randomUUID(),
          memberId: member.id,
          storeId: store,
          points: '100',
        })
      ).data!.holdPoints.id;
      const responses = await times(10, (i) => captureOrVoid(i, holdId));
      const winners = responses.filter((r) => !r.errors);
      expect(winners).toHaveLength(1);
      expect(tally(responses).HOLD_NOT_OPEN).toBe(9);
      const captured = 'capturePoints' in winners[0]!.data!;
      const [row] = (await db.query('SELECT status FROM hold WHERE id = $1', [holdId])) as {
        status: string;
      }[];
      expect(row?.status).toBe(captured ? 'CAPTURED' : 'VOIDED');
      expect(await wallet(member.id)).toMatchObject({
        available: captured ? '200' : '300',
        held: '0',
      });
    },
  );

  // Sent from well before the timeout, and from tight around it (arrivals then straddle it): either
  // one call wins before the timeout and all others are HOLD_NOT_OPEN, or all are HOLD_EXPIRED.
  it.each([
    ['from 200 ms before', [-200, -120, -60, -30, -10, 0, 10, 30, 60, 120]],
    ['tight around', [-20, -10, -5, 0, 5, 10, 20, 40, 60, 80]],
  ])(
    'races captures and voids against the hold timing out, %s: one outcome, by ledger time',
    async (_, offsetsMs) => {
      const member = await memberWith(300);
      const placed = (
        await hold(gateway, token, {
          idempotencyKey: randomUUID(),
          memberId: member.id,
          storeId: store,
          points: '100',
          timeoutSeconds: 1,
        })
      ).data!.holdPoints;
      const expiresAtMs = Date.parse((placed as unknown as { expiresAt: string }).expiresAt);
      const responses = await Promise.all(
        offsetsMs.map(async (offsetMs, i) => {
          await sleep(Math.max(0, expiresAtMs + offsetMs - Date.now()));
          return captureOrVoid(i, placed.id);
        }),
      );
      const [row] = (await db.query(
        'SELECT status, resolved_at, expires_at FROM hold WHERE id = $1',
        [placed.id],
      )) as { status: string; resolved_at: Date; expires_at: Date }[];
      const winners = responses.filter((r) => !r.errors);
      console.log(`hold timeout race: ${JSON.stringify(tally(responses))}, hold ${row?.status}`);
      if (winners.length === 0) {
        expect(tally(responses)).toEqual({ HOLD_EXPIRED: offsetsMs.length });
        expect(row).toMatchObject({ status: 'EXPIRED', resolved_at: row!.expires_at });
      } else {
        expect(winners).toHaveLength(1);
        expect(tally(responses).HOLD_NOT_OPEN).toBe(offsetsMs.length - 1);
        expect(row!.status).toBe('capturePoints' in winners[0]!.data! ? 'CAPTURED' : 'VOIDED');
        expect(row!.resolved_at.getTime()).toBeLessThan(row!.expires_at.getTime());
      }
      expect(await wallet(member.id)).toMatchObject({
        available: row!.status === 'CAPTURED' ? '200' : '300',
        held: '0',
      });
    },
  );
});

describe('retries under one idempotency key', () => {
  it('answers 10 concurrent earns with one key alike, and earns once', async () => {
    const member = await memberWith(0);
    const input = earnInput({ memberId: member.id, storeId: store, total: '4200' });
    const responses = await times(10, () => retried(() => earn(gateway, token, input)));
    expect(responses.map((r) => r.errors)).toEqual(Array(10).fill(undefined));
    expect(new Set(responses.map((r) => JSON.stringify(r.data))).size).toBe(1);
    const earns: unknown[] = await db.query(
      "SELECT 1 FROM ledger_transaction WHERE member_id = $1 AND kind = 'EARN'",
      [member.id],
    );
    expect(earns).toHaveLength(1);
    expect(await wallet(member.id)).toMatchObject({ available: '42', lifetimeEarned: '42' });
  });

  it('answers 10 concurrent burns, holds and captures with one key each alike, with one effect each', async () => {
    const member = await memberWith(500);
    const burnInput = {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: store,
      points: '30',
    };
    const holdInput = {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: store,
      points: '50',
    };
    const [burns, holds] = await Promise.all([
      times(10, () => retried(() => burn(gateway, token, burnInput))),
      times(10, () => retried(() => hold(gateway, token, holdInput))),
    ]);
    const captureInput = {
      idempotencyKey: randomUUID(),
      holdId: holds[0]!.data!.holdPoints.id,
      points: '20',
    };
    const captures = await times(10, () => retried(() => capture(gateway, token, captureInput)));
    for (const responses of [burns, holds, captures]) {
      expect(tally(responses)).toEqual({ OK: 10 });
      expect(new Set(responses.map((r) => JSON.stringify(r.data))).size).toBe(1);
    }
    const burned: { n: string }[] = await db.query(
      "SELECT count(*)::text AS n FROM ledger_transaction WHERE member_id = $1 AND kind = 'BURN'",
      [member.id],
    );
    expect(burned[0]?.n).toBe('2');
    expect(await wallet(member.id)).toMatchObject({ available: '450', held: '0' });
  });

  it('replays one refusal to 10 concurrent burns with one key', async () => {
    const member = await memberWith(10);
    const input = {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: store,
      points: '11',
    };
    const responses = await times(10, () => retried(() => burn(gateway, token, input)));
    expect(tally(responses)).toEqual({ INSUFFICIENT_POINTS: 10 });
    expect(new Set(responses.map((r) => JSON.stringify(r.errors?.[0]?.extensions))).size).toBe(1);
  });
});

describe('one key, another request', () => {
  it('refuses the same key with a different amount with IDEMPOTENCY_CONFLICT and writes nothing', async () => {
    const member = await memberWith(100);
    const input = {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: store,
      points: '10',
    };
    expect((await burn(gateway, token, input)).errors).toBeUndefined();
    const [counts, balance] = [await rowCounts(), await balanceRow(member.id)];
    expect(codesOf(await burn(gateway, token, { ...input, points: '11' }))).toEqual([
      'IDEMPOTENCY_CONFLICT',
    ]);
    expect(codesOf(await hold(gateway, token, { ...input, points: '11' }))).toEqual([
      'IDEMPOTENCY_CONFLICT',
    ]);
    expect(await rowCounts()).toEqual(counts);
    expect(await balanceRow(member.id)).toEqual(balance);
  });

  it('lets one of two concurrent amounts under one key through; the other is IDEMPOTENCY_CONFLICT', async () => {
    const member = await memberWith(100);
    const key = randomUUID();
    const counts = await rowCounts();
    const responses = await Promise.all(
      ['10', '11'].map((points) =>
        retried(() =>
          burn(gateway, token, {
            idempotencyKey: key,
            memberId: member.id,
            storeId: store,
            points,
          }),
        ),
      ),
    );
    expect(tally(responses)).toEqual({ OK: 1, IDEMPOTENCY_CONFLICT: 1 });
    const after = await rowCounts();
    // One burn's worth of rows: a transaction, two postings, one lot link, one key, one fact.
    expect({
      t: +after.ledger_transaction! - +counts.ledger_transaction!,
      p: +after.posting! - +counts.posting!,
      k: +after.idempotency_record! - +counts.idempotency_record!,
    }).toEqual({ t: 1, p: 2, k: 1 });
  });

  // Each member's lock serialises that member's keys only: two members' transactions both find the
  // key unused and race to record it (idempotency_record's primary key decides). Straight to the
  // member subgraph, four rounds, so the six calls of a round really do overlap.
  it('answers one key used for six members at once with IDEMPOTENCY_CONFLICT for all but one, as it does one after the other', async () => {
    const members = await Promise.all(Array.from({ length: 6 }, () => memberWith(100)));
    const subgraph = `${network.services.member.url}/graphql`;
    for (let round = 1; round <= 4; round++) {
      const key = randomUUID();
      const counts = await rowCounts();
      const responses = await Promise.all(
        members.map((m) =>
          burn(subgraph, token, {
            idempotencyKey: key,
            memberId: m.id,
            storeId: store,
            points: '10',
          }),
        ),
      );
      const messages = JSON.stringify(responses.map((r) => r.errors?.[0]?.message ?? 'OK'));
      expect(tally(responses), `round ${round}: ${messages}`).toEqual({
        OK: 1,
        IDEMPOTENCY_CONFLICT: 5,
      });
      expect(+(await rowCounts()).ledger_transaction! - +counts.ledger_transaction!).toBe(1);
    }
  });
});

describe('one receipt, two keys', () => {
  it('earns a receipt once when it arrives twice at once for one member', async () => {
    const member = await memberWith(0);
    const receiptId = `R-${randomUUID()}`;
    const responses = await times(2, () => {
      const input = earnInput({ memberId: member.id, storeId: store, total: '1000', receiptId });
      return retried(() => earn(gateway, token, input));
    });
    expect(tally(responses)).toEqual({ OK: 1, DUPLICATE_RECEIPT: 1 });
    expect(await wallet(member.id)).toMatchObject({ available: '10' });
  });

  it('earns a receipt once when two cards present it at once', async () => {
    const members = [await memberWith(0), await memberWith(0)];
    const receiptId = `R-${randomUUID()}`;
    const responses = await Promise.all(
      members.map((m) => {
        const input = earnInput({
          cardNumber: m.cardNumber,
          storeId: store,
          total: '1000',
          receiptId,
        });
        return retried(() => earn(gateway, token, input));
      }),
    );
    expect(tally(responses)).toEqual({ OK: 1, DUPLICATE_RECEIPT: 1 });
    const earns: unknown[] = await db.query(
      "SELECT 1 FROM ledger_transaction WHERE partner_id = $1 AND receipt_id = $2 AND kind = 'EARN'",
      [shop.id, receiptId],
    );
    expect(earns).toHaveLength(1);
    const balances = await Promise.all(members.map((m) => wallet(m.id).then((w) => w.available)));
    expect(balances.sort()).toEqual(['0', '10']);
  });
});

describe('mixed storm', () => {
  it('keeps every wallet equal to what its successful responses add up to, and the ledger clean', async () => {
    const random = seededRandom('wallet-concurrency storm');
    const members = await Promise.all(Array.from({ length: 5 }, () => memberWith(300, 2)));
    const result = await runStorm({
      url: `${network.services.member.url}/graphql`,
      token,
      storeId: store,
      memberIds: members.map((m) => m.id),
      random,
      operationsMax: 200,
      concurrency: 16,
      durationMsMax: 10_000,
    });
    console.log(
      `storm (seed ${random.seed}): ${result.operations} operations, succeeded ${JSON.stringify(result.succeeded)}, refused ${JSON.stringify(result.refused)}`,
    );
    expect(result.anomalies).toEqual([]);
    expect(result.operations).toBeGreaterThan(50);
    // Every kind of operation took effect at least once, or the storm proved less than it claims.
    expect(Object.keys(result.succeeded).sort()).toEqual([
      'burn',
      'capture',
      'earn',
      'hold',
      'void',
    ]);
    for (const [memberId, expected] of result.expected) {
      const available = 300n + expected.earned - expected.burned - expected.held;
      expect(await wallet(memberId), `member ${memberId}`).toMatchObject({
        available: available.toString(),
        held: expected.held.toString(),
        pending: '0',
        lifetimeEarned: (300n + expected.earned).toString(),
      });
    }
  });
});
