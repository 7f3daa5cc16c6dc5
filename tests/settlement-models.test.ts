import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, gql, operatorToken, tokenFor } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import {
  closeCycle,
  currentCycle,
  cycleStatements,
  setContract,
  settlementCaughtUp,
  verifyCycle,
  type ClosedCycle,
  type ContractTerms,
  type CycleStatement,
} from './support/settlement';
import { burn, earn, earnInput } from './support/wallet';

/**
 * Settlement's arithmetic end to end, each scenario a cycle of its own on this file's network:
 * rounding many tiny redemptions at a fractional rate, the direct payment model, and a cycle in
 * two currencies. Expected numbers are worked out here from the documented rules, not read back.
 */

/** A bound on failure only: suites start whole networks at once on two shared cores. */
const SETUP_TIMEOUT_MS = 240_000;
/** Cycles close only when the suite closes them: no scheduled close may cut one in between. */
const MANUAL_CLOSES = { SETTLEMENT_CYCLE_PERIOD: 'MANUAL' };

let network: TestNetwork;
let url: string;

beforeAll(async () => {
  network = await startTestNetwork('settle_models', MANUAL_CLOSES);
  url = network.graphqlUrl;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await network?.stop();
});

interface Shop extends OnboardedPartner {
  token: string;
  store: string;
}

async function shopWith(name: string, terms: ContractTerms, currency = 'EUR'): Promise<Shop> {
  const partner = await onboardPartner(url, name, ['Till'], undefined, {
    pointsPerCurrencyUnit: 1,
    returnWindowDays: 0,
    settlementCurrency: currency,
  });
  // Effective from now: a version may not start before the last closed cycle (an earlier scenario's).
  await setContract(url, partner.id, {
    currency,
    effectiveFrom: new Date().toISOString(),
    ...terms,
  });
  return {
    ...partner,
    token: tokenFor({ role: 'partner', sub: `partner:${name}`, partnerId: partner.id }),
    store: partner.stores[0]!.id,
  };
}

async function memberOf(name: string, shops: readonly Shop[]): Promise<string> {
  const member = await enrolMember(url, name);
  for (const shop of shops) await linkPartner(url, member.id, shop.id);
  return member.id;
}

/** Earns `points` at a shop taking 1 point per currency unit. */
async function earnAt(
  shop: Shop,
  memberId: string,
  points: number,
  currency = 'EUR',
): Promise<void> {
  const response = await earn(
    url,
    shop.token,
    earnInput({ memberId, storeId: shop.store, total: `${points * 100}`, currency }),
  );
  expect(response.errors).toBeUndefined();
  expect(response.data?.earnPoints.pointsEarned).toBe(String(points));
}

async function burnAt(shop: Shop, memberId: string, points: number): Promise<void> {
  const response = await burn(url, shop.token, {
    idempotencyKey: randomUUID(),
    memberId,
    storeId: shop.store,
    points: String(points),
  });
  expect(response.errors).toBeUndefined();
}

async function closed(input: Record<string, unknown> = {}): Promise<ClosedCycle> {
  await settlementCaughtUp(url, network.databaseUrls.member);
  const response = await closeCycle(url, input);
  expect(response.errors).toBeUndefined();
  return response.data!.closeSettlementCycle;
}

const MICROS_PER_CENT = 1_000_000n;

/** The documented rule: an exact amount in micros rounded once to the minor unit, half away from zero. */
function roundOnce(micros: bigint): bigint {
  const magnitude = micros < 0n ? -micros : micros;
  const rounded = (magnitude + MICROS_PER_CENT / 2n) / MICROS_PER_CENT;
  return micros < 0n ? -rounded : rounded;
}

/** "-16.333317" (minor units, up to 6 decimals) → -16333317 micros. */
function microsOf(exact: string): bigint {
  const [, sign, whole, fraction = ''] = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(exact)!;
  const magnitude = BigInt(whole!) * MICROS_PER_CENT + BigInt(fraction.padEnd(6, '0'));
  return sign ? -magnitude : magnitude;
}

const statementOfParty = (statements: readonly CycleStatement[], party: string) =>
  statements.find((s) => s.party.id === party);
const lineAmounts = (statement: CycleStatement | undefined) =>
  Object.fromEntries((statement?.lines ?? []).map((l) => [l.kind, l.amount]));

