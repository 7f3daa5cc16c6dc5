import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { expectLedgerClean } from './support/audit';
import { enrolMember, linkPartner, onboardPartner } from './support/coalition';
import {
  codesOf,
  eventually,
  operatorToken,
  tokenFor,
  type GraphQLResponse,
} from './support/graphql';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres';
import { seededRandom, sleep, type Random } from './support/random';
import { startRestartableNetwork, type RestartableNetwork } from './support/restartable-network';
import { openDatabase, type Database } from './support/sql';
import { burn, earn, earnInput, walletOf, type WalletView } from './support/wallet';

/**
 * The wallet through crashes (docs/ledger.md, what the suites prove): the member service SIGKILLed in the
 * middle of its wallet transactions, and again after it committed one but before it answered; then
 * Postgres itself stopped in immediate mode under a load of earns and burns. Each time the caller
 * retries under its idempotency keys, and each write must take effect exactly once.
 *
 * The suite runs on a Postgres of its own (tests/support/private-postgres.ts): it crashes it, and
 * it changes a server-wide setting, neither of which the suites sharing the run's Postgres should
 * feel. Writes go straight to the member subgraph, which checks the same tokens the gateway passes.
 */

const INITIAL_POINTS = 500;
const LIVENESS_MS = 60_000;
/** Bounds on failure only: each test waits on up to a few liveness deadlines on a busy two-core machine. */
const KILL_TEST_TIMEOUT_MS = 150_000;
const CRASH_TEST_TIMEOUT_MS = 300_000;

let postgres: PrivatePostgres;
let network: RestartableNetwork;
/** The member database, through the suite's own connections. */
let db: Database;
/** The server's `postgres` database: server-wide settings, and a table of its own to probe commits with. */
let admin: Database;
let token: string;
let store: string;

beforeAll(async () => {
  postgres = await startPrivatePostgres('wallet-crash');
  network = await startRestartableNetwork(postgres, 'crash');
  const shop = await onboardPartner(network.graphqlUrl, 'Crash Shop', ['Till'], undefined, {
    returnWindowDays: 0,
  });
  token = tokenFor({ role: 'partner', sub: 'partner:crash', partnerId: shop.id });
  store = shop.stores[0]!.id;
  // The wallet learns the store from the partner feed: linking waits until it has.
  await linkPartner(
    network.graphqlUrl,
    (await enrolMember(network.graphqlUrl, 'Probe')).id,
    shop.id,
  );
  db = openDatabase(network.databaseUrls.member);
  admin = openDatabase(postgres.url('postgres'));
  await admin.rows('CREATE TABLE commit_probe (at timestamptz NOT NULL DEFAULT now())');
});

afterEach(async () => {
  await expectLedgerClean(network.databaseUrls.member);
});

afterAll(async () => {
  await db?.close();
  await admin?.close();
  await network?.stop();
  await postgres?.destroy();
});

const memberUrl = () => network.memberGraphqlUrl;

/** A member with INITIAL_POINTS available (the partner's return window is zero). */
async function memberWith(points = INITIAL_POINTS): Promise<string> {
  const member = await enrolMember(network.graphqlUrl, `Crash ${randomUUID().slice(0, 6)}`);
  const response = await earn(
    memberUrl(),
    token,
    earnInput({ memberId: member.id, storeId: store, total: `${points * 100}` }),
  );
  expect(response.errors).toBeUndefined();
  return member.id;
}

const wallet = async (memberId: string): Promise<WalletView> =>
  (await walletOf(network.graphqlUrl, operatorToken(), memberId))!;

/** What reached the caller: an answer, or the failure of the request itself (the process died). */
type Answer = { response: GraphQLResponse<Record<string, unknown>> } | { failure: string };
const settled = (request: Promise<GraphQLResponse<Record<string, unknown>>>): Promise<Answer> =>
  request.then(
    (response) => ({ response }),
    (error: unknown) => ({ failure: String(error) }),
  );
