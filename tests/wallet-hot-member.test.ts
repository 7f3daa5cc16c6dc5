import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerClean } from './support/audit';
import { enrolMember, linkPartner, onboardPartner } from './support/coalition';
import {
  codesOf,
  eventually,
  operatorToken,
  tokenFor,
  type GraphQLResponse,
} from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase, type Database } from './support/sql';
import { burn, earn, earnInput, walletOf } from './support/wallet';

/**
 * One busy member must not slow the whole service down. Writes for a member queue in the member
 * service before they take a database connection, so however many of them wait for that member's
 * lock, they hold one connection of the pool between them, and every other member's earn and burn
 * still gets one. The suite holds a member's lock from a connection of its own, as a slow write
 * would, and piles writes up behind it.
 */

/** A deadline for liveness only: far above an earn's normal time; without the queue it is never met. */
const livenessDeadlineMs = 15_000;
const queuedWrites = 40;

let network: TestNetwork;
let memberUrl: string;
let db: Database;
let token: string;
let store: string;

beforeAll(async () => {
  network = await startTestNetwork('hot_member');
  // Straight to the member subgraph, as a till's retries are not the point here: no gateway
  // deadline turns a write that waits in the queue into SERVICE_UNAVAILABLE.
  memberUrl = `${network.services.member.url}/graphql`;
  const shop = await onboardPartner(network.graphqlUrl, 'Busy Shop', ['Till'], undefined, {
    returnWindowDays: 0,
  });
  token = tokenFor({ role: 'partner', sub: 'partner:busy', partnerId: shop.id });
  store = shop.stores[0]!.id;
  db = openDatabase(network.databaseUrls.member);
  // The wallet learns the store from the partner feed: linking waits until it has.
  await linkPartner(
    network.graphqlUrl,
    (await enrolMember(network.graphqlUrl, 'Probe')).id,
    shop.id,
  );
});

afterEach(async () => {
  await expectLedgerClean(network.databaseUrls.member);
});

afterAll(async () => {
  await db?.close();
  await network?.stop();
});

/** A member with `points` available, earned as `lots` equal purchases. */
async function memberWith(points: number, lots = 1): Promise<string> {
  const member = await enrolMember(network.graphqlUrl, `Busy ${randomUUID().slice(0, 6)}`);
  for (let i = 0; i < (points > 0 ? lots : 0); i++) {
    const response = await earn(
      memberUrl,
      token,
      earnInput({ memberId: member.id, storeId: store, total: `${(points / lots) * 100}` }),
    );
    expect(response.errors).toBeUndefined();
  }
  return member.id;
}

/** What the suite takes to stand in for a slow write: the member's advisory lock (shared/src/db/locks.ts). */
const memberLock = (memberId: string) => ({
  sql: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
  params: [`member:${memberId}`],
});

/** Connections that wait for the member's advisory lock: a bigint key shows in pg_locks as classid (high half) and objid. */
async function waitingForLock(memberId: string): Promise<number> {
  const rows = await db.rows<{ waiting: string }>(
    `SELECT count(*)::text AS waiting FROM pg_locks
      WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
    [`member:${memberId}`],
  );
  return Number(rows[0]!.waiting);
}

function withinDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not complete within ${livenessDeadlineMs} ms`)),
      livenessDeadlineMs,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

const outcome = (response: GraphQLResponse<unknown>) =>
  response.errors ? String(codesOf(response)[0]) : 'OK';
const tally = (responses: GraphQLResponse<unknown>[]) =>
  responses
    .map(outcome)
    .reduce<Record<string, number>>(
      (counts, code) => ({ ...counts, [code]: (counts[code] ?? 0) + 1 }),
      {},
    );

describe('a hot member', () => {
  it("queues its writes behind its lock holding one connection, while another member's earn goes through", async () => {
    const hot = await memberWith(1000, 4);
    const other = await memberWith(0);
    const sharedReceipt = `R-${randomUUID()}`;
    // 18 burns and 18 earns of 10 points that all fit whatever their order, two burns that can
    // never fit, and one receipt presented twice: failures in the queue must not stop it.
    const writeFor = (i: number): Promise<GraphQLResponse<unknown>> => {
      if (i < 18)
        return burn(memberUrl, token, {
          idempotencyKey: randomUUID(),
          memberId: hot,
          storeId: store,
          points: '10',
        });
      if (i < 36)
        return earn(memberUrl, token, earnInput({ memberId: hot, storeId: store, total: '1000' }));
      if (i < 38)
        return burn(memberUrl, token, {
          idempotencyKey: randomUUID(),
          memberId: hot,
          storeId: store,
          points: '5000',
        });
      return earn(
        memberUrl,
        token,
        earnInput({ memberId: hot, storeId: store, total: '1000', receiptId: sharedReceipt }),
      );
    };

    let writes: Promise<GraphQLResponse<unknown>[]> = Promise.resolve([]);
    const otherEarn = await db.whileHolding([memberLock(hot)], async () => {
      writes = Promise.all(Array.from({ length: queuedWrites }, (_, i) => writeFor(i)));
      await eventually(
        async () => (await waitingForLock(hot)) > 0,
        livenessDeadlineMs,
        "the hot member's first write to wait for its lock",
      );
      const response = await withinDeadline(
        earn(memberUrl, token, earnInput({ memberId: other, storeId: store, total: '2500' })),
        "another member's earn, while the hot member's writes queue",
      );
      // Still locked: the hot member's writes wait, and only the first of them holds a connection.
      expect(await waitingForLock(hot)).toBe(1);
      return response;
    });

    expect(otherEarn.errors).toBeUndefined();
    expect(otherEarn.data?.earnPoints.wallet).toMatchObject({
      available: '25',
      lifetimeEarned: '25',
    });
    // Released: every queued write finishes, each exactly as it would have alone.
    const responses = await writes;
    expect(tally(responses)).toEqual({ OK: 37, INSUFFICIENT_POINTS: 2, DUPLICATE_RECEIPT: 1 });
    expect(await walletOf(memberUrl, operatorToken(), hot)).toEqual({
      available: `${1000 - 180 + 190}`,
      pending: '0',
      held: '0',
      lifetimeEarned: `${1000 + 190}`,
    });
    expect(await waitingForLock(hot)).toBe(0);
  });
});
