import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, eventually, gql, tokenFor, type GraphQLResponse } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase, type Database } from './support/sql';
import { burn, capture, earn, earnInput, hold, voidHold, walletOf } from './support/wallet';

/**
 * docs/ledger.md, Lots: every earn creates a lot that carries its issuer, and every consumption is
 * recorded as a link (lot → burn): what tells settlement which partner owes which partner for every
 * point burned. The wallet writes its facts to the member outbox in the same transaction as the
 * ledger, and settlement pulls them into its intake (member_fact) in feed order. Here: what arrives
 * there is exactly what the ledger recorded — and a refused or replayed operation sends nothing.
 */

interface IntakeRow extends Record<string, unknown> {
  tx_id: string;
  seq: string;
  type: string;
  key: string;
  payload: Record<string, unknown>;
}

interface Link {
  lotId: string;
  issuerPartnerId: string;
  points: string;
}

let network: TestNetwork;
let url: string;
let memberDb: Database;
let settlementDb: Database;
let issuer: OnboardedPartner;
let redeemer: OnboardedPartner;
let issuerToken: string;
let redeemerToken: string;
const timings: Record<string, number> = {};

/** A member who linked both partners. */
async function linkedMember(name: string): Promise<{ id: string; cardNumber: string }> {
  const member = await enrolMember(url, name);
  await linkPartner(url, member.id, issuer.id);
  await linkPartner(url, member.id, redeemer.id);
  return member;
}

/** The member feed as the member service wrote it, in feed order (optionally one member's facts). */
const outboxOf = (key?: string) =>
  memberDb.rows<IntakeRow>(
    `SELECT tx_id::text AS tx_id, seq::text AS seq, type, key, payload FROM outbox
      WHERE $1::text IS NULL OR key = $1 ORDER BY outbox.tx_id, outbox.seq`,
    [key ?? null],
  );

/** Settlement's intake, in feed order (optionally one member's facts). */
const intakeOf = (key?: string) =>
  settlementDb.rows<IntakeRow>(
    `SELECT tx_id::text AS tx_id, seq::text AS seq, type, key, payload FROM member_fact
      WHERE $1::text IS NULL OR key = $1 ORDER BY member_fact.tx_id, member_fact.seq`,
    [key ?? null],
  );

/** Waits until settlement has taken in every fact the member outbox holds, and returns both. */
async function caughtUp(key?: string): Promise<{ outbox: IntakeRow[]; intake: IntakeRow[] }> {
  const started = performance.now();
  const both = await eventually(
    async () => {
      const outbox = await outboxOf(key);
      const intake = await intakeOf(key);
      return intake.length === outbox.length ? { outbox, intake } : undefined;
    },
    15_000,
    'settlement to take in the member feed',
  );
  const label = `slowest catch-up${key ? '' : ' (whole feed)'}`;
  timings[label] = Math.max(timings[label] ?? 0, Math.round(performance.now() - started));
  return both;
}

/** How many facts of each type the member outbox holds. */
async function outboxCounts(): Promise<Record<string, number>> {
  const rows = await memberDb.rows<{ type: string; n: number }>(
    'SELECT type, count(*)::int AS n FROM outbox GROUP BY type ORDER BY type',
  );
  return Object.fromEntries(rows.map((row) => [row.type, row.n]));
}

const pointsFacts = (rows: IntakeRow[]) => rows.filter((row) => row.type.startsWith('points.'));
const sumOf = (links: Link[]) => links.reduce((total, link) => total + BigInt(link.points), 0n);

beforeAll(async () => {
  network = await startTestNetwork('wallet_facts');
  url = network.graphqlUrl;
  memberDb = openDatabase(network.databaseUrls.member);
  settlementDb = openDatabase(network.databaseUrls.settlement);
  issuer = await onboardPartner(url, 'Issuing Grocer', ['Market Square'], undefined, {
    returnWindowDays: 0,
  });
  redeemer = await onboardPartner(url, 'Redeeming Cinema', ['Screen One', 'Online'], undefined, {
    returnWindowDays: 0,
    pointsPerCurrencyUnit: 3,
  });
  issuerToken = tokenFor({ role: 'partner', sub: 'partner:issuer', partnerId: issuer.id });
  redeemerToken = tokenFor({ role: 'partner', sub: 'partner:redeemer', partnerId: redeemer.id });
});

afterAll(async () => {
  await memberDb?.close();
  await settlementDb?.close();
  await network?.stop();
  console.info(`wallet-facts timings (ms): ${JSON.stringify(timings)}`);
});

