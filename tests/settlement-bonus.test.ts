import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerClean } from './support/audit';
import { enrolMember, onboardPartner, type OnboardedPartner } from './support/coalition';
import { eventually, gql, tokenFor } from './support/graphql';
import { HOUR_MS } from './support/ledger-clock';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase } from './support/sql';
import {
  amountsOf,
  closeCycle,
  setContract,
  settlementCaughtUp,
  statementOf,
  verifyCycle,
  type ClosedCycle,
} from './support/settlement';
import { burn, earn, earnInput, refundPurchase } from './support/wallet';

/**
 * Points the operator funds (its share of a co-funded promotion) through settlement: the partner
 * pays issuance only on the points it funds, and gets back issuance only on its share of a
 * clawback; the operator's points are redeemed like any other, paid by the hub.
 *
 * Contracts (EUR, cents per point): grocer issuance 1.0, redemption 0.8; cafe issuance 1.2, redemption 0.9.
 */
let network: TestNetwork;
let url: string;
let grocer: OnboardedPartner;
let cafe: OnboardedPartner;
let grocerToken: string;
let cafeToken: string;
let cycle: ClosedCycle;

beforeAll(async () => {
  network = await startTestNetwork('settle_bonus');
  url = network.graphqlUrl;
  grocer = await onboardPartner(url, 'Bonus Grocer', ['Market'], undefined, {
    returnWindowDays: 0,
  });
  cafe = await onboardPartner(url, 'Bonus Cafe', ['Corner'], undefined, { returnWindowDays: 0 });
  grocerToken = tokenFor({ role: 'partner', sub: 'partner:grocer', partnerId: grocer.id });
  cafeToken = tokenFor({ role: 'partner', sub: 'partner:cafe', partnerId: cafe.id });
  await setContract(url, grocer.id, { issuancePrice: '1.0', redemptionRate: '0.8' });
  await setContract(url, cafe.id, { issuancePrice: '1.2', redemptionRate: '0.9' });
  // Double points at the grocer this hour, the bonus paid for entirely by the coalition.
  const now = Date.now();
  const published = await gql<{ publishEarnRules: { version: number } }>(
    url,
    `mutation P($p: ID!, $i: PublishEarnRulesInput!) { publishEarnRules(partnerId: $p, input: $i) { version } }`,
    {
      p: grocer.id,
      i: {
        rules: {
          basePointsPerUnit: 1,
          multipliers: [
            {
              id: 'coalition-double',
              name: 'Double, on the coalition',
              percent: 200,
              operatorSharePercent: 100,
              startsAt: new Date(now - HOUR_MS).toISOString(),
              endsAt: new Date(now + HOUR_MS).toISOString(),
            },
          ],
        },
      },
    },
    grocerToken,
  );
  expect(published.errors).toBeUndefined();
  const memberDb = openDatabase(network.databaseUrls.member);
  try {
    await eventually(
      async () =>
        (
          await memberDb.rows(
            'SELECT 1 FROM earn_rules_replica WHERE partner_id = $1 AND version = 2',
            [grocer.id],
          )
        ).length > 0,
      15_000,
      'the promotion at the wallet',
    );
    await eventually(
      async () =>
        (await memberDb.rows('SELECT 1 FROM store_replica WHERE id = $1', [cafe.stores[0]!.id]))
          .length > 0,
      15_000,
      'the cafe at the wallet',
    );
  } finally {
    await memberDb.close();
  }

  const member = await enrolMember(url, 'Bonus Bea');
  const receiptId = `R-${randomUUID()}`;
  // 100.00 EUR: 100 points the grocer funds, 100 the operator funds.
  const earned = await earn(
    url,
    grocerToken,
    earnInput({ memberId: member.id, storeId: grocer.stores[0]!.id, total: '10000', receiptId }),
  );
  expect(earned.data?.earnPoints.pointsEarned).toBe('200');
  // A quarter returned: 50 points clawed back, 25 of them the grocer's.
  expect(
    (
      await refundPurchase(url, grocerToken, {
        idempotencyKey: randomUUID(),
        storeId: grocer.stores[0]!.id,
        receiptId,
        amount: '2500',
      })
    ).data?.refundPurchase?.points,
  ).toBe('50');
  // The other 150 burned at the cafe.
  expect(
    (
      await burn(url, cafeToken, {
        idempotencyKey: randomUUID(),
        memberId: member.id,
        storeId: cafe.stores[0]!.id,
        points: '150',
      })
    ).errors,
  ).toBeUndefined();
  await settlementCaughtUp(url, network.databaseUrls.member);
  const closed = await closeCycle(url);
  expect(closed.errors).toBeUndefined();
  cycle = closed.data!.closeSettlementCycle;
}, 90_000);

afterAll(async () => {
  await network?.stop();
});

describe('a cycle with operator-funded bonus points', () => {
  it('charges the grocer issuance on its own 100 points and returns it on its 25 of the clawback', async () => {
    expect(amountsOf(await statementOf(url, grocerToken, grocer.id, cycle.id))).toEqual({
      ISSUANCE: '-100',
      ISSUANCE_REVERSAL: '25',
    });
  });

  it('pays the cafe its redemption rate on every point burned, the operator-funded ones included', async () => {
    expect(amountsOf(await statementOf(url, cafeToken, cafe.id, cycle.id))).toEqual({
      REDEMPTION: '135',
    });
  });

  it('shows the operator as the issuer of its bonus points in the liability matrix, the cells adding up to the burn', () => {
    const cells = cycle.liabilityMatrix.filter((c) => c.redeemer.id === cafe.id);
    expect(cells.reduce((sum, c) => sum + Number(c.points), 0)).toBe(150);
    expect(cells.map((c) => c.issuer?.id ?? null).sort()).toEqual([grocer.id, null].sort());
  });

  it('nets every currency to zero, with the operator carrying the cost of the bonus', () => {
    const nets = cycle.positions.filter((p) => p.currency === 'EUR');
    expect(nets.reduce((sum, p) => sum + Number(p.net), 0)).toBe(0);
    expect(nets.find((p) => p.party.id === grocer.id)?.net).toBe('-75');
    expect(nets.find((p) => p.party.id === cafe.id)?.net).toBe('135');
  });

  it('recomputes to the same numbers, and the ledger keeps its invariants', async () => {
    expect(await verifyCycle(url, cycle.id)).toEqual({ matches: true, differences: [] });
    await expectLedgerClean(network.databaseUrls.member);
  });
});
