import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorReversalLines1765152000000 } from '../subgraphs/settlement/migrations/1765152000000-operator-reversal-lines';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, gql, operatorToken, tokenFor } from './support/graphql';
import { keysDir } from './support/databases';
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
 * Settlement end to end through the gateway: points earned at one partner and burned at another
 * become a cycle whose statements, positions and payments are checked to the cent.
 *
 * Contracts (EUR, prices in cents per point):
 *   grocer: issuance 1.0, redemption 0.8, no fees;
 *   cafe:   issuance 1.2, redemption 0.9, fees 5 cents per transaction + 0.01 cent per point + 1%.
 */
let network: TestNetwork;
let url: string;
let grocer: OnboardedPartner;
let cafe: OnboardedPartner;
let grocerToken: string;
let cafeToken: string;

const key = () => randomUUID();

/**
 * A cycle closed before the operator's reversal lines named their original cycle: its operator
 * lines as they were written then fail verification, and the migration makes it match again.
 */
async function upgradesOperatorLinesOfAClosedCycle(cycleId: string): Promise<void> {
  expect((await verifyCycle(url, cycleId)).matches).toBe(true);
  const db = openDatabase(network.databaseUrls.settlement);
  try {
    // Written the old way: one line per kind, reversals of every original cycle together.
    const old = await db.rows(
      `SELECT currency, kind, min(line_no) AS line_no, sum(entries) AS entries, sum(points) AS points,
              sum(exact_micros) AS exact_micros, sum(amount_minor) AS amount_minor
         FROM statement_line WHERE cycle_id = $1 AND party = 'operator' GROUP BY currency, kind`,
      [cycleId],
    );
    await db.rows(`DELETE FROM statement_line WHERE cycle_id = $1 AND party = 'operator'`, [
      cycleId,
    ]);
    for (const line of old)
      await db.rows(
        `INSERT INTO statement_line (cycle_id, party, currency, line_no, kind, original_cycle_id, adjustment_id, entries, points, exact_micros, amount_minor)
         VALUES ($1, 'operator', $2, $3, $4, NULL, NULL, $5, $6, $7, $8)`,
        [
          cycleId,
          line.currency,
          line.line_no,
          line.kind,
          line.entries,
          line.points,
          line.exact_micros,
          line.amount_minor,
        ],
      );
    expect((await verifyCycle(url, cycleId)).matches).toBe(false);
    const runner = { query: (sql: string, params?: unknown[]) => db.rows(sql, params) };
    await new OperatorReversalLines1765152000000().up(runner as unknown as QueryRunner);
    expect(await verifyCycle(url, cycleId)).toEqual({ matches: true, differences: [] });
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  network = await startTestNetwork('settle');
  url = network.graphqlUrl;
  grocer = await onboardPartner(url, 'Settle Grocer', ['Market'], undefined, {
    pointsPerCurrencyUnit: 10,
    returnWindowDays: 0,
  });
  cafe = await onboardPartner(url, 'Settle Cafe', ['Corner'], undefined, {
    pointsPerCurrencyUnit: 3,
    returnWindowDays: 0,
  });
  grocerToken = tokenFor({ role: 'partner', sub: 'partner:grocer', partnerId: grocer.id });
  cafeToken = tokenFor({ role: 'partner', sub: 'partner:cafe', partnerId: cafe.id });
  await setContract(url, grocer.id, { issuancePrice: '1.0', redemptionRate: '0.8' });
  await setContract(url, cafe.id, {
    issuancePrice: '1.2',
    redemptionRate: '0.9',
    feePerTransaction: '5',
    feePerPoint: '0.01',
    feeRateBasisPoints: 100,
  });
}, 60_000);

afterAll(async () => {
  await network?.stop();
});