const unanswered = (answers: Answer[]) => answers.filter((answer) => 'failure' in answer).length;

/** One write, kept so it can be sent again exactly as it was, under the same key. */
interface Write {
  kind: 'earn' | 'burn';
  memberId: string;
  input: Record<string, unknown> & { idempotencyKey: string };
}

const earnWrite = (memberId: string, total: string): Write => ({
  kind: 'earn',
  memberId,
  input: earnInput({
    memberId,
    storeId: store,
    total,
    idempotencyKey: randomUUID(),
  }) as Write['input'],
});
const burnWrite = (memberId: string, points: string): Write => ({
  kind: 'burn',
  memberId,
  input: { idempotencyKey: randomUUID(), memberId, storeId: store, points },
});
const send = (write: Write) =>
  (write.kind === 'earn'
    ? earn(memberUrl(), token, write.input)
    : burn(memberUrl(), token, write.input)) as Promise<GraphQLResponse<Record<string, unknown>>>;
const transactionIdOf = (response: GraphQLResponse<Record<string, unknown>>) =>
  (Object.values(response.data ?? {})[0] as { transactionId?: string } | undefined)?.transactionId;

/**
 * Everything the wallet keeps about a member, as rows: a write that left anything behind, even a
 * lot's remaining points or a fact in the outbox, shows up as a difference.
 */
async function footprint(memberId: string): Promise<Record<string, unknown>> {
  const [row] = await db.rows(
    `SELECT (SELECT row_to_json(w) FROM (SELECT balance, debt, lifetime_earned, updated_at FROM wallet WHERE member_id = $1::uuid) w) AS wallet,
            (SELECT count(*)::int FROM ledger_transaction WHERE member_id = $1) AS transactions,
            (SELECT count(*)::int FROM posting WHERE transaction_id IN (SELECT id FROM ledger_transaction WHERE member_id = $1)) AS postings,
            (SELECT json_agg(json_build_object('id', id, 'remaining', remaining) ORDER BY id) FROM lot WHERE member_id = $1) AS lots,
            (SELECT count(*)::int FROM lot_link WHERE transaction_id IN (SELECT id FROM ledger_transaction WHERE member_id = $1)) AS lot_links,
            (SELECT count(*)::int FROM hold WHERE member_id = $1) AS holds,
            (SELECT count(*)::int FROM outbox WHERE key = $1::text) AS facts`,
    [memberId],
  );
  return row!;
}
const footprints = (memberIds: string[]) => Promise.all(memberIds.map(footprint));

/** What the idempotency records of these keys say happened: a transaction id, a refusal code, or nothing. */
async function recordedOutcomes(keys: string[]): Promise<Record<string, string>> {
  const rows = await db.rows<{ key: string; outcome: string }>(
    `SELECT key, coalesce(response->'ok'->>'transactionId', response->'error'->>'code', response::text) AS outcome
       FROM idempotency_record WHERE key = ANY($1)`,
    [keys],
  );
  return Object.fromEntries(rows.map((row) => [row.key, row.outcome]));
}

interface Backend {
  pid: number;
  application: string;
  granted: boolean;
  /** Set once the transaction has written something. */
  xid: string | null;
  waitEvent: string | null;
}

/** Every backend holding or waiting for a member's wallet lock (the advisory lock lockWallet takes). */
async function lockQueueOf(memberId: string): Promise<Backend[]> {
  return db.rows<Backend & Record<string, unknown>>(
    `SELECT a.pid, a.application_name AS application, l.granted, a.backend_xid::text AS xid, a.wait_event AS "waitEvent"
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.objsubid = 1
        AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`,
    [`member:${memberId}`],
  );
}
const memberLock = (memberId: string) => ({
  sql: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
  params: [`member:${memberId}`],
});

/** Waits until Postgres has noticed that the clients of these backends are gone, and ended them. */
async function waitUntilGone(pids: number[]): Promise<void> {
  await eventually(
    async () =>
      (await db.rows('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1)', [pids])).length === 0,
    LIVENESS_MS,
    `backends ${pids} to end`,
  );
}

