import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparePositions } from '../shared/src/feed/position';
import { expectLedgerClean } from './support/audit';
import { enrolMember, linkPartner, onboardPartner } from './support/coalition';
import {
  codesOf,
  eventually,
  gql,
  operatorToken,
  tokenFor,
  type GraphQLResponse,
} from './support/graphql';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres';
import {
  startNetworkWithRestartableSettlement,
  type SettlementRestartableNetwork,
} from './support/restartable-settlement';
import {
  CYCLE_FIELDS,
  closeCycle,
  cycleStatements,
  setContract,
  settlementCaughtUp,
  verifyCycle,
  type ClosedCycle,
} from './support/settlement';
import { openDatabase, type Database } from './support/sql';
import { burn, earn, earnInput } from './support/wallet';

/**
 * A settlement close interrupted and rerun (docs/settlement.md, Cycles and the cut-off; docs/ledger.md, L12): the close pins
 * its cut-off in one transaction and computes the cycle in a second. The suite holds a lock the
 * compute needs, so the compute is provably in flight (every statement up to the liability matrix
 * run, nothing committed), lets more facts arrive behind the pinned cut-off, then
 * SIGKILLs the settlement service. Restarted, and closed again, the cycle must be exactly the one
 * an uninterrupted close computes from the pinned cut-off, with no instruction twice; the facts
 * that arrived meanwhile belong to the next cycle.
 *
 * The suite runs on a Postgres of its own (tests/support/private-postgres.ts): while it holds the
 * close's transaction open, every feed on that server waits (feeds serve only transactions older
 * than the oldest one running), which the suites sharing the run's Postgres should not feel.
 *
 * Contracts (EUR, cents per point): grocer issuance 1.0, redemption 0.8; cafe issuance 1.2, redemption 0.9.
 */

/** A bound on failure only: suites start whole networks at once on two shared cores. */
const SETUP_TIMEOUT_MS = 240_000;
/** Cycles close only when the suite closes them: no scheduled close may cut one in between. */
const MANUAL_CLOSES = { SETTLEMENT_CYCLE_PERIOD: 'MANUAL' };

let postgres: PrivatePostgres;
let network: SettlementRestartableNetwork;
let url: string;
let db: Database;
let grocer: { id: string; token: string; store: string };
let cafe: { id: string; token: string; store: string };
let ann: string;
let ben: string;

const WAIT_MS = 30_000;

beforeAll(async () => {
  postgres = await startPrivatePostgres('settle-crash');
  network = await startNetworkWithRestartableSettlement(postgres, 'crash', MANUAL_CLOSES);
  url = network.graphqlUrl;
  db = openDatabase(network.databaseUrls.settlement);
  const shop = async (
    name: string,
    perUnit: number,
    contract: { issuancePrice: string; redemptionRate: string },
  ) => {
    const partner = await onboardPartner(url, name, ['Till'], undefined, {
      pointsPerCurrencyUnit: perUnit,
      returnWindowDays: 0,
    });
    await setContract(url, partner.id, contract);
    return {
      id: partner.id,
      token: tokenFor({ role: 'partner', sub: `partner:${name}`, partnerId: partner.id }),
      store: partner.stores[0]!.id,
    };
  };
  grocer = await shop('Crash Grocer', 10, { issuancePrice: '1.0', redemptionRate: '0.8' });
  cafe = await shop('Crash Cafe', 3, { issuancePrice: '1.2', redemptionRate: '0.9' });
  ann = (await enrolMember(url, 'Crash Ann')).id;
  ben = (await enrolMember(url, 'Crash Ben')).id;
  for (const member of [ann, ben])
    for (const partner of [grocer, cafe]) await linkPartner(url, member, partner.id);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await db?.close();
  await network?.stop();
  await postgres?.destroy();
});

async function earnAt(
  at: typeof grocer,
  memberId: string,
  total: string,
  points: string,
): Promise<void> {
  const response = await earn(url, at.token, earnInput({ memberId, storeId: at.store, total }));
  expect(response.errors).toBeUndefined();
  expect(response.data?.earnPoints.pointsEarned).toBe(points);
}

async function burnAt(at: typeof grocer, memberId: string, points: string): Promise<void> {
  expect(
    (
      await burn(url, at.token, {
        idempotencyKey: randomUUID(),
        memberId,
        storeId: at.store,
        points,
      })
    ).errors,
  ).toBeUndefined();
}

const intakePosition = async () => {
  const status = await gql<{ memberFeedStatus: { position: string } }>(
    url,
    '{ memberFeedStatus { position } }',
    {},
    operatorToken(),
  );
  return status.data!.memberFeedStatus.position;
};

/** The backend waiting for the lock on liability_cell: the close's compute transaction, stuck at the matrix. */
async function blockedCompute(): Promise<{ pid: number; query: string }> {
  return eventually(
    async () => {
      const rows = await db.rows<{ pid: number; query: string }>(
        `SELECT a.pid, a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.relation = 'liability_cell'::regclass AND NOT l.granted`,
      );
      // pg_stat_activity and pg_locks are read at slightly different moments: a backend that has
      // just moved on to the matrix can still show its previous statement. Read again until both agree.
      return rows[0]?.query.includes('INSERT INTO liability_cell') ? rows[0] : undefined;
    },
    WAIT_MS,
    'the close to queue behind the lock on liability_cell, in its INSERT INTO liability_cell',
  );
}