describe('a cycle, earned at one partner and burned at another', () => {
  let member: { id: string };
  let receiptId: string;
  let cycle: ClosedCycle;
  let earnTransactionId: string;

  beforeAll(async () => {
    member = await enrolMember(url, 'Settle Sam');
    await linkPartner(url, member.id, grocer.id);
    await linkPartner(url, member.id, cafe.id);
    receiptId = `R-${randomUUID()}`;
    // 100.00 EUR at 10 points per euro: 1000 points issued by the grocer.
    const earned = await earn(
      url,
      grocerToken,
      earnInput({ memberId: member.id, storeId: grocer.stores[0]!.id, total: '10000', receiptId }),
    );
    expect(earned.data?.earnPoints.pointsEarned).toBe('1000');
    earnTransactionId = earned.data!.earnPoints.transactionId;
    // 300 of them burned at the cafe.
    expect(
      (
        await burn(url, cafeToken, {
          idempotencyKey: key(),
          memberId: member.id,
          storeId: cafe.stores[0]!.id,
          points: '300',
        })
      ).errors,
    ).toBeUndefined();
    // A quarter of the purchase returned: 250 points clawed back.
    expect(
      (
        await refundPurchase(url, grocerToken, {
          idempotencyKey: key(),
          storeId: grocer.stores[0]!.id,
          receiptId,
          amount: '2500',
        })
      ).data?.refundPurchase?.points,
    ).toBe('250');
    // 3.33 EUR at the cafe, 3 points per euro: 9 points issued by the cafe.
    expect(
      (
        await earn(
          url,
          cafeToken,
          earnInput({ memberId: member.id, storeId: cafe.stores[0]!.id, total: '333' }),
        )
      ).data?.earnPoints.pointsEarned,
    ).toBe('9');
    await settlementCaughtUp(url, network.databaseUrls.member);
    const closed = await closeCycle(url);
    expect(closed.errors).toBeUndefined();
    cycle = closed.data!.closeSettlementCycle;
  });

  it("puts every line on the grocer's statement, adding up to its net", async () => {
    const statement = await statementOf(url, grocerToken, grocer.id, cycle.id);
    // Issuance 1000 × 1.0 = −1000; the refund gives 250 × 1.0 back.
    expect(amountsOf(statement)).toEqual({ ISSUANCE: '-1000', ISSUANCE_REVERSAL: '250' });
    expect(statement!.totals).toEqual([
      {
        currency: 'EUR',
        net: '-750',
        lines: 2,
        entries: 2,
        pointsIssued: '1000',
        pointsRedeemed: '0',
      },
    ]);
    const issuance = statement!.lines.find((l) => l.kind === 'ISSUANCE')!;
    expect(issuance.journal.edges.map((e) => e.node)).toEqual([
      {
        transactionId: earnTransactionId,
        originalTransactionId: null,
        amount: '1000',
        debitAccount: `partner:${grocer.id}`,
        creditAccount: 'operator:float',
      },
    ]);
    const reversal = statement!.lines.find((l) => l.kind === 'ISSUANCE_REVERSAL')!;
    expect(reversal.journal.edges[0]!.node.originalTransactionId).toBe(earnTransactionId);
  });

  it("puts redemption and fees on the cafe's statement, rounding each line once", async () => {
    const statement = await statementOf(url, cafeToken, cafe.id, cycle.id);
    // Issuance 9 × 1.2 = 10.8 → −11; redemption 300 × 0.9 = +270;
    // fees (5 + 300 × 0.01 + 1% of 270) + (5 + 9 × 0.01 + 1% of 10.8) = 10.7 + 5.198 = 15.898 → −16.
    expect(amountsOf(statement)).toEqual({ ISSUANCE: '-11', REDEMPTION: '270', FEE: '-16' });
    expect(statement!.lines.find((l) => l.kind === 'FEE')!.exactAmount).toBe('-15.898');
    expect(statement!.totals[0]).toMatchObject({
      currency: 'EUR',
      net: '243',
      pointsIssued: '9',
      pointsRedeemed: '300',
    });
    expect(statement!.csv.split('\r\n')[0]).toBe(
      'cycle,party,party_name,currency,line,kind,original_cycle,original_cycle_number,entries,points,exact_amount_minor,amount_minor',
    );
    expect(statement!.csv).toContain(`${cycle.number},${cafe.id},Settle Cafe,EUR,,TOTAL,,,`);
  });

  it('nets every party to zero per currency and pays through the operator as hub', () => {
    const nets = Object.fromEntries(cycle.positions.map((p) => [p.party.id, p.net]));
    expect(nets).toEqual({ [grocer.id]: '-750', [cafe.id]: '243', operator: '507' });
    expect(cycle.positions.reduce((sum, p) => sum + BigInt(p.net), 0n)).toBe(0n);
    expect(cycle.model).toBe('HUB');
    expect(cycle.paymentInstructions.map((i) => [i.payer.id, i.payee.id, i.amount]).sort()).toEqual(
      [
        [grocer.id, 'operator', '750'],
        ['operator', cafe.id, '243'],
      ].sort(),
    );
  });

  it('shows who owes whom for the points burned, under both contracts', () => {
    expect(cycle.liabilityMatrix).toEqual([
      {
        issuer: { id: grocer.id },
        redeemer: { id: cafe.id },
        points: '300',
        redeemerValue: { currency: 'EUR', amount: '270' },
        issuerValue: { currency: 'EUR', amount: '300' },
      },
    ]);
  });

  it("keeps the operator's statement adding up to its net", async () => {
    const response = await gql<{
      settlementCycle: {
        statements: {
          party: { id: string };
          totals: { net: string }[];
          lines: { kind: string; amount: string }[];
        }[];
      };
    }>(
      url,
      'query C($id: ID!) { settlementCycle(id: $id) { statements { party { id } totals { net } lines { kind amount } } } }',
      { id: cycle.id },
      operatorToken(),
    );
    const operator = response.data!.settlementCycle.statements.find(
      (s) => s.party.id === 'operator',
    )!;
    expect(operator.totals[0]!.net).toBe('507');
    expect(operator.lines.reduce((sum, l) => sum + BigInt(l.amount), 0n)).toBe(507n);
    for (const statement of response.data!.settlementCycle.statements) {
      expect(statement.lines.reduce((sum, l) => sum + BigInt(l.amount), 0n)).toBe(
        BigInt(statement.totals[0]!.net),
      );
    }
  });

  it('reproduces the closed cycle exactly when recomputed', async () => {
    const verified = await gql<{
      verifySettlementCycle: { matches: boolean; differences: string[] };
    }>(
      url,
      'query V($id: ID!) { verifySettlementCycle(id: $id) { matches differences } }',
      { id: cycle.id },
      operatorToken(),
    );
    expect(verified.data?.verifySettlementCycle).toEqual({ matches: true, differences: [] });
  });

  let disputeId: string;

  it('lets a partner dispute a line of its own statement, once, and the operator accept it with an adjustment', async () => {
    const dispute = (token: string, input: Record<string, unknown>) =>
      gql<{ disputeStatementLine: { id: string; status: string } }>(
        url,
        'mutation D($input: DisputeStatementLineInput!) { disputeStatementLine(input: $input) { id status } }',
        { input },
        token,
      );
    const line = {
      cycleId: cycle.id,
      currency: 'EUR',
      lineNo: 1,
      reason: 'We were charged for a receipt that was voided at the till.',
    };
    const opened = await dispute(grocerToken, line);
    expect(opened.data?.disputeStatementLine.status).toBe('OPEN');
    disputeId = opened.data!.disputeStatementLine.id;
    expect(codesOf(await dispute(grocerToken, line))).toEqual(['CONFLICT']);
    // The cafe's statement has a line 1 too, but not the grocer's: it cannot dispute that one for the grocer.
    expect(codesOf(await dispute(cafeToken, { ...line, lineNo: 9 }))).toEqual(['NOT_FOUND']);
    const resolve = (input: Record<string, unknown>) =>
      gql<{
        resolveDispute: {
          status: string;
          adjustment: { currency: string; amount: string } | null;
          adjustedIn: { id: string } | null;
        };
      }>(
        url,
        'mutation R($id: ID!, $input: ResolveDisputeInput!) { resolveDispute(id: $id, input: $input) { status adjustment { currency amount } adjustedIn { id } } }',
        { id: disputeId, input },
        operatorToken(),
      );
    expect(codesOf(await resolve({ accept: true, resolution: 'No amount' }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(
      codesOf(
        await gql(
          url,
          'mutation R($id: ID!) { resolveDispute(id: $id, input: { accept: false, resolution: "x" }) { status } }',
          { id: disputeId },
          grocerToken,
        ),
      ),
    ).toEqual(['FORBIDDEN']);
    const accepted = await resolve({
      accept: true,
      adjustment: '100',
      resolution: 'Voided receipt confirmed: 1.00 EUR back.',
    });
    expect(accepted.data?.resolveDispute).toEqual({
      status: 'ACCEPTED',
      adjustment: { currency: 'EUR', amount: '100' },
      adjustedIn: null,
    });
    expect(codesOf(await resolve({ accept: false, resolution: 'Again' }))).toEqual(['CONFLICT']);
    const mine = await gql<{ settlementDisputes: { edges: { node: { id: string } }[] } }>(
      url,
      '{ settlementDisputes { edges { node { id } } } }',
      {},
      cafeToken,
    );
    expect(mine.data?.settlementDisputes.edges).toEqual([]);
  });

  it('turns a late refund and an accepted dispute into lines of the next cycle and leaves the closed statement unchanged', async () => {
    const before = await statementOf(url, grocerToken, grocer.id, cycle.id);
    expect(
      (
        await refundPurchase(url, grocerToken, {
          idempotencyKey: key(),
          storeId: grocer.stores[0]!.id,
          receiptId,
          amount: '2500',
        })
      ).data?.refundPurchase?.points,
    ).toBe('250');
    await settlementCaughtUp(url, network.databaseUrls.member);
    const next = await closeCycle(url);
    expect(next.errors).toBeUndefined();
    const later = await statementOf(
      url,
      grocerToken,
      grocer.id,
      next.data!.closeSettlementCycle.id,
    );
    expect(later!.lines.map((l) => [l.kind, l.originalCycle?.id ?? null, l.amount])).toEqual([
      ['ISSUANCE_REVERSAL', cycle.id, '250'],
      ['ADJUSTMENT', null, '100'],
    ]);
    expect(later!.totals[0]!.net).toBe('350');
    // The reversal names the cycle it reverses into, by id and by number, in the CSV too.
    expect(later!.csv).toContain(
      `,${grocer.id},Settle Grocer,EUR,1,ISSUANCE_REVERSAL,${cycle.id},${cycle.number},`,
    );
    // The operator's mirror line carries the same original cycle as the partner's.
    const operatorSide = await gql<{
      settlementCycle: {
        statements: {
          party: { id: string };
          lines: { kind: string; originalCycle: { id: string } | null; amount: string }[];
          csv: string;
        }[];
      };
    }>(
      url,
      'query O($id: ID!) { settlementCycle(id: $id) { statements { party { id } lines { kind originalCycle { id } amount } csv } } }',
      { id: next.data!.closeSettlementCycle.id },
      operatorToken(),
    );
    const operatorStatement = operatorSide.data!.settlementCycle.statements.find(
      (s) => s.party.id === 'operator',
    )!;
    expect(
      operatorStatement.lines
        .filter((l) => l.kind === 'ISSUANCE_REVERSAL')
        .map((l) => [l.originalCycle?.id ?? null, l.amount]),
    ).toEqual([[cycle.id, '-250']]);
    expect(operatorStatement.csv).toContain(
      `,operator,Coalition operator,EUR,1,ISSUANCE_REVERSAL,${cycle.id},${cycle.number},`,
    );
    await upgradesOperatorLinesOfAClosedCycle(next.data!.closeSettlementCycle.id);
    const dispute = await gql<{
      settlementDisputes: { edges: { node: { id: string; adjustedIn: { id: string } | null } }[] };
    }>(url, '{ settlementDisputes { edges { node { id adjustedIn { id } } } } }', {}, grocerToken);
    expect(dispute.data?.settlementDisputes.edges.map((e) => e.node)).toEqual([
      { id: disputeId, adjustedIn: { id: next.data!.closeSettlementCycle.id } },
    ]);
    expect(await statementOf(url, grocerToken, grocer.id, cycle.id)).toEqual(before);
    const verified = await gql<{ verifySettlementCycle: { matches: boolean } }>(
      url,
      'query V($id: ID!) { verifySettlementCycle(id: $id) { matches } }',
      { id: cycle.id },
      operatorToken(),
    );
    expect(verified.data?.verifySettlementCycle.matches).toBe(true);
  });

  it('reports the float: outstanding points by issuer and age, and each issuer’s redemption rate', async () => {
    const response = await gql<{
      settlementReport: {
        outstanding: {
          issuer: { id: string } | null;
          ageBucket: string;
          points: string;
          value: { currency: string; amount: string } | null;
        }[];
        issuers: {
          issuer: { id: string } | null;
          pointsIssued: string;
          pointsRedeemed: string;
          pointsExpired: string;
          pointsClawedBack: string;
          pointsOutstanding: string;
          redemptionRateBasisPoints: number | null;
        }[];
      };
    }>(
      url,
      `{ settlementReport {
      outstanding { issuer { id } ageBucket points value { currency amount } }
      issuers { issuer { id } pointsIssued pointsRedeemed pointsExpired pointsClawedBack pointsOutstanding redemptionRateBasisPoints } } }`,
      {},
      operatorToken(),
    );
    expect(response.errors).toBeUndefined();
    const report = response.data!.settlementReport;
    // The grocer issued 1000: 300 redeemed at the cafe, 250 + 250 clawed back by refunds, 200 left.
    expect(report.issuers.find((i) => i.issuer?.id === grocer.id)).toEqual({
      issuer: { id: grocer.id },
      pointsIssued: '1000',
      pointsRedeemed: '300',
      pointsExpired: '0',
      pointsClawedBack: '500',
      pointsOutstanding: '200',
      redemptionRateBasisPoints: 3000,
    });
    expect(
      report.outstanding.filter((o) => o.issuer?.id === grocer.id || o.issuer?.id === cafe.id),
    ).toEqual(
      [
        {
          issuer: { id: grocer.id },
          ageBucket: '0-90',
          points: '200',
          value: { currency: 'EUR', amount: '200' },
        },
        {
          issuer: { id: cafe.id },
          ageBucket: '0-90',
          points: '9',
          value: { currency: 'EUR', amount: '11' },
        },
      ].sort((a, b) => (a.issuer.id < b.issuer.id ? -1 : 1)),
    );
    expect(
      codesOf(await gql(url, '{ settlementReport { intakePosition } }', {}, grocerToken)),
    ).toEqual(['FORBIDDEN']);
  });

  it("never shows a partner another partner's statement", async () => {
    // Through the gateway another partner is simply not visible to the cafe...
    const response = await gql(
      url,
      'query S($p: ID!, $c: ID!) { partner(id: $p) { settlementStatement(cycleId: $c) { totals { net } } } }',
      { p: grocer.id, c: cycle.id },
      cafeToken,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ partner: null });
    // ...and asking settlement for the grocer's statement directly is refused.
    const direct = await gql(
      network.services.settlement.url + '/graphql',
      'query E($r: [_Any!]!) { _entities(representations: $r) { ... on Partner { settlementStatement(cycleId: "' +
        cycle.id +
        '") { totals { net } } } } }',
      { r: [{ __typename: 'Partner', id: grocer.id }] },
      cafeToken,
    );
    expect(codesOf(direct)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(direct)).not.toContain('-750');
    const cycleRead = await gql(
      url,
      'query C($id: ID!) { settlementCycle(id: $id) { positions { net } } }',
      { id: cycle.id },
      cafeToken,
    );
    expect(codesOf(cycleRead)).toEqual(['FORBIDDEN']);
  });
});

describe('the lifecycle of a cycle', () => {
  it('goes closed → approved → paid, in order, and refuses the steps out of order', async () => {
    const closed = await closeCycle(url);
    expect(closed.errors).toBeUndefined();
    const id = closed.data!.closeSettlementCycle.id;
    const again = await closeCycle(url, {}, id);
    expect(codesOf(again)).toEqual(['CYCLE_ALREADY_CLOSED']);
    const pay = (input: Record<string, unknown>) =>
      gql<{ markSettlementCyclePaid: { status: string; paymentReference: string } }>(
        url,
        'mutation P($id: ID!, $input: MarkSettlementCyclePaidInput!) { markSettlementCyclePaid(id: $id, input: $input) { status paymentReference } }',
        { id, input },
        operatorToken(),
      );
    expect(codesOf(await pay({ paymentReference: 'SEPA-1' }))).toEqual(['CYCLE_NOT_APPROVED']);
    const approve = (cycleId: string) =>
      gql<{ approveSettlementCycle: { status: string } }>(
        url,
        'mutation A($id: ID!) { approveSettlementCycle(id: $id) { status } }',
        { id: cycleId },
        operatorToken(),
      );
    // Earlier cycles of this suite are still only closed: they are approved first.
    const first = await approve(id);
    expect(codesOf(first)).toEqual(['CYCLE_OUT_OF_ORDER']);
    const list = await gql<{
      settlementCycles: { edges: { node: { id: string; number: number; status: string } }[] };
    }>(
      url,
      '{ settlementCycles(first: 50) { edges { node { id number status } } } }',
      {},
      operatorToken(),
    );
    const closedOnes = list
      .data!.settlementCycles.edges.map((e) => e.node)
      .filter((c) => c.status === 'CLOSED')
      .sort((a, b) => a.number - b.number);
    for (const c of closedOnes)
      expect((await approve(c.id)).data?.approveSettlementCycle.status).toBe('APPROVED');
    expect((await pay({ paymentReference: 'SEPA-1' })).data?.markSettlementCyclePaid).toEqual({
      status: 'PAID',
      paymentReference: 'SEPA-1',
    });
    expect(codesOf(await pay({ paymentReference: 'SEPA-2' }))).toEqual(['CYCLE_OUT_OF_ORDER']);
  });
});

describe('contracts', () => {
  const set = (input: Record<string, unknown>) =>
    gql(
      url,
      'mutation C($input: SetPartnerContractInput!) { setPartnerContract(input: $input) { version } }',
      { input: { currency: 'EUR', issuancePrice: '1', redemptionRate: '1', ...input } },
      operatorToken(),
    );

  it('refuses bad prices, unknown currencies, reversed dates and overlapping versions, writing nothing', async () => {
    const partnerId = (await onboardPartner(url, 'Contract Checks', [])).id;
    // The partner reaches settlement through the partner feed; until then it is unknown there.
    await setContract(url, partnerId, {
      issuancePrice: '1',
      redemptionRate: '1',
      effectiveFrom: '2030-01-01T00:00:00Z',
      effectiveTo: '2030-02-01T00:00:00Z',
    });
    expect(
      codesOf(await set({ partnerId: randomUUID(), effectiveFrom: '2031-01-01T00:00:00Z' })),
    ).toEqual(['NOT_FOUND']);
    expect(
      codesOf(await set({ partnerId, effectiveFrom: '2031-01-01T00:00:00Z', currency: 'GBP' })),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      codesOf(await set({ partnerId, effectiveFrom: '2031-01-01T00:00:00Z', issuancePrice: '0' })),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      codesOf(
        await set({ partnerId, effectiveFrom: '2031-01-01T00:00:00Z', redemptionRate: '-1' }),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      codesOf(
        await set({ partnerId, effectiveFrom: '2031-01-01T00:00:00Z', issuancePrice: '0.0000001' }),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      codesOf(await set({ partnerId, effectiveFrom: '2031-01-01T00:00:00Z', currency: 'XYZ' })),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      codesOf(
        await set({
          partnerId,
          effectiveFrom: '2031-01-01T00:00:00Z',
          effectiveTo: '2030-01-01T00:00:00Z',
        }),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      codesOf(
        await set({ partnerId, effectiveFrom: '2031-01-01T00:00:00Z', feeRateBasisPoints: 10_001 }),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      (
        await set({
          partnerId,
          effectiveFrom: '2031-01-01T00:00:00Z',
          effectiveTo: '2032-01-01T00:00:00Z',
        })
      ).errors,
    ).toBeUndefined();
    expect(
      codesOf(
        await set({
          partnerId,
          effectiveFrom: '2031-06-01T00:00:00Z',
          effectiveTo: '2031-07-01T00:00:00Z',
        }),
      ),
    ).toEqual(['CONTRACT_OVERLAP']);
    // Starting inside an open-ended version ends that one: a new version, not an overlap.
    expect(
      (await set({ partnerId, effectiveFrom: '2032-01-01T00:00:00Z' })).errors,
    ).toBeUndefined();
    expect(
      (await set({ partnerId, effectiveFrom: '2033-01-01T00:00:00Z', issuancePrice: '2' })).errors,
    ).toBeUndefined();
    const versions = await gql<{
      _entities: {
        contracts: {
          version: number;
          effectiveFrom: string;
          effectiveTo: string | null;
          issuancePrice: string;
        }[];
      }[];
    }>(
      network.services.settlement.url + '/graphql',
      'query E($r: [_Any!]!) { _entities(representations: $r) { ... on Partner { contracts { version effectiveFrom effectiveTo issuancePrice } } } }',
      { r: [{ __typename: 'Partner', id: partnerId }] },
      operatorToken(),
    );
    expect(versions.data?._entities[0]?.contracts).toEqual([
      {
        version: 1,
        effectiveFrom: '2030-01-01T00:00:00.000Z',
        effectiveTo: '2030-02-01T00:00:00.000Z',
        issuancePrice: '1',
      },
      {
        version: 2,
        effectiveFrom: '2031-01-01T00:00:00.000Z',
        effectiveTo: '2032-01-01T00:00:00.000Z',
        issuancePrice: '1',
      },
      {
        version: 3,
        effectiveFrom: '2032-01-01T00:00:00.000Z',
        effectiveTo: '2033-01-01T00:00:00.000Z',
        issuancePrice: '1',
      },
      {
        version: 4,
        effectiveFrom: '2033-01-01T00:00:00.000Z',
        effectiveTo: null,
        issuancePrice: '2',
      },
    ]);
  });

  it('stores exchange rates for closes that are given none, refusing the base currency and bad rates', async () => {
    const setRate = (input: Record<string, unknown>) =>
      gql<{ setFxRate: { currency: string; rate: string } }>(
        url,
        'mutation F($input: FxRateInput!) { setFxRate(input: $input) { currency rate } }',
        { input },
        operatorToken(),
      );
    expect((await setRate({ currency: 'GBP', rate: '1.1734' })).data?.setFxRate).toEqual({
      currency: 'GBP',
      rate: '1.1734',
    });
    expect(codesOf(await setRate({ currency: 'EUR', rate: '1' }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await setRate({ currency: 'GBP', rate: '0' }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await setRate({ currency: 'GBP', rate: '1,17' }))).toEqual(['BAD_USER_INPUT']);
    expect(
      codesOf(
        await gql(
          url,
          'mutation { setFxRate(input: { currency: "GBP", rate: "2" }) { rate } }',
          {},
          grocerToken,
        ),
      ),
    ).toEqual(['FORBIDDEN']);
  });

  it('refuses a version that would change a closed cycle', async () => {
    const refused = await set({ partnerId: grocer.id, effectiveFrom: '2021-01-01T00:00:00Z' });
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'effectiveFrom',
    });
  });

  it('refuses to close a cycle with points of a partner that has no contract, changing nothing', async () => {
    const stranger = await onboardPartner(url, 'No Contract Shop', ['Somewhere'], undefined, {
      returnWindowDays: 0,
    });
    const strangerToken = tokenFor({
      role: 'partner',
      sub: 'partner:stranger',
      partnerId: stranger.id,
    });
    const member = await enrolMember(url, 'Contractless Carl');
    const beforeEarning = new Date().toISOString();
    await linkPartner(url, member.id, stranger.id);
    expect(
      (
        await earn(
          url,
          strangerToken,
          earnInput({ memberId: member.id, storeId: stranger.stores[0]!.id, total: '1000' }),
        )
      ).errors,
    ).toBeUndefined();
    await settlementCaughtUp(url, network.databaseUrls.member);
    const current = await gql<{ currentSettlementCycle: { id: string } }>(
      url,
      '{ currentSettlementCycle { id } }',
      {},
      operatorToken(),
    );
    const refused = await closeCycle(url);
    expect(codesOf(refused)).toEqual(['CONTRACT_MISSING']);
    expect(refused.errors?.[0]?.extensions?.partners).toEqual([
      expect.objectContaining({ partnerId: stranger.id }),
    ]);
    const still = await gql<{ currentSettlementCycle: { id: string; status: string } }>(
      url,
      '{ currentSettlementCycle { id status } }',
      {},
      operatorToken(),
    );
    expect(still.data?.currentSettlementCycle).toEqual({
      id: current.data!.currentSettlementCycle.id,
      status: 'DRAFT',
    });
    // Once the contract exists, the same cycle closes.
    await setContract(url, stranger.id, {
      issuancePrice: '1',
      redemptionRate: '1',
      effectiveFrom: beforeEarning,
    });
    const closed = await closeCycle(url, {}, current.data!.currentSettlementCycle.id);
    expect(closed.errors).toBeUndefined();
    // 10.00 EUR at 1 point per euro, 1 cent per point.
    expect(
      amountsOf(
        await statementOf(url, strangerToken, stranger.id, closed.data!.closeSettlementCycle.id),
      ),
    ).toEqual({ ISSUANCE: '-10' });
  });
});

describe('the operator CLI (npm run settle)', () => {
  const settle = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'node',
        ['--import', 'tsx', 'scripts/settle.ts', ...args],
        { env: { ...process.env, GATEWAY_URL: url, JWT_KEYS_DIR: keysDir() } },
        (error, stdout, stderr) =>
          resolve({
            code: error ? Number((error as { code?: number }).code ?? 1) : 0,
            stdout,
            stderr,
          }),
      );
    });

  // Each step spawns the CLI (npm run settle), a second or more on a loaded machine, and approve and
  // pay may first advance cycles other tests left waiting: more than the default minute.
  it('closes a cycle, shows its nets, exports its statements and verifies it', async () => {
    const member = await enrolMember(url, 'Cli Chris');
    await linkPartner(url, member.id, grocer.id);
    const receiptId = `R-${randomUUID()}`;
    expect(
      (
        await earn(
          url,
          grocerToken,
          earnInput({
            memberId: member.id,
            storeId: grocer.stores[0]!.id,
            total: '500',
            receiptId,
          }),
        )
      ).errors,
    ).toBeUndefined();
    // A one-cent refund claws back nothing: its fact must not stop settlement's intake.
    const tiny = await refundPurchase(url, grocerToken, {
      idempotencyKey: key(),
      storeId: grocer.stores[0]!.id,
      receiptId,
      amount: '1',
    });
    expect(tiny.data?.refundPurchase?.points).toBe('0');
    await settlementCaughtUp(url, network.databaseUrls.member);
    const refused = await settle(['close', '--fx', 'GBP=abc']);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('BAD_USER_INPUT') });
    const closed = await settle(['close']);
    expect(closed.code, closed.stderr).toBe(0);
    // 5.00 EUR at 10 points per euro: 50 points at 1 cent each, printed as money.
    expect(closed.stdout).toMatch(new RegExp(`-0\\.50 EUR\\s+Settle Grocer \\(${grocer.id}\\)`));
    const [, number, cycleId] = /cycle (\d+) \(([^)]+)\)/.exec(closed.stdout)!;
    const nets = await settle(['nets']);
    expect(nets.stdout, nets.stderr).toContain(`cycle ${number} `);
    const out = mkdtempSync(join(tmpdir(), 'statements-'));
    const exported = await settle(['export', '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    const grocerCsv = readFileSync(join(out, `cycle-${number}`, `${grocer.id}.csv`), 'utf8');
    expect(grocerCsv).toContain(
      `${number},${grocer.id},Settle Grocer,EUR,1,ISSUANCE,,,1,50,-50,-50`,
    );
    expect((await settle(['verify'])).stdout).toContain(`cycle ${number} reproduces exactly`);
    const early = await settle(['pay', '--reference', 'RUN-1', '--cycle', cycleId!]);
    expect(early).toMatchObject({ code: 1, stderr: expect.stringContaining('CYCLE_NOT_APPROVED') });
    expect((await settle(['pay'])).code).toBe(2);
    // Without --cycle, approve and pay take the oldest cycle waiting: cycles advance in order, and
    // other tests of this file leave theirs closed or approved. Advance until ours has been taken.
    const advanceUntilOurs = async (args: string[], status: string) => {
      for (let step = 0; step < 20; step += 1) {
        const run = await settle(args);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toMatch(new RegExp(`^cycle \\d+ \\(.*\\): ${status}`));
        if (run.stdout.startsWith(`cycle ${number} (`)) return run;
      }
      throw new Error(`cycle ${number} was never ${status}`);
    };
    await advanceUntilOurs(['approve'], 'APPROVED');
    const paid = await advanceUntilOurs(['pay', '--reference', 'RUN-1'], 'PAID');
    expect(paid.stdout).toContain('reference RUN-1');
    expect((await settle(['frobnicate'])).code).toBe(2);
    const help = await settle(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('pay      --reference REF');
  }, 240_000);
});

describe('breakage', () => {
  it("returns the issuer's contracted share of its expired points' issuance value, and reports it", async () => {
    const florist = await onboardPartner(url, 'Settle Florist', ['Stall'], undefined, {
      pointsPerCurrencyUnit: 1,
      returnWindowDays: 0,
    });
    const floristToken = tokenFor({
      role: 'partner',
      sub: 'partner:florist',
      partnerId: florist.id,
    });
    // Issuance 0.7 cent per point; 40% of its expired points' value comes back to it.
    await setContract(url, florist.id, {
      issuancePrice: '0.7',
      redemptionRate: '0.5',
      breakageShareBasisPoints: 4000,
      effectiveFrom: new Date().toISOString(),
    });
    const member = await enrolMember(url, 'Breakage Bo');
    await linkPartner(url, member.id, florist.id);
    const earned = await earn(
      url,
      floristToken,
      earnInput({ memberId: member.id, storeId: florist.stores[0]!.id, total: '3300' }),
    );
    expect(earned.data?.earnPoints.pointsEarned).toBe('33');
    // Ledger time past the points' expiry, for the expiry run only.
    const memberDb = openDatabase(network.databaseUrls.member);
    try {
      const [lot] = await memberDb.rows<{ expires_at: Date }>(
        'SELECT expires_at FROM lot WHERE member_id = $1',
        [member.id],
      );
      await memberDb.rows('INSERT INTO ledger_clock (singleton, frozen_at) VALUES (true, $1)', [
        new Date(lot!.expires_at.getTime() + 1),
      ]);
      await new Promise<void>((resolve, reject) =>
        execFile(
          'npm',
          ['run', '-s', 'expire'],
          { env: { ...process.env, DATABASE_URL_MEMBER: network.databaseUrls.member } },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    } finally {
      await memberDb.rows('DELETE FROM ledger_clock');
      await memberDb.close();
    }
    await settlementCaughtUp(url, network.databaseUrls.member);
    const closed = await closeCycle(url);
    expect(closed.errors).toBeUndefined();
    const statement = await statementOf(
      url,
      floristToken,
      florist.id,
      closed.data!.closeSettlementCycle.id,
    );
    // Issuance 33 × 0.7 = 23.1 → −23; breakage 40% of 23.1 = 9.24 → +9.
    expect(amountsOf(statement)).toEqual({ ISSUANCE: '-23', BREAKAGE_SHARE: '9' });
    expect(statement!.lines.find((l) => l.kind === 'BREAKAGE_SHARE')).toMatchObject({
      points: '33',
      exactAmount: '9.24',
    });
    const report = await gql<{
      settlementReport: {
        issuers: {
          issuer: { id: string } | null;
          pointsExpired: string;
          pointsOutstanding: string;
          breakage: { currency: string; partnerShare: string; operatorShare: string }[];
        }[];
      };
    }>(
      url,
      '{ settlementReport { issuers { issuer { id } pointsExpired pointsOutstanding breakage { currency partnerShare operatorShare } } } }',
      {},
      operatorToken(),
    );
    // The operator keeps the other 60%: 13.86 → 14.
    expect(report.data?.settlementReport.issuers.find((i) => i.issuer?.id === florist.id)).toEqual({
      issuer: { id: florist.id },
      pointsExpired: '33',
      pointsOutstanding: '0',
      breakage: [{ currency: 'EUR', partnerShare: '9', operatorShare: '14' }],
    });
  });
});