describe('the member service SIGKILLed and restarted', () => {
  it(
    'leaves nothing of the writes it was in the middle of, and the retries under their keys each take effect once',
    async () => {
      const [m1, m2, m3] = await Promise.all([memberWith(), memberWith(), memberWith()]);
      const writes = [earnWrite(m1, '4200'), burnWrite(m2, '120'), burnWrite(m3, '80')];
      const before = await footprints([m1, m2, m3]);

      // Our transaction holds the outbox, the last table a wallet write touches, and m3's lock: the
      // earn and m2's burn write their ledger rows and stop at the outbox; m3's burn, its transaction
      // begun, waits for the lock before writing anything.
      const { answers, victims } = await db.whileHolding(
        [{ sql: 'LOCK TABLE outbox IN EXCLUSIVE MODE' }, memberLock(m3)],
        async () => {
          const inFlight = writes.map((write) => settled(send(write)));
          const victims = await eventually(
            async () => {
              const [q1, q2, q3] = await Promise.all([m1, m2, m3].map(lockQueueOf));
              const halfWritten = [q1!, q2!].map((queue) =>
                queue.find(
                  (b) =>
                    b.application === 'member' &&
                    b.granted &&
                    b.xid !== null &&
                    b.waitEvent === 'relation',
                ),
              );
              const waiting = q3!.find((b) => b.application === 'member' && !b.granted);
              return (
                halfWritten.every(Boolean) &&
                waiting !== undefined && [...halfWritten.map((b) => b!.pid), waiting.pid]
              );
            },
            LIVENESS_MS,
            'the three writes to be stuck inside their transactions',
          );
          await network.killMember();
          return { answers: await Promise.all(inFlight), victims };
        },
      );
      // Released, the orphaned backends run on until they find their client gone, then abort.
      await waitUntilGone(victims);

      expect(unanswered(answers)).toBe(3);
      expect(await footprints([m1, m2, m3])).toEqual(before);
      expect(await recordedOutcomes(writes.map((w) => w.input.idempotencyKey))).toEqual({});

      await network.restartMember();
      const retried = [];
      for (const write of writes) retried.push(await send(write));
      expect(retried.map((r) => r.errors)).toEqual([undefined, undefined, undefined]);
      const replayed = [];
      for (const write of writes) replayed.push(await send(write));
      expect(replayed.map((r) => r.data)).toEqual(retried.map((r) => r.data));

      const after = await footprints([m1, m2, m3]);
      expect(
        after.map((f, i) => (f.transactions as number) - (before[i]!.transactions as number)),
      ).toEqual([1, 1, 1]);
      expect(await wallet(m1)).toMatchObject({
        available: `${INITIAL_POINTS + 42}`,
        lifetimeEarned: `${INITIAL_POINTS + 42}`,
      });
      expect(await wallet(m2)).toMatchObject({ available: `${INITIAL_POINTS - 120}` });
      expect(await wallet(m3)).toMatchObject({ available: `${INITIAL_POINTS - 80}` });
    },
    KILL_TEST_TIMEOUT_MS,
  );

  it(
    'replays, to the retry, the write it had committed but not yet answered when it was killed',
    async () => {
      const [m1, m2] = await Promise.all([memberWith(), memberWith()]);
      const writes = [earnWrite(m1, '3100'), burnWrite(m2, '75')];
      const before = await footprints([m1, m2]);

      // With commits waiting for a standby, each write is committed locally (in the WAL) and stays
      // there, unanswered, holding the member's lock, until the standby requirement is lifted.
      const { answers, victims } = await whileCommitsAwaitAStandby(async () => {
        const inFlight = writes.map((write) => settled(send(write)));
        const victims = await eventually(
          async () => {
            const queues = await Promise.all([m1, m2].map(lockQueueOf));
            const committing = queues.map((queue) =>
              queue.find(
                (b) => b.application === 'member' && b.granted && b.waitEvent === 'SyncRep',
              ),
            );
            return committing.every(Boolean) && committing.map((b) => b!.pid);
          },
          LIVENESS_MS,
          'both writes to be committing',
        );
        await network.killMember();
        return { answers: await Promise.all(inFlight), victims };
      });
      await waitUntilGone(victims);

      expect(unanswered(answers)).toBe(2);
      // Committed before the kill: there before anyone retries, each once.
      const committed = await recordedOutcomes(writes.map((w) => w.input.idempotencyKey));
      const transactionIds = writes.map((w) => committed[w.input.idempotencyKey]);
      const ledgerRows = await db.rows(
        'SELECT id FROM ledger_transaction WHERE id = ANY($1::uuid[])',
        [transactionIds],
      );
      expect(ledgerRows).toHaveLength(2);
      const afterCommit = await footprints([m1, m2]);
      expect(
        afterCommit.map((f, i) => (f.transactions as number) - (before[i]!.transactions as number)),
      ).toEqual([1, 1]);

      await network.restartMember();
      const retried = [];
      for (const write of writes) retried.push(await send(write));
      expect(retried.map((r) => r.errors)).toEqual([undefined, undefined]);
      expect(retried.map(transactionIdOf)).toEqual(transactionIds);
      expect(await footprints([m1, m2])).toEqual(afterCommit);
      expect(await wallet(m1)).toMatchObject({
        available: `${INITIAL_POINTS + 31}`,
        lifetimeEarned: `${INITIAL_POINTS + 31}`,
      });
      expect(await wallet(m2)).toMatchObject({ available: `${INITIAL_POINTS - 75}` });
    },
    KILL_TEST_TIMEOUT_MS,
  );
});

