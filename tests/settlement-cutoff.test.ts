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
import { startTestNetwork, type TestNetwork } from './support/network';
import { seededRandom, type Random } from './support/random';
import {
  closeCycle,
  cycleStatements,
  setContract,
  settlementCaughtUp,
  verifyCycle,
  type ClosedCycle,
} from './support/settlement';
import { openDatabase, type Database } from './support/sql';
import { burn, earn, earnInput, refundPurchase } from './support/wallet';

/**
 * The cut-off race (docs/ledger.md, L10): earns, burns and purchase refunds keep committing through the
 * gateway while the operator closes cycle after cycle. Every settlement item must then sit in
 * exactly one cycle's journal, the one whose (from, cut-off] range holds its feed position, and
 * the statements must account for every point the wallet issued.
 */
const MEMBERS = 6;
const WORKERS = 4;
const CLOSES_DURING_STORM = 5;
/** Facts settlement must take in between two closes, so every cycle of the storm holds some. */
const FACTS_PER_CYCLE_MIN = 15;
const INITIAL_POINTS = 300;

/** A bound on failure only: suites start whole networks at once on two shared cores. */
const SETUP_TIMEOUT_MS = 240_000;
/** Cycles close only when the suite closes them: no scheduled close may cut one in between. */
const MANUAL_CLOSES = { SETTLEMENT_CYCLE_PERIOD: 'MANUAL' };

let network: TestNetwork;
let url: string;
let settlementDb: Database;
let memberDb: Database;

interface Shop {
  id: string;
  token: string;
  store: string;
}

let shops: Shop[];
let members: string[];

beforeAll(async () => {
  network = await startTestNetwork('settle_cutoff', MANUAL_CLOSES);
  url = network.graphqlUrl;
  settlementDb = openDatabase(network.databaseUrls.settlement);
  memberDb = openDatabase(network.databaseUrls.member);
  const terms = [
    { name: 'Cutoff Alpha', perUnit: 1, contract: { issuancePrice: '1.0', redemptionRate: '0.8' } },
    {
      name: 'Cutoff Beta',
      perUnit: 2,
      contract: { issuancePrice: '0.5', redemptionRate: '0.45', feePerTransaction: '1' },
    },
    {
      name: 'Cutoff Gamma',
      perUnit: 1,
      contract: { issuancePrice: '1.25', redemptionRate: '1.1', feeRateBasisPoints: 100 },
    },
  ];
  shops = [];
  for (const t of terms) {
    const partner = await onboardPartner(url, t.name, ['Till'], undefined, {
      pointsPerCurrencyUnit: t.perUnit,
      returnWindowDays: 0,
    });
    await setContract(url, partner.id, t.contract);
    shops.push({
      id: partner.id,
      token: tokenFor({ role: 'partner', sub: `partner:${t.name}`, partnerId: partner.id }),
      store: partner.stores[0]!.id,
    });
  }
  members = [];
  for (let i = 0; i < MEMBERS; i += 1) {
    const member = await enrolMember(url, `Cutoff Member ${i}`);
    for (const shop of shops) await linkPartner(url, member.id, shop.id);
    const alpha = shops[0]!;
    expect(
      (
        await earn(
          url,
          alpha.token,
          earnInput({
            memberId: member.id,
            storeId: alpha.store,
            total: `${INITIAL_POINTS * 100}`,
          }),
        )
      ).errors,
    ).toBeUndefined();
    members.push(member.id);
  }
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await settlementDb?.close();
  await memberDb?.close();
  await network?.stop();
});

/** A seeded flow of earns (45%), burns (45%) and full refunds of earlier purchases (10%) until stopped. */
function startStorm(random: Random): {
  stop: () => Promise<{ operations: number; anomalies: string[] }>;
} {
  let running = true;
  let operations = 0;
  const anomalies: string[] = [];
  const refundable: { shop: Shop; receiptId: string }[] = [];
  const check = (kind: string, response: GraphQLResponse<unknown>, allowed: string[] = []) => {
    const code = codesOf(response)[0];
    if (code !== undefined && !allowed.includes(String(code)))
      anomalies.push(`${kind}: ${JSON.stringify(response.errors)}`);
    return code === undefined;
  };
  const step = async () => {
    const shop = random.pick(shops);
    const memberId = random.pick(members);
    const roll = random.next();
    if (roll < 0.45) {
      const receiptId = `R-${randomUUID()}`;
      if (
        check(
          'earn',
          await earn(
            url,
            shop.token,
            earnInput({
              memberId,
              storeId: shop.store,
              total: String(random.int(100, 5_000)),
              receiptId,
            }),
          ),
        )
      )
        refundable.push({ shop, receiptId });
    } else if (roll < 0.9 || refundable.length === 0) {
      check(
        'burn',
        await burn(url, shop.token, {
          idempotencyKey: randomUUID(),
          memberId,
          storeId: shop.store,
          points: String(random.int(1, 40)),
        }),
        ['INSUFFICIENT_POINTS'],
      );
    } else {
      // A full refund claws back every point the purchase earned (never zero of them).
      const { shop: at, receiptId } = refundable.splice(
        random.int(0, refundable.length - 1),
        1,
      )[0]!;
      check(
        'refund',
        await refundPurchase(url, at.token, {
          idempotencyKey: randomUUID(),
          storeId: at.store,
          receiptId,
        }),
      );
    }
  };
  const worker = async () => {
    while (running) {
      operations += 1;
      await step();
    }
  };
  const workers = Array.from({ length: WORKERS }, worker);
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return { operations, anomalies };
    },
  };
}