/** The tables a backend has written to in its open transaction. */
async function tablesWrittenBy(pid: number): Promise<string[]> {
  const rows = await db.rows<{ relation: string }>(
    `SELECT relation::regclass::text AS relation FROM pg_locks
      WHERE pid = $1 AND locktype = 'relation' AND mode = 'RowExclusiveLock' AND granted ORDER BY 1`,
    [pid],
  );
  return rows.map((r) => r.relation);
}

const rowsOfCycle = async (cycleId: string) => {
  const counts: Record<string, number> = {};
  for (const table of [
    'journal_entry',
    'statement_line',
    'cycle_position',
    'payment_instruction',
    'liability_cell',
    'partner_statement',
  ]) {
    counts[table] = Number(
      (
        await db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE cycle_id = $1`, [
          cycleId,
        ])
      )[0]!.n,
    );
  }
  return counts;
};

const NOTHING = {
  journal_entry: 0,
  statement_line: 0,
  cycle_position: 0,
  payment_instruction: 0,
  liability_cell: 0,
  partner_statement: 0,
};

const netsOf = (cycle: ClosedCycle) =>
  Object.fromEntries(cycle.positions.map((p) => [p.party.id, p.net]));
const paymentsOf = (cycle: ClosedCycle) =>
  cycle.paymentInstructions.map((i) => [i.payer.id, i.payee.id, i.amount]);

describe('a close killed while computing, then rerun', () => {
  let firstCycleId: string;
  let pinned: string;
  let rerun: ClosedCycle;

  it(
    'leaves only the pinned cut-off behind when the service dies mid-compute',
    async () => {
      // Cycle 1: 100.00 EUR at the grocer (1000 points), 300 of them burned at the cafe, 30.00 EUR at the cafe (90 points).
      await earnAt(grocer, ann, '10000', '1000');
      await burnAt(cafe, ann, '300');
      await earnAt(cafe, ben, '3000', '90');
      await settlementCaughtUp(url, network.databaseUrls.member);
      const intakeAtClose = await intakePosition();
      firstCycleId = (
        await gql<{ currentSettlementCycle: { id: string } }>(
          url,
          '{ currentSettlementCycle { id } }',
        )
      ).data!.currentSettlementCycle.id;

      let answer: { response: GraphQLResponse } | { failure: string } | undefined;
      let orphan: number | undefined;
      await db.whileHolding(
        [{ sql: 'LOCK TABLE liability_cell IN ACCESS EXCLUSIVE MODE' }],
        async () => {
          // Straight to the settlement subgraph: the request dies with the process, not in the gateway.
          const closing = gql(
            network.settlementGraphqlUrl,
            `mutation { closeSettlementCycle { id } }`,
            {},
            operatorToken(),
          ).then(
            (response) => ({ response }),
            (error: unknown) => ({ failure: String(error) }),
          );
          const compute = await blockedCompute();
          orphan = compute.pid;
          // It has run every statement before the matrix: it holds write locks on the journal, lines, positions and instructions.
          expect(await tablesWrittenBy(compute.pid)).toEqual(
            expect.arrayContaining([
              'journal_entry',
              'statement_line',
              'cycle_position',
              'payment_instruction',
            ]),
          );
          // The cut-off, pinned by its own transaction, is committed already.
          const [row] = await db.rows<{
            id: string;
            status: string;
            cutoff_position: string;
            model: string;
          }>('SELECT id, status, cutoff_position, model FROM settlement_cycle WHERE id = $1', [
            firstCycleId,
          ]);
          expect(row).toEqual({
            id: firstCycleId,
            status: 'DRAFT',
            cutoff_position: intakeAtClose,
            model: 'HUB',
          });
          pinned = row!.cutoff_position;
          // Cycle 2 begins while cycle 1 is computing: 200 points burned at the grocer, 10.00 EUR (30 points)
          // at the cafe. They commit in the wallet; the member feed holds them back while the compute
          // (a transaction on the same server) runs, so settlement takes them in after the restart.
          await burnAt(grocer, ann, '200');
          await earnAt(cafe, ben, '1000', '30');
          await network.killSettlement();
          answer = await closing;
        },
      );
      // The lock is released: the orphaned transaction resumes, finds its client gone, and aborts.
      expect(answer).toMatchObject({ failure: expect.any(String) });
      await eventually(
        async () =>
          (await db.rows('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [orphan])).length === 0,
        WAIT_MS,
        "the dead service's backend to end",
      );
      expect(await rowsOfCycle(firstCycleId)).toEqual(NOTHING);
      expect(
        await db.rows(
          'SELECT number, status, cutoff_position FROM settlement_cycle ORDER BY number',
        ),
      ).toEqual([{ number: 1, status: 'DRAFT', cutoff_position: pinned }]);
    },
    SETUP_TIMEOUT_MS,
  );

  it(
    'closes the cycle again from the pinned cut-off after a restart, exactly as an uninterrupted close would',
    async () => {
      await network.restartSettlement();
      // More facts after the restart: 50.00 EUR at the grocer (500 points), 100 points burned at the cafe.
      await earnAt(grocer, ann, '5000', '500');
      await burnAt(cafe, ben, '100');
      await settlementCaughtUp(url, network.databaseUrls.member);
      expect(comparePositions(await intakePosition(), pinned)).toBeGreaterThan(0);
      const closed = await closeCycle(url);
      expect(closed.errors).toBeUndefined();
      rerun = closed.data!.closeSettlementCycle;
      expect(rerun).toMatchObject({
        id: firstCycleId,
        number: 1,
        status: 'CLOSED',
        cutoffPosition: pinned,
        model: 'HUB',
        items: 3,
      });
      // Grocer: −1000 × 1.0. Cafe: −90 × 1.2 + 300 × 0.9 = −108 + 270.
      expect(netsOf(rerun)).toEqual({ [grocer.id]: '-1000', [cafe.id]: '162', operator: '838' });
      const statements = Object.fromEntries(
        (await cycleStatements(url, rerun.id)).map((s) => [
          s.party.id,
          s.lines.map((l) => [l.kind, l.amount]),
        ]),
      );
      expect(statements).toEqual({
        [grocer.id]: [['ISSUANCE', '-1000']],
        [cafe.id]: [
          ['ISSUANCE', '-108'],
          ['REDEMPTION', '270'],
        ],
        operator: [
          ['ISSUANCE', '1108'],
          ['REDEMPTION', '-270'],
        ],
      });
      expect(rerun.liabilityMatrix).toEqual([
        {
          issuer: { id: grocer.id },
          redeemer: { id: cafe.id },
          points: '300',
          redeemerValue: { currency: 'EUR', amount: '270' },
          issuerValue: { currency: 'EUR', amount: '300' },
        },
      ]);
      expect(await verifyCycle(url, rerun.id)).toEqual({ matches: true, differences: [] });
    },
    SETUP_TIMEOUT_MS,
  );

  it('pays each partner once, as the hub model implies, and never again on another close', async () => {
    // Hub: one instruction per partner with a non-zero net, to or from the operator.
    expect(paymentsOf(rerun).sort()).toEqual(
      [
        [grocer.id, 'operator', '1000'],
        ['operator', cafe.id, '162'],
      ].sort(),
    );
    expect(rerun.paymentInstructions.map((i) => i.seq).sort()).toEqual([1, 2]);
    expect(codesOf(await closeCycle(url, {}, rerun.id))).toEqual(['CYCLE_ALREADY_CLOSED']);
    expect(await rowsOfCycle(rerun.id)).toMatchObject({
      payment_instruction: 2,
      partner_statement: 2,
      cycle_position: 3,
    });
    const duplicates = await db.rows(
      `SELECT cycle_id, payer, payee, currency, count(*) FROM payment_instruction GROUP BY cycle_id, payer, payee, currency HAVING count(*) > 1`,
    );
    expect(duplicates).toEqual([]);
  });

  it('puts the facts that arrived during and after the crash into the next cycle', async () => {
    const response = await gql<{ closeSettlementCycle: ClosedCycle & { fromPosition: string } }>(
      url,
      `mutation { closeSettlementCycle { fromPosition ${CYCLE_FIELDS} } }`,
      {},
      operatorToken(),
    );
    expect(response.errors).toBeUndefined();
    const next = response.data!.closeSettlementCycle;
    // The grocer's burn, the cafe's earn, the grocer's earn, and the cafe's burn (two lots of Ben's, both the cafe's).
    expect(next).toMatchObject({ number: 2, fromPosition: pinned, items: 5 });
    // Grocer: −500 × 1.0 + 200 × 0.8. Cafe: −30 × 1.2 + 100 × 0.9.
    expect(netsOf(next)).toEqual({ [grocer.id]: '-340', [cafe.id]: '54', operator: '286' });
    expect(paymentsOf(next).sort()).toEqual(
      [
        [grocer.id, 'operator', '340'],
        ['operator', cafe.id, '54'],
      ].sort(),
    );
    expect(await verifyCycle(url, next.id)).toEqual({ matches: true, differences: [] });
    // Every item journaled once, across both cycles.
    const [counts] = await db.rows<{ items: string; entries: string }>(
      `SELECT (SELECT count(*) FROM settlement_item) AS items, (SELECT count(DISTINCT (tx_id, seq, n)) FROM journal_entry WHERE leg = 0) AS entries`,
    );
    expect(counts).toEqual({ items: '8', entries: '8' });
    expect(
      Number(
        (await db.rows<{ n: string }>('SELECT count(*) AS n FROM journal_entry WHERE leg = 0'))[0]!
          .n,
      ),
    ).toBe(8);
    await expectLedgerClean(network.databaseUrls.member);
  });
});