/**
 * Runs `during` while every commit that wrote WAL waits for a synchronous standby that never
 * connects: the transaction is durable and marked committed, but holds its locks, stays invisible
 * and gets no answer until the requirement is lifted (then it completes as committed).
 */
async function whileCommitsAwaitAStandby<T>(during: () => Promise<T>): Promise<T> {
  await admin.rows(`ALTER SYSTEM SET synchronous_standby_names = 'standby_that_never_connects'`);
  await admin.rows('SELECT pg_reload_conf()');
  // The setting reaches the server's processes some time after the reload: commits of our own,
  // one after another, until one is seen waiting, prove that it has.
  let probe: { committed: boolean; done: Promise<unknown> } | undefined;
  try {
    await eventually(
      async () => {
        if (!probe || probe.committed) {
          const next = {
            committed: false,
            done: admin.rows('INSERT INTO commit_probe DEFAULT VALUES'),
          };
          const settle = () => (next.committed = true);
          void next.done.then(settle, settle);
          probe = next;
        }
        return (
          (
            await admin.rows(
              `SELECT 1 FROM pg_stat_activity WHERE query LIKE 'INSERT INTO commit_probe%' AND wait_event = 'SyncRep'`,
            )
          ).length > 0
        );
      },
      LIVENESS_MS,
      'commits to wait for the standby',
    );
    return await during();
  } finally {
    await admin.rows('ALTER SYSTEM RESET synchronous_standby_names');
    await admin.rows('SELECT pg_reload_conf()');
    await probe?.done;
  }
}

/** One write of the load, and what came back each time it was sent. */
interface LoadWrite extends Write {
  sentWhile: Phase;
  first?: Answer;
  /** When the first answer came: before the crash, while Postgres was down, or after its restart. */
  answeredWhile?: Phase;
}
type Phase = 'up' | 'down' | 'restarted';
/** Small beside the burns (up to 300 points), so that some are refused and their refusals must replay too. */
const LOAD_INITIAL_POINTS = 300;
type Outcome = 'OK' | 'INSUFFICIENT_POINTS' | 'FAILED';