/** docs/ledger.md L11, whatever the cycle: every line is its exact amount rounded once, every statement adds up to the party's position, positions sum to zero per currency. */
function expectReconciled(cycle: ClosedCycle, statements: readonly CycleStatement[]): void {
  for (const statement of statements) {
    for (const line of statement.lines) {
      if (line.kind !== 'ROUNDING')
        expect(BigInt(line.amount), `${statement.party.id} ${line.kind}`).toBe(
          roundOnce(microsOf(line.exactAmount)),
        );
    }
    for (const total of statement.totals) {
      const lines = statement.lines
        .filter((l) => l.currency === total.currency)
        .reduce((sum, l) => sum + BigInt(l.amount), 0n);
      expect(lines).toBe(BigInt(total.net));
      const position = cycle.positions.find(
        (p) => p.party.id === statement.party.id && p.currency === total.currency,
      );
      expect(position?.net).toBe(total.net);
    }
  }
  const sums = new Map<string, bigint>();
  for (const p of cycle.positions)
    sums.set(p.currency, (sums.get(p.currency) ?? 0n) + BigInt(p.net));
  for (const [currency, sum] of sums) expect(sum, currency).toBe(0n);
}

describe('rounding: many tiny redemptions at a fractional rate', () => {
  const RATE_MICROS = 333_333n;
  const BURNS_AT_FIRST = 20;
  const BURNS_AT_SECOND = 29;
  let issuer: Shop;
  let first: Shop;
  let second: Shop;
  let cycle: ClosedCycle;
  let statements: CycleStatement[];

  beforeAll(async () => {
    issuer = await shopWith('Round Issuer', { issuancePrice: '1', redemptionRate: '1' });
    first = await shopWith('Third Kiosk', { issuancePrice: '1', redemptionRate: '0.333333' });
    second = await shopWith('Third Stall', { issuancePrice: '1', redemptionRate: '0.333333' });
    const member = await memberOf('Round Robin', [issuer, first, second]);
    await earnAt(issuer, member, 100);
    for (let i = 0; i < BURNS_AT_FIRST; i += 1) await burnAt(first, member, 1);
    for (let i = 0; i < BURNS_AT_SECOND; i += 1) await burnAt(second, member, 1);
    cycle = await closed();
    statements = await cycleStatements(url, cycle.id);
  }, SETUP_TIMEOUT_MS);

  it('rounds each partner line once, from its exact total', () => {
    // 20 × 0.333333 = 6.66666 → 7; 29 × 0.333333 = 9.666657 → 10.
    const firstExact = BigInt(BURNS_AT_FIRST) * RATE_MICROS;
    const secondExact = BigInt(BURNS_AT_SECOND) * RATE_MICROS;
    expect(statementOfParty(statements, first.id)?.lines).toEqual([
      {
        currency: 'EUR',
        kind: 'REDEMPTION',
        points: '20',
        exactAmount: '6.66666',
        amount: String(roundOnce(firstExact)),
      },
    ]);
    expect(statementOfParty(statements, second.id)?.lines).toEqual([
      {
        currency: 'EUR',
        kind: 'REDEMPTION',
        points: '29',
        exactAmount: '9.666657',
        amount: String(roundOnce(secondExact)),
      },
    ]);
    expect(lineAmounts(statementOfParty(statements, first.id))).toEqual({ REDEMPTION: '7' });
    expect(lineAmounts(statementOfParty(statements, second.id))).toEqual({ REDEMPTION: '10' });
    expect(lineAmounts(statementOfParty(statements, issuer.id))).toEqual({ ISSUANCE: '-100' });
  });

  it("gives the operator's ROUNDING line exactly the residue, so its lines add up to its net", () => {
    const partnerNets = -100n + roundOnce(20n * RATE_MICROS) + roundOnce(29n * RATE_MICROS);
    const operatorNet = -partnerNets;
    // The operator mirrors each kind rounded from the exact total across partners: +100 and
    // −(6.66666 + 9.666657) = −16.333317 → −16; the partners were paid 17, so one cent is residue.
    const mirroredIssuance = roundOnce(100n * MICROS_PER_CENT);
    const mirroredRedemption = roundOnce(-(49n * RATE_MICROS));
    const residue = operatorNet - mirroredIssuance - mirroredRedemption;
    expect([operatorNet, mirroredRedemption, residue]).toEqual([83n, -16n, -1n]);
    const operator = statementOfParty(statements, 'operator')!;
    expect(operator.lines.map((l) => [l.kind, l.exactAmount, l.amount])).toEqual([
      ['ISSUANCE', '100', String(mirroredIssuance)],
      ['REDEMPTION', '-16.333317', String(mirroredRedemption)],
      ['ROUNDING', '0', String(residue)],
    ]);
    expect(operator.totals).toEqual([
      { currency: 'EUR', net: String(operatorNet), pointsIssued: '100', pointsRedeemed: '49' },
    ]);
  });

  it('reconciles every statement to its net and every net to zero, and reproduces on recomputation', async () => {
    expectReconciled(cycle, statements);
    expect(Object.fromEntries(cycle.positions.map((p) => [p.party.id, p.net]))).toEqual({
      [issuer.id]: '-100',
      [first.id]: '7',
      [second.id]: '10',
      operator: '83',
    });
    expect(cycle.items).toBe(1 + BURNS_AT_FIRST + BURNS_AT_SECOND);
    expect(await verifyCycle(url, cycle.id)).toEqual({ matches: true, differences: [] });
  });
});