describe('the member feed carries settlement what it needs', () => {
  it("takes in one points.earned and the burns of A's lot at B, in feed order, with links that add up", async () => {
    const member = await linkedMember('Crossing Chris');

    // 250.00 EUR at A: one lot of 250 points, issued by A, available at once.
    const earned = await earn(
      url,
      issuerToken,
      earnInput({
        memberId: member.id,
        storeId: issuer.stores[0]!.id,
        total: '25000',
        receiptId: 'A-0001',
      }),
    );
    expect(earned.errors).toBeUndefined();
    expect(earned.data?.earnPoints.pointsEarned).toBe('250');

    // B takes 100 in one step, then 60 of a 70-point hold: both out of A's lot.
    const burned = await burn(url, redeemerToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: redeemer.stores[1]!.id,
      points: '100',
      reference: 'WEB-1',
    });
    expect(burned.errors).toBeUndefined();
    const held = await hold(url, redeemerToken, {
      idempotencyKey: randomUUID(),
      cardNumber: member.cardNumber,
      storeId: redeemer.stores[0]!.id,
      points: '70',
    });
    expect(held.errors).toBeUndefined();
    const holdId = held.data!.holdPoints.id;
    const captured = await capture(url, redeemerToken, {
      idempotencyKey: randomUUID(),
      holdId,
      points: '60',
    });
    expect(captured.errors).toBeUndefined();
    expect(captured.data?.capturePoints?.wallet).toMatchObject({ available: '90', held: '0' });

    // The member database: one lot, from the earn transaction, 160 of its 250 points consumed.
    const lots = await memberDb.rows<{
      id: string;
      earn_transaction_id: string;
      issuer_partner_id: string;
      points: string;
      remaining: string;
    }>(
      'SELECT id, earn_transaction_id, issuer_partner_id, points::text, remaining::text FROM lot WHERE member_id = $1',
      [member.id],
    );
    expect(lots).toHaveLength(1);
    const lot = lots[0]!;
    expect(lot).toMatchObject({
      earn_transaction_id: earned.data!.earnPoints.transactionId,
      issuer_partner_id: issuer.id,
      points: '250',
      remaining: '90',
    });
    const ledger = await memberDb.rows<{
      id: string;
      kind: string;
      points: string;
      partner_id: string;
    }>(
      'SELECT id, kind, points::text, partner_id FROM ledger_transaction WHERE member_id = $1 ORDER BY created_at, id',
      [member.id],
    );
    const burnId = burned.data!.burnPoints!.transactionId;
    const captureId = captured.data!.capturePoints!.transactionId;
    expect(ledger).toEqual([
      {
        id: earned.data!.earnPoints.transactionId,
        kind: 'EARN',
        points: '250',
        partner_id: issuer.id,
      },
      { id: burnId, kind: 'BURN', points: '100', partner_id: redeemer.id },
      { id: captureId, kind: 'BURN', points: '60', partner_id: redeemer.id },
    ]);

    // Settlement's intake: the member's facts exactly as the member feed holds them, in its order.
    const { outbox, intake } = await caughtUp(member.id);
    expect(intake).toEqual(outbox);
    const facts = pointsFacts(intake);
    expect(facts.map((fact) => fact.type)).toEqual([
      'points.earned',
      'points.burned',
      'points.burned',
    ]);

    const [earnFact, burnFact, captureFact] = facts;
    expect(earnFact!.payload).toMatchObject({
      transactionId: lot.earn_transaction_id,
      memberId: member.id,
      partnerId: issuer.id,
      storeId: issuer.stores[0]!.id,
      receiptId: 'A-0001',
      lotId: lot.id,
      issuerPartnerId: issuer.id,
      points: lot.points,
    });
    expect(burnFact!.payload).toMatchObject({
      transactionId: burnId,
      memberId: member.id,
      partnerId: redeemer.id,
      storeId: redeemer.stores[1]!.id,
      holdId: null,
      points: '100',
    });
    expect(captureFact!.payload).toMatchObject({
      transactionId: captureId,
      memberId: member.id,
      partnerId: redeemer.id,
      storeId: redeemer.stores[0]!.id,
      holdId,
      points: '60',
    });
    for (const fact of [burnFact!, captureFact!]) {
      const links = fact.payload.links as Link[];
      expect(links).toEqual([
        { lotId: lot.id, issuerPartnerId: issuer.id, points: fact.payload.points },
      ]);
      expect(sumOf(links)).toBe(BigInt(fact.payload.points as string));
    }

    // The links in the feed are the ledger's own lot links.
    const lotLinks = await memberDb.rows<{
      transaction_id: string;
      lot_id: string;
      points: string;
    }>(
      'SELECT transaction_id, lot_id, points::text FROM lot_link WHERE lot_id = $1 ORDER BY lot_link.points DESC',
      [lot.id],
    );
    expect(lotLinks).toEqual([
      { transaction_id: burnId, lot_id: lot.id, points: '100' },
      { transaction_id: captureId, lot_id: lot.id, points: '60' },
    ]);
  });

  it('links a burn that spans lots of two issuers to each, oldest expiry first, adding up to the burn', async () => {
    const member = await linkedMember('Spanning Sasha');
    const first = await earn(
      url,
      issuerToken,
      earnInput({ memberId: member.id, storeId: issuer.stores[0]!.id, total: '3000' }),
    );
    expect(first.errors).toBeUndefined();
    // 10.00 EUR at B's rate of 3: 30 points, issued by B.
    const second = await earn(
      url,
      redeemerToken,
      earnInput({ memberId: member.id, storeId: redeemer.stores[0]!.id, total: '1000' }),
    );
    expect(second.data?.earnPoints.pointsEarned).toBe('30');
    const burned = await burn(url, redeemerToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: redeemer.stores[0]!.id,
      points: '45',
    });
    expect(burned.errors).toBeUndefined();

    const lots = await memberDb.rows<{ id: string; issuer_partner_id: string }>(
      'SELECT id, issuer_partner_id FROM lot WHERE member_id = $1 ORDER BY expires_at, created_at, id',
      [member.id],
    );
    expect(lots.map((lot) => lot.issuer_partner_id)).toEqual([issuer.id, redeemer.id]);

    const { intake } = await caughtUp(member.id);
    const facts = pointsFacts(intake);
    expect(facts.map((fact) => fact.type)).toEqual([
      'points.earned',
      'points.earned',
      'points.burned',
    ]);
    expect(facts.slice(0, 2).map((fact) => fact.payload.lotId)).toEqual(lots.map((lot) => lot.id));
    const links = facts[2]!.payload.links as Link[];
    expect(links).toEqual([
      { lotId: lots[0]!.id, issuerPartnerId: issuer.id, points: '30' },
      { lotId: lots[1]!.id, issuerPartnerId: redeemer.id, points: '15' },
    ]);
    expect(sumOf(links)).toBe(45n);
  });

  it("keeps one member's facts in ledger order when writes queue for the member's lock: no burn before the lot it takes", async () => {
    const member = await linkedMember('Busy Billie');
    expect(
      (
        await earn(
          url,
          issuerToken,
          earnInput({ memberId: member.id, storeId: issuer.stores[0]!.id, total: '10000' }),
        )
      ).errors,
    ).toBeUndefined();
    // 100 points. Then, twice: while a slow write holds the member's wallet row (locked and updated,
    // as every earn and burn does), six burns of 30 at B and six earns of 20 at A arrive and queue
    // for it. Some burns are refused for lack of points; most take from lots earned in the same round.
    const rounds = 2;
    const succeeded: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      const [burns, earns] = await memberDb
        .whileHolding(
          [
            { sql: 'SELECT 1 FROM wallet WHERE member_id = $1 FOR UPDATE', params: [member.id] },
            {
              sql: 'UPDATE wallet SET updated_at = updated_at WHERE member_id = $1',
              params: [member.id],
            },
          ],
          async () => {
            const sent = Promise.all([
              Promise.all(
                Array.from({ length: 6 }, () =>
                  burn(url, redeemerToken, {
                    idempotencyKey: randomUUID(),
                    memberId: member.id,
                    storeId: redeemer.stores[0]!.id,
                    points: '30',
                  }),
                ),
              ),
              Promise.all(
                Array.from({ length: 6 }, () =>
                  earn(
                    url,
                    issuerToken,
                    earnInput({
                      memberId: member.id,
                      storeId: issuer.stores[0]!.id,
                      total: '2000',
                    }),
                  ),
                ),
              ),
            ]);
            // One member's writes queue inside the service (wallet-queue.ts): the first of them waits
            // here for the row, the rest wait behind it without a connection.
            await eventually(
              async () => {
                const [waiting] = await memberDb.rows<{ n: number }>(
                  `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'member' AND wait_event_type = 'Lock'`,
                );
                return (waiting?.n ?? 0) >= 1;
              },
              15_000,
              'wallet writes to queue for the member lock',
            );
            // Not awaited here: the answers only come once our transaction lets go.
            return { sent };
          },
        )
        .then(({ sent }) => sent);
      timings['slowest round of 12 queued wallet writes'] = Math.max(
        timings['slowest round of 12 queued wallet writes'] ?? 0,
        Math.round(performance.now() - started),
      );
      expect(earns.map((response) => response.errors)).toEqual(earns.map(() => undefined));
      expect(
        burns
          .filter((response) => response.errors !== undefined)
          .flatMap(codesOf)
          .every((code) => code === 'INSUFFICIENT_POINTS'),
      ).toBe(true);
      succeeded.push(
        ...burns.flatMap((response) =>
          response.errors === undefined ? [response.data!.burnPoints!.transactionId] : [],
        ),
      );
    }
    // 100 + 2 × 120 points earned: 11 burns of 30 at most.
    expect(succeeded.length).toBeGreaterThanOrEqual(3);
    expect(succeeded.length).toBeLessThanOrEqual(11);

    const { intake } = await caughtUp(member.id);
    const facts = pointsFacts(intake);
    expect(facts.filter((fact) => fact.type === 'points.earned')).toHaveLength(1 + rounds * 6);
    expect(
      facts
        .filter((fact) => fact.type === 'points.burned')
        .map((fact) => fact.payload.transactionId)
        .sort(),
    ).toEqual(succeeded.sort());
    // The member's lock serialises these writes, so their facts reach the feed in that order (docs/architecture.md).
    // Feed order must be ledger order (ledger time is read under the lock).
    const ledgerOrder = await memberDb.rows<{ id: string; kind: string }>(
      'SELECT id, kind FROM ledger_transaction WHERE member_id = $1 ORDER BY created_at, id',
      [member.id],
    );
    const label = (type: string, id: unknown) =>
      `${type === 'points.earned' || type === 'EARN' ? 'EARN' : 'BURN'} ${String(id).slice(0, 8)}`;
    expect
      .soft(
        facts.map((fact) => label(fact.type, fact.payload.transactionId)),
        'feed order vs ledger order',
      )
      .toEqual(ledgerOrder.map((row) => label(row.kind, row.id)));
    // Replaying the feed as settlement does: a burn only takes from lots the feed has already
    // announced, never more than they hold, and the balance never goes negative.
    const remaining = new Map<string, bigint>();
    const announcedLate: string[] = [];
    let balance = 0n;
    let lowest = 0n;
    for (const fact of facts) {
      if (fact.type === 'points.earned') {
        remaining.set(
          fact.payload.lotId as string,
          (remaining.get(fact.payload.lotId as string) ?? 0n) +
            BigInt(fact.payload.points as string),
        );
        balance += BigInt(fact.payload.points as string);
        continue;
      }
      const links = fact.payload.links as Link[];
      expect(sumOf(links)).toBe(BigInt(fact.payload.points as string));
      for (const link of links) {
        expect(link.issuerPartnerId).toBe(issuer.id);
        if (!remaining.has(link.lotId))
          announcedLate.push(
            `${label(fact.type, fact.payload.transactionId)} takes ${link.points} from lot ${link.lotId.slice(0, 8)} before its points.earned`,
          );
        remaining.set(link.lotId, (remaining.get(link.lotId) ?? 0n) - BigInt(link.points));
      }
      balance -= BigInt(fact.payload.points as string);
      if (balance < lowest) lowest = balance;
    }
    expect
      .soft(announcedLate, 'burns that reach settlement before the lot they consume')
      .toEqual([]);
    expect.soft(lowest, 'lowest running balance replaying the feed').toBe(0n);
    expect((await walletOf(url, issuerToken, member.id))?.available).toBe(balance.toString());
    const lots = await memberDb.rows<{ id: string; remaining: string }>(
      'SELECT id, remaining::text FROM lot WHERE member_id = $1',
      [member.id],
    );
    expect(new Map(lots.map((lot) => [lot.id, BigInt(lot.remaining)]))).toEqual(remaining);
  });

  it('answers a retry sent while the first attempt is in flight with the same result, and sends one fact', async () => {
    const member = await linkedMember('Retrying Remy');
    expect(
      (
        await earn(
          url,
          issuerToken,
          earnInput({ memberId: member.id, storeId: issuer.stores[0]!.id, total: '10000' }),
        )
      ).errors,
    ).toBeUndefined();
    const countsBefore = await outboxCounts();
    const request = {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: redeemer.stores[0]!.id,
      points: '30',
    };
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => burn(url, redeemerToken, request)),
    );
    expect(answers.map((answer) => answer.errors)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(new Set(answers.map((answer) => answer.data?.burnPoints?.transactionId)).size).toBe(1);
    expect(await outboxCounts()).toEqual({
      ...countsBefore,
      'points.burned': (countsBefore['points.burned'] ?? 0) + 1,
    });
    expect((await walletOf(url, issuerToken, member.id))?.available).toBe('70');
  });

  it('earns a receipt sent at once for two members once: the other gets DUPLICATE_RECEIPT and sends no fact', async () => {
    const members = await Promise.all([
      linkedMember('Receipt Robin'),
      linkedMember('Receipt Reese'),
    ]);
    const countsBefore = await outboxCounts();
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const receiptId = `A-RACE-${randomUUID()}`;
      const answers = await Promise.all(
        members.map((member) =>
          earn(
            url,
            issuerToken,
            earnInput({
              memberId: member.id,
              storeId: issuer.stores[0]!.id,
              total: '1000',
              receiptId,
            }),
          ),
        ),
      );
      expect(
        answers
          .map((answer) => (answer.errors === undefined ? 'OK' : codesOf(answer).join(',')))
          .sort(),
      ).toEqual(['DUPLICATE_RECEIPT', 'OK']);
    }
    expect(await outboxCounts()).toEqual({
      ...countsBefore,
      'points.earned': (countsBefore['points.earned'] ?? 0) + rounds,
    });
  });

  it('refuses one idempotency key sent at once for two members with IDEMPOTENCY_CONFLICT, and sends one fact', async () => {
    const members = await Promise.all([linkedMember('Racing Rae'), linkedMember('Racing Rio')]);
    for (const member of members) {
      expect(
        (
          await earn(
            url,
            issuerToken,
            earnInput({ memberId: member.id, storeId: issuer.stores[0]!.id, total: '100000' }),
          )
        ).errors,
      ).toBeUndefined();
    }
    const countsBefore = await outboxCounts();
    const rounds = 8;
    const outcomes: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const idempotencyKey = randomUUID();
      const answers = await Promise.all(
        members.map((member) =>
          burn(url, redeemerToken, {
            idempotencyKey,
            memberId: member.id,
            storeId: redeemer.stores[0]!.id,
            points: '5',
          }),
        ),
      );
      const codes = answers.map((answer) =>
        answer.errors === undefined ? 'OK' : String(codesOf(answer).join(',')),
      );
      outcomes.push(codes.slice().sort().join(' + '));
    }
    // Nothing happens twice: one burn, one fact per key.
    expect(await outboxCounts()).toEqual({
      ...countsBefore,
      'points.burned': (countsBefore['points.burned'] ?? 0) + rounds,
    });
    // The key belongs to whichever request came first; the other is a different request under it,
    // which docs/ledger.md says is IDEMPOTENCY_CONFLICT — not an internal error.
    expect(outcomes).toEqual(Array.from({ length: rounds }, () => 'IDEMPOTENCY_CONFLICT + OK'));
  });

  it('counts the facts it applied in memberFeedStatus, through the gateway, up to the last one', async () => {
    const member = await linkedMember('Counted Cleo');
    expect(
      (
        await earn(
          url,
          issuerToken,
          earnInput({ memberId: member.id, storeId: issuer.stores[0]!.id, total: '500' }),
        )
      ).errors,
    ).toBeUndefined();
    const { outbox } = await caughtUp();
    const status = await eventually(
      async () => {
        const response = await gql<{
          memberFeedStatus: { consumer: string; position: string; factsApplied: number };
        }>(url, '{ memberFeedStatus { consumer position factsApplied } }');
        expect(response.errors).toBeUndefined();
        const current = response.data!.memberFeedStatus;
        return current.factsApplied === outbox.length ? current : undefined;
      },
      15_000,
      'memberFeedStatus to count every fact',
    );
    const last = outbox.at(-1)!;
    expect(status).toEqual({
      consumer: 'member-feed',
      position: `${last.tx_id}.${last.seq}`,
      factsApplied: outbox.length,
    });
    const intake = await intakeOf();
    expect(intake).toHaveLength(status.factsApplied);
    expect(intake).toEqual(outbox);
    expect(pointsFacts(intake).length).toBeGreaterThan(0);

    // Operators only.
    const asPartner = await gql(url, '{ memberFeedStatus { factsApplied } }', {}, issuerToken);
    expect(codesOf(asPartner)).toEqual(['FORBIDDEN']);
  });

  it('emits no fact for a refused, conflicting or replayed operation', async () => {
    const member = await linkedMember('Careful Casey');
    const earnRequest = earnInput({
      memberId: member.id,
      storeId: issuer.stores[0]!.id,
      total: '5000',
      receiptId: 'A-ONCE',
    });
    const firstEarn = await earn(url, issuerToken, earnRequest);
    expect(firstEarn.errors).toBeUndefined();
    const burnRequest = {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: redeemer.stores[0]!.id,
      points: '10',
    };
    const firstBurn = await burn(url, redeemerToken, burnRequest);
    expect(firstBurn.errors).toBeUndefined();
    const openHold = await hold(url, redeemerToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId: redeemer.stores[0]!.id,
      points: '5',
    });
    expect(openHold.errors).toBeUndefined();
    const { intake: before } = await caughtUp(member.id);
    const countsBefore = await outboxCounts();
    const walletBefore = await walletOf(url, issuerToken, member.id);
    expect(walletBefore).toMatchObject({ available: '35', held: '5' });

    const beyond = { ...burnRequest, idempotencyKey: randomUUID(), points: '36' };
    const refusals: [string, () => Promise<GraphQLResponse<unknown>>, string][] = [
      ['a burn beyond the balance', () => burn(url, redeemerToken, beyond), 'INSUFFICIENT_POINTS'],
      [
        'the same refused burn, replayed',
        () => burn(url, redeemerToken, beyond),
        'INSUFFICIENT_POINTS',
      ],
      [
        'a hold beyond the balance',
        () =>
          hold(url, redeemerToken, {
            idempotencyKey: randomUUID(),
            memberId: member.id,
            storeId: redeemer.stores[0]!.id,
            points: '36',
          }),
        'INSUFFICIENT_POINTS',
      ],
      [
        'a receipt earned again under a new key',
        () => earn(url, issuerToken, { ...earnRequest, idempotencyKey: randomUUID() }),
        'DUPLICATE_RECEIPT',
      ],
      [
        'a burn key reused for another amount',
        () => burn(url, redeemerToken, { ...burnRequest, points: '11' }),
        'IDEMPOTENCY_CONFLICT',
      ],
      [
        'an earn key reused for another purchase',
        () => earn(url, issuerToken, { ...earnRequest, receiptId: 'A-OTHER' }),
        'IDEMPOTENCY_CONFLICT',
      ],
      [
        'a capture above its hold',
        () =>
          capture(url, redeemerToken, {
            idempotencyKey: randomUUID(),
            holdId: openHold.data!.holdPoints.id,
            points: '6',
          }),
        'CAPTURE_EXCEEDS_HOLD',
      ],
    ];
    for (const [what, call, code] of refusals) expect(codesOf(await call()), what).toEqual([code]);
    // Replays of successes: the first result again, nothing new.
    const replayedEarn = await earn(url, issuerToken, earnRequest);
    expect(replayedEarn.errors).toBeUndefined();
    expect(replayedEarn.data?.earnPoints.transactionId).toBe(
      firstEarn.data?.earnPoints.transactionId,
    );
    const replayedBurn = await burn(url, redeemerToken, burnRequest);
    expect(replayedBurn.data).toEqual(firstBurn.data);

    expect(await outboxCounts()).toEqual(countsBefore);
    expect(await walletOf(url, issuerToken, member.id)).toEqual(walletBefore);

    // A void moves no points between accounts and has no fact either; a later success has exactly one.
    expect(
      (
        await voidHold(url, redeemerToken, {
          idempotencyKey: randomUUID(),
          holdId: openHold.data!.holdPoints.id,
        })
      ).errors,
    ).toBeUndefined();
    expect(await outboxCounts()).toEqual(countsBefore);
    const marker = await burn(url, redeemerToken, {
      ...burnRequest,
      idempotencyKey: randomUUID(),
      points: '1',
    });
    expect(marker.errors).toBeUndefined();
    expect(await outboxCounts()).toEqual({
      ...countsBefore,
      'points.burned': (countsBefore['points.burned'] ?? 0) + 1,
    });

    // Settlement, once it has the marker, has nothing else new for the member.
    const { intake: after } = await caughtUp(member.id);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(
      after.slice(before.length).map((fact) => [fact.type, fact.payload.transactionId]),
    ).toEqual([['points.burned', marker.data!.burnPoints!.transactionId]]);
  });
});