const outcomeOf = (answer: Answer | undefined): Outcome => {
  if (!answer || 'failure' in answer) return 'FAILED';
  const code = codesOf(answer.response)[0];
  return code === undefined
    ? 'OK'
    : code === 'INSUFFICIENT_POINTS'
      ? 'INSUFFICIENT_POINTS'
      : 'FAILED';
};

interface Load {
  random: Random;
  memberIds: string[];
  writes: LoadWrite[];
  phase: Phase;
  stopping: boolean;
}

/** A worker of the load: earns and burns on random members, one at a time, until told to stop. */
async function loadWorker(load: Load): Promise<void> {
  while (!load.stopping) {
    const memberId = load.random.pick(load.memberIds);
    const write: LoadWrite = {
      sentWhile: load.phase,
      ...(load.random.chance(0.5)
        ? earnWrite(memberId, load.random.int(100, 30_000).toString())
        : burnWrite(memberId, load.random.int(1, 300).toString())),
    };
    load.writes.push(write);
    write.first = await settled(send(write));
    write.answeredWhile = load.phase;
    // Refused by a server without its database, a worker pauses rather than spin.
    if (outcomeOf(write.first) === 'FAILED') await sleep(50);
  }
}

/** How the failed writes failed, by error code and message (or the request's own failure), counted. */
function failureKinds(writes: LoadWrite[]): Record<string, number> {
  const kinds = writes
    .filter((w) => outcomeOf(w.first) === 'FAILED')
    .map(({ first }) =>
      !first || 'failure' in first
        ? `no answer: ${first?.failure}`
        : `${String(codesOf(first.response)[0])}: ${first.response.errors?.[0]?.message.slice(0, 80)}`,
    );
  return kinds.reduce<Record<string, number>>(
    (counts, kind) => ({ ...counts, [kind]: (counts[kind] ?? 0) + 1 }),
    {},
  );
}

const count = (writes: LoadWrite[], outcome: Outcome, phase?: Phase) =>
  writes.filter(
    (w) => outcomeOf(w.first) === outcome && (phase === undefined || w.answeredWhile === phase),
  ).length;

describe('Postgres stopped in immediate mode under load, and restarted', () => {
  it(
    'keeps every acknowledged write; every other write, retried under its key, takes effect once',
    async () => {
      onTestFailed(() => {
        for (const line of [...network.logs.slice(-60), ...postgres.log.slice(-30)])
          console.warn(line);
      });
      const memberIds = await Promise.all(
        Array.from({ length: 4 }, () => memberWith(LOAD_INITIAL_POINTS)),
      );
      const setupTransactionIds = new Set(
        (
          await db.rows<{ id: string }>(
            'SELECT id FROM ledger_transaction WHERE member_id = ANY($1::uuid[])',
            [memberIds],
          )
        ).map((r) => r.id),
      );
      const load: Load = {
        random: seededRandom('wallet crash load'),
        memberIds,
        writes: [],
        phase: 'up',
        stopping: false,
      };
      const workers = Promise.all(Array.from({ length: 8 }, () => loadWorker(load)));

      await eventually(
        async () => count(load.writes, 'OK') >= 40,
        LIVENESS_MS,
        '40 acknowledged writes',
      );
      load.phase = 'down';
      // The suite's own pools go first and come back after, so they start clean.
      await Promise.all([db.close(), admin.close()]);
      await postgres.crash();
      await eventually(
        async () => count(load.writes, 'FAILED', 'down') >= 8,
        LIVENESS_MS,
        'writes refused while Postgres is down',
      );
      await postgres.restart();
      load.phase = 'restarted';
      db = openDatabase(network.databaseUrls.member);
      admin = openDatabase(postgres.url('postgres'));
      await eventually(
        async () => count(load.writes, 'OK', 'restarted') >= 20,
        LIVENESS_MS,
        'the member service to take writes again',
      );
      load.stopping = true;
      await workers;
      // Eight workers, never idle while Postgres is up: the crash cut writes already under way.
      const cut = load.writes.filter(
        (w) => w.sentWhile === 'up' && outcomeOf(w.first) === 'FAILED',
      ).length;
      expect(cut).toBeGreaterThan(0);
      console.log(
        `crash load (seed ${load.random.seed}): ${load.writes.length} writes, ${cut} cut by the crash; ` +
          (['up', 'down', 'restarted'] as const)
            .map(
              (p) =>
                `answered ${p}: OK ${count(load.writes, 'OK', p)}, refused ${count(load.writes, 'INSUFFICIENT_POINTS', p)}, failed ${count(load.writes, 'FAILED', p)}`,
            )
            .join('; ') +
          `; failures ${JSON.stringify(failureKinds(load.writes))}`,
      );

      // The outage reaches a till as a retryable SERVICE_UNAVAILABLE, never a driver message.
      const answeredFailures = load.writes.flatMap(({ first }) =>
        first && !('failure' in first) && outcomeOf(first) === 'FAILED'
          ? [codesOf(first.response)[0]]
          : [],
      );
      expect(answeredFailures.length).toBeGreaterThan(0);
      expect(new Set(answeredFailures)).toEqual(new Set(['SERVICE_UNAVAILABLE']));

      await expectAcknowledgedWritesPresent(load.writes);
      const final = await retryEveryWrite(load.writes);
      await expectEachWriteOnce(memberIds, setupTransactionIds, final);
      await expectNetworkRecovered(memberIds, final);
    },
    CRASH_TEST_TIMEOUT_MS,
  );
});