describe('the direct model', () => {
  let shops: Shop[];
  let cycle: ClosedCycle;

  beforeAll(async () => {
    // issuance / redemption, cents per point
    shops = [
      await shopWith('Direct One', { issuancePrice: '1.0', redemptionRate: '0.8' }),
      await shopWith('Direct Two', { issuancePrice: '1.1', redemptionRate: '0.9' }),
      await shopWith('Direct Three', { issuancePrice: '0.9', redemptionRate: '0.7' }),
      await shopWith('Direct Four', { issuancePrice: '1.2', redemptionRate: '1.0' }),
    ];
    const [one, two, three, four] = shops as [Shop, Shop, Shop, Shop];
    const ann = await memberOf('Direct Ann', shops);
    const ben = await memberOf('Direct Ben', shops);
    await earnAt(one, ann, 500);
    await earnAt(two, ben, 400);
    await burnAt(three, ann, 300);
    await burnAt(four, ben, 250);
    await burnAt(two, ann, 100);
    cycle = await closed({ model: 'DIRECT' });
  }, SETUP_TIMEOUT_MS);

  it('nets each party as its contract says', () => {
    const [one, two, three, four] = shops as [Shop, Shop, Shop, Shop];
    // One: −500 × 1.0. Two: −400 × 1.1 + 100 × 0.9. Three: 300 × 0.7. Four: 250 × 1.0.
    expect(Object.fromEntries(cycle.positions.map((p) => [p.party.id, p.net]))).toEqual({
      [one.id]: '-500',
      [two.id]: '-350',
      [three.id]: '210',
      [four.id]: '250',
      operator: '390',
    });
    expect(cycle.model).toBe('DIRECT');
  });

  it('pays directly in at most N − 1 payments that move exactly the positive nets and settle everyone', async () => {
    const nonZero = cycle.positions.filter((p) => p.net !== '0');
    expect(nonZero).toHaveLength(5);
    expect(cycle.paymentInstructions.length).toBeGreaterThan(0);
    expect(cycle.paymentInstructions.length).toBeLessThanOrEqual(nonZero.length - 1);
    const moved = cycle.paymentInstructions.reduce((sum, i) => sum + BigInt(i.amount), 0n);
    const owed = cycle.positions.reduce(
      (sum, p) => (BigInt(p.net) > 0n ? sum + BigInt(p.net) : sum),
      0n,
    );
    expect(moved).toBe(owed);
    expect(owed).toBe(850n);
    const settled = new Map(cycle.positions.map((p) => [p.party.id, BigInt(p.net)]));
    for (const i of cycle.paymentInstructions) {
      expect(i.payer.id).not.toBe(i.payee.id);
      expect(BigInt(i.amount)).toBeGreaterThan(0n);
      expect(i.currency).toBe('EUR');
      settled.set(i.payer.id, settled.get(i.payer.id)! + BigInt(i.amount));
      settled.set(i.payee.id, settled.get(i.payee.id)! - BigInt(i.amount));
    }
    expect([...settled.values()].every((left) => left === 0n)).toBe(true);
    expectReconciled(cycle, await cycleStatements(url, cycle.id));
    expect(await verifyCycle(url, cycle.id)).toEqual({ matches: true, differences: [] });
  });
});