const factsApplied = async () => {
  const status = await gql<{ memberFeedStatus: { factsApplied: number } }>(
    url,
    '{ memberFeedStatus { factsApplied } }',
    {},
    operatorToken(),
  );
  return status.data!.memberFeedStatus.factsApplied;
};

interface CycleRow extends Record<string, unknown> {
  id: string;
  number: number;
  status: string;
  from_position: string;
  cutoff_position: string | null;
  items: number | null;
}

interface ItemRow extends Record<string, unknown> {
  tx_id: string;
  seq: string;
  n: number;
  transaction_id: string;
}

const positionOf = (row: { tx_id: string; seq: string }) => `${row.tx_id}.${row.seq}`;
const inRange = (position: string, cycle: CycleRow) =>
  comparePositions(position, cycle.from_position) > 0 &&
  comparePositions(position, cycle.cutoff_position!) <= 0;

describe('purchases committing while cycles close', () => {
  let closedDuringStorm: ClosedCycle[];
  let cycles: CycleRow[];
  let closedCycles: CycleRow[];
  let stormOperations: number;

  beforeAll(async () => {
    const storm = startStorm(seededRandom('settlement cut-off storm'));
    closedDuringStorm = [];
    try {
      let appliedAtLastClose = await factsApplied();
      for (let i = 0; i < CLOSES_DURING_STORM; i += 1) {
        const floor = appliedAtLastClose + FACTS_PER_CYCLE_MIN;
        await eventually(
          async () => (await factsApplied()) >= floor,
          60_000,
          `settlement to take in ${FACTS_PER_CYCLE_MIN} more facts`,
        );
        const closed = await closeCycle(url);
        expect(closed.errors).toBeUndefined();
        closedDuringStorm.push(closed.data!.closeSettlementCycle);
        appliedAtLastClose = await factsApplied();
      }
    } finally {
      const { operations, anomalies } = await storm.stop();
      stormOperations = operations;
      expect(anomalies).toEqual([]);
    }
    await settlementCaughtUp(url, network.databaseUrls.member);
    const final = await closeCycle(url);
    expect(final.errors).toBeUndefined();
    cycles = await settlementDb.rows<CycleRow>(
      'SELECT id, number, status, from_position, cutoff_position, items FROM settlement_cycle WHERE number IS NOT NULL ORDER BY number',
    );
    closedCycles = cycles.filter((c) => c.status !== 'DRAFT');
    console.log(
      `cut-off storm: ${stormOperations} operations; items per closed cycle ${closedCycles.map((c) => c.items).join(', ')}`,
    );
  }, SETUP_TIMEOUT_MS);

  it('closed every cycle while the storm was still writing, each cycle holding facts', async () => {
    expect(stormOperations).toBeGreaterThan(CLOSES_DURING_STORM * FACTS_PER_CYCLE_MIN);
    expect(closedCycles).toHaveLength(CLOSES_DURING_STORM + 1);
    expect(closedDuringStorm.map((c) => c.id)).toEqual(
      closedCycles.slice(0, CLOSES_DURING_STORM).map((c) => c.id),
    );
    // Every cycle holds facts, the last too: writes were still committing when each storm close cut its cycle.
    for (const cycle of closedCycles)
      expect(cycle.items, `cycle ${cycle.number}`).toBeGreaterThan(0);
  });

  it('cuts the fact sequence into consecutive ranges, the open cycle starting where the last closed one ends', () => {
    expect(closedCycles[0]!.from_position).toBe('0.0');
    for (const [i, cycle] of cycles.entries()) {
      expect(cycle.number).toBe(i + 1);
      if (i > 0) expect(cycle.from_position).toBe(cycles[i - 1]!.cutoff_position);
      if (cycle.status !== 'DRAFT')
        expect(
          comparePositions(cycle.cutoff_position!, cycle.from_position),
        ).toBeGreaterThanOrEqual(0);
    }
    expect(cycles.at(-1)).toMatchObject({ status: 'DRAFT', cutoff_position: null });
  });

  it('journals every settlement item exactly once, in the cycle whose range holds its position', async () => {
    const items = await settlementDb.rows<ItemRow>(
      'SELECT tx_id::text, seq::text, n, transaction_id FROM settlement_item',
    );
    const entries = await settlementDb.rows<{
      cycle_id: string;
      tx_id: string;
      seq: string;
      n: number;
    }>('SELECT cycle_id, tx_id::text, seq::text, n FROM journal_entry WHERE leg = 0');
    const entriesByItem = new Map<string, string[]>();
    for (const e of entries) {
      const key = `${positionOf(e)}.${e.n}`;
      entriesByItem.set(key, [...(entriesByItem.get(key) ?? []), e.cycle_id]);
    }
    const misplaced: string[] = [];
    for (const item of items) {
      const key = `${positionOf(item)}.${item.n}`;
      const home = closedCycles.filter((c) => inRange(positionOf(item), c));
      const journaled = entriesByItem.get(key) ?? [];
      if (home.length !== 1 || journaled.length !== 1 || journaled[0] !== home[0]!.id) {
        misplaced.push(
          `${key}: range of cycles ${home.map((c) => c.number)}, journaled in ${journaled}`,
        );
      }
      entriesByItem.delete(key);
    }
    expect(misplaced).toEqual([]);
    // No journal entry without its item.
    expect([...entriesByItem.keys()]).toEqual([]);
    for (const cycle of closedCycles)
      expect(cycle.items, `cycle ${cycle.number}`).toBe(
        items.filter((i) => inRange(positionOf(i), cycle)).length,
      );
    expect(items.length).toBeGreaterThan(MEMBERS + (CLOSES_DURING_STORM * FACTS_PER_CYCLE_MIN) / 2);
  });

  it('skips no ledger transaction that moves money between partners', async () => {
    const ledger = await memberDb.rows<{ id: string }>(
      `SELECT id FROM ledger_transaction WHERE kind IN ('EARN', 'BURN', 'REFUND') AND points > 0 ORDER BY id`,
    );
    const settled = await settlementDb.rows<{ transaction_id: string }>(
      'SELECT DISTINCT transaction_id FROM settlement_item ORDER BY transaction_id',
    );
    expect(settled.map((r) => r.transaction_id)).toEqual(ledger.map((r) => r.id));
  });

  it('issues on the statements, per partner, exactly the points the wallet issued, and redeems what it burned', async () => {
    const stated = new Map<string, { issued: bigint; redeemed: bigint }>();
    for (const cycle of closedCycles) {
      for (const statement of await cycleStatements(url, cycle.id)) {
        if (statement.party.id === 'operator') continue;
        const sum = stated.get(statement.party.id) ?? { issued: 0n, redeemed: 0n };
        for (const t of statement.totals) {
          sum.issued += BigInt(t.pointsIssued);
          sum.redeemed += BigInt(t.pointsRedeemed);
        }
        stated.set(statement.party.id, sum);
      }
    }
    const wallet = await memberDb.rows<{ partner_id: string; issued: string; redeemed: string }>(
      `SELECT partner_id, sum(points) FILTER (WHERE kind = 'EARN') AS issued, coalesce(sum(points) FILTER (WHERE kind = 'BURN'), 0) AS redeemed
         FROM ledger_transaction WHERE kind IN ('EARN', 'BURN') GROUP BY partner_id`,
    );
    expect(wallet).toHaveLength(shops.length);
    for (const row of wallet) {
      expect(stated.get(row.partner_id), row.partner_id).toEqual({
        issued: BigInt(row.issued),
        redeemed: BigInt(row.redeemed),
      });
    }
  });

  it('nets every closed cycle to zero and reproduces each one exactly when recomputed', async () => {
    const unbalanced = await settlementDb.rows(
      'SELECT cycle_id, currency, sum(net_minor) AS sum FROM cycle_position GROUP BY cycle_id, currency HAVING sum(net_minor) <> 0',
    );
    expect(unbalanced).toEqual([]);
    for (const cycle of closedCycles)
      expect(await verifyCycle(url, cycle.id), `cycle ${cycle.number}`).toEqual({
        matches: true,
        differences: [],
      });
    await expectLedgerClean(network.databaseUrls.member);
  });
});