/** Every write that was answered OK is in the ledger as it was answered, before anything is retried. */
async function expectAcknowledgedWritesPresent(writes: LoadWrite[]): Promise<void> {
  const acknowledged = writes.filter((w) => outcomeOf(w.first) === 'OK');
  expect(acknowledged.length).toBeGreaterThan(0);
  const ids = acknowledged.map((w) =>
    transactionIdOf((w.first as { response: GraphQLResponse<Record<string, unknown>> }).response)!,
  );
  const rows = await db.rows<{ id: string; member_id: string; kind: string }>(
    'SELECT id, member_id, kind FROM ledger_transaction WHERE id = ANY($1::uuid[])',
    [ids],
  );
  const found = new Map(rows.map((r) => [r.id, `${r.kind} ${r.member_id}`]));
  expect(
    ids.map(
      (id, i) => found.get(id) ?? `missing: ${acknowledged[i]!.kind} ${acknowledged[i]!.memberId}`,
    ),
  ).toEqual(acknowledged.map((w) => `${w.kind.toUpperCase()} ${w.memberId}`));
}

/**
 * Sends every write again under its key: an answered one must replay its answer exactly; one that
 * failed must now complete or be refused for lack of points (a burn), and then replay that. Returns
 * the final answer of every write.
 */
async function retryEveryWrite(
  writes: LoadWrite[],
): Promise<{ write: LoadWrite; response: GraphQLResponse<Record<string, unknown>> }[]> {
  const final = [];
  let committedUnanswered = 0;
  const ledgerBefore = new Set(
    (await db.rows<{ id: string }>('SELECT id FROM ledger_transaction')).map((r) => r.id),
  );
  for (const write of writes) {
    const again = await send(write);
    if (write.first && 'response' in write.first && outcomeOf(write.first) !== 'FAILED') {
      expect({ data: again.data, codes: codesOf(again) }).toEqual({
        data: write.first.response.data,
        codes: codesOf(write.first.response),
      });
    } else {
      expect(
        write.kind === 'burn' ? ['OK', 'INSUFFICIENT_POINTS'] : ['OK'],
        JSON.stringify(again.errors),
      ).toContain(outcomeOf({ response: again }));
      const id = transactionIdOf(again);
      if (id !== undefined && ledgerBefore.has(id)) committedUnanswered += 1;
      const replay = await send(write);
      expect({ data: replay.data, codes: codesOf(replay) }).toEqual({
        data: again.data,
        codes: codesOf(again),
      });
    }
    final.push({ write, response: again });
  }
  console.log(
    `crash load: ${committedUnanswered} failed writes had committed before they failed; their retries replayed them`,
  );
  return final;
}