describe('a cycle in several currencies', () => {
  let pounds: Shop;
  let euros: Shop;
  let member: string;
  let draftId: string;
  let refused: Awaited<ReturnType<typeof closeCycle>>;

  beforeAll(async () => {
    pounds = await shopWith('Pound Shop', { issuancePrice: '1', redemptionRate: '0.8' }, 'GBP');
    euros = await shopWith('Euro Shop', { issuancePrice: '1', redemptionRate: '0.9' });
    member = await memberOf('Fx Fran', [pounds, euros]);
    await earnAt(pounds, member, 200, 'GBP');
    await burnAt(euros, member, 150);
    await settlementCaughtUp(url, network.databaseUrls.member);
    draftId = (await currentCycle(url)).id;
    refused = await closeCycle(url);
  }, SETUP_TIMEOUT_MS);

  it('refuses to close without a rate for the other currency, changing nothing', async () => {
    expect(codesOf(refused)).toEqual(['FX_RATE_MISSING']);
    expect(refused.errors?.[0]?.extensions?.currencies).toEqual(['GBP']);
    expect(await currentCycle(url)).toEqual({
      id: draftId,
      number: expect.any(Number),
      status: 'DRAFT',
      cutoffPosition: null,
      model: null,
    });
    const cycle = await gql<{
      settlementCycle: {
        status: string;
        positions: unknown[];
        paymentInstructions: unknown[];
        statements: unknown[];
      };
    }>(
      url,
      'query C($id: ID!) { settlementCycle(id: $id) { status positions { net } paymentInstructions { amount } statements { party { id } } } }',
      { id: draftId },
      operatorToken(),
    );
    expect(cycle.data?.settlementCycle).toEqual({
      status: 'DRAFT',
      positions: [],
      paymentInstructions: [],
      statements: [],
    });
  });

  it('closes the same cycle with the rate, at the end of the intake then and in the model asked for, and records the rate on the cycle', async () => {
    // A purchase after the refusal still belongs to the cycle the next close cuts.
    await earnAt(euros, member, 10);
    const cycle = await closed({ model: 'DIRECT', fxRates: [{ currency: 'GBP', rate: '1.1734' }] });
    expect(cycle.id).toBe(draftId);
    expect(cycle.model).toBe('DIRECT');
    expect(cycle.fxRates).toEqual([{ currency: 'GBP', rate: '1.1734' }]);
    expect(cycle.items).toBe(3);
    // GBP: the pound shop pays 200 × 1p for its points. EUR: the euro shop is paid 150 × 0.9c and pays 10 × 1c.
    expect(cycle.positions.map((p) => [p.currency, p.party.id, p.net])).toEqual([
      ['EUR', euros.id, '125'],
      ['EUR', 'operator', '-125'],
      ['GBP', pounds.id, '-200'],
      ['GBP', 'operator', '200'],
    ]);
    // One debtor and one creditor per currency: the direct payments are the hub's.
    expect(
      cycle.paymentInstructions.map((i) => [i.currency, i.payer.id, i.payee.id, i.amount]),
    ).toEqual([
      ['EUR', 'operator', euros.id, '125'],
      ['GBP', pounds.id, 'operator', '200'],
    ]);
    expect(cycle.liabilityMatrix).toEqual([
      {
        issuer: { id: pounds.id },
        redeemer: { id: euros.id },
        points: '150',
        redeemerValue: { currency: 'EUR', amount: '135' },
        issuerValue: { currency: 'GBP', amount: '150' },
      },
    ]);
    const statements = await cycleStatements(url, cycle.id);
    expect(lineAmounts(statementOfParty(statements, pounds.id))).toEqual({ ISSUANCE: '-200' });
    expect(
      statementOfParty(statements, 'operator')?.totals.map((t) => [t.currency, t.net]),
    ).toEqual([
      ['EUR', '-125'],
      ['GBP', '200'],
    ]);
    expectReconciled(cycle, statements);
    expect(await verifyCycle(url, cycle.id)).toEqual({ matches: true, differences: [] });
  });
});