/** The members' ledgers hold exactly the transactions the final answers name: none lost, none twice. */
async function expectEachWriteOnce(
  memberIds: string[],
  setupTransactionIds: Set<string>,
  final: { write: LoadWrite; response: GraphQLResponse<Record<string, unknown>> }[],
): Promise<void> {
  const rows = await db.rows<{ id: string; member_id: string; kind: string; points: string }>(
    'SELECT id, member_id, kind, points::text FROM ledger_transaction WHERE member_id = ANY($1::uuid[])',
    [memberIds],
  );
  const inLedger = new Map(
    rows
      .filter((r) => !setupTransactionIds.has(r.id))
      .map((r) => [r.id, `${r.kind} ${r.member_id} ${r.points}`]),
  );
  const answered = new Map(
    final
      .filter(({ response }) => !response.errors)
      .map(({ write, response }) => {
        const result = Object.values(response.data!)[0] as {
          transactionId: string;
          pointsEarned?: string;
          pointsBurned?: string;
        };
        return [
          result.transactionId,
          `${write.kind.toUpperCase()} ${write.memberId} ${result.pointsEarned ?? result.pointsBurned}`,
        ];
      }),
  );
  expect(inLedger).toEqual(answered);
}

/** Every service works again: the gateway answers from the member service, every subgraph reaches its database, both feeds flow. */
async function expectNetworkRecovered(
  memberIds: string[],
  final: { write: LoadWrite; response: GraphQLResponse<Record<string, unknown>> }[],
): Promise<void> {
  for (const memberId of memberIds) {
    const mine = final.filter(
      ({ write, response }) => write.memberId === memberId && !response.errors,
    );
    const points = (kind: Write['kind']) =>
      mine
        .filter(({ write }) => write.kind === kind)
        .reduce(
          (sum, { response }) =>
            sum +
            BigInt(
              (
                Object.values(response.data!)[0] as { pointsEarned?: string; pointsBurned?: string }
              )[kind === 'earn' ? 'pointsEarned' : 'pointsBurned']!,
            ),
          0n,
        );
    expect(await wallet(memberId), `member ${memberId}`).toMatchObject({
      available: (BigInt(LOAD_INITIAL_POINTS) + points('earn') - points('burn')).toString(),
      lifetimeEarned: (BigInt(LOAD_INITIAL_POINTS) + points('earn')).toString(),
    });
  }
  // Each subgraph answers /readyz with a query through its own pool: every pool found the server again.
  for (const service of Object.values(network.services)) {
    await eventually(
      async () => (await fetch(`${service.url}/readyz`)).status === 200,
      LIVENESS_MS,
      `${service.name} to be ready`,
    );
  }
  // Settlement's consumer of the member feed reads it to its end, every fact the crash let through included.
  const settlementDb = openDatabase(network.databaseUrls.settlement);
  try {
    await eventually(
      async () => {
        const [last] = await db.rows<{ position: string }>(
          `SELECT tx_id::text || '.' || seq AS position FROM outbox ORDER BY outbox.tx_id DESC, outbox.seq DESC LIMIT 1`,
        );
        const [cursor] = await settlementDb.rows<{ position: string }>(
          `SELECT position FROM feed_cursor WHERE consumer = 'member-feed'`,
        );
        return last !== undefined && cursor?.position === last.position;
      },
      LIVENESS_MS,
      'settlement to read the member feed to its end',
    );
  } finally {
    await settlementDb.close();
  }
  // A partner onboarded now reaches the wallet: the partner service writes, and the member service's feed consumer reads again.
  const newcomer = await onboardPartner(network.graphqlUrl, 'After The Crash');
  await linkPartner(network.graphqlUrl, memberIds[0]!, newcomer.id);
}
