import { expect } from 'vitest';
import { eventually, gql, operatorToken } from './graphql';
import { openDatabase } from './sql';

/** Settlement steps through the gateway, as an operator would take them. */

export interface ContractTerms {
  currency?: string;
  issuancePrice: string;
  redemptionRate: string;
  feePerTransaction?: string;
  feePerPoint?: string;
  feeRateBasisPoints?: number;
  breakageShareBasisPoints?: number;
  effectiveFrom?: string;
  effectiveTo?: string;
}

/** Sets a contract once settlement's partner directory has heard of the partner (the partner feed is asynchronous). */
export async function setContract(
  url: string,
  partnerId: string,
  terms: ContractTerms,
): Promise<void> {
  await eventually(
    async () => {
      const response = await gql(
        url,
        'mutation C($input: SetPartnerContractInput!) { setPartnerContract(input: $input) { id version } }',
        {
          input: { partnerId, currency: 'EUR', effectiveFrom: '2020-01-01T00:00:00Z', ...terms },
        },
        operatorToken(),
      );
      if (response.errors?.[0]?.extensions?.code === 'NOT_FOUND') return undefined;
      expect(response.errors).toBeUndefined();
      return true;
    },
    15_000,
    'the partner to reach settlement',
  );
}

/** Waits until settlement has taken in every fact the member service has written so far. */
export async function settlementCaughtUp(url: string, memberDatabaseUrl: string): Promise<void> {
  const memberDb = openDatabase(memberDatabaseUrl);
  try {
    const [row] = await memberDb.rows<{ facts: string }>('SELECT count(*) AS facts FROM outbox');
    const written = Number(row!.facts);
    await eventually(
      async () => {
        const status = await gql<{ memberFeedStatus: { factsApplied: number } }>(
          url,
          '{ memberFeedStatus { factsApplied } }',
          {},
          operatorToken(),
        );
        return (status.data?.memberFeedStatus.factsApplied ?? 0) >= written;
      },
      20_000,
      `settlement to take in ${written} member facts`,
    );
  } finally {
    await memberDb.close();
  }
}

export const CYCLE_FIELDS = `id number status cutoffPosition items model fxRates { currency rate }
  positions { party { id } currency net }
  paymentInstructions { seq currency payer { id } payee { id } amount }
  liabilityMatrix { issuer { id } redeemer { id } points redeemerValue { currency amount } issuerValue { currency amount } }`;

export interface ClosedCycle {
  id: string;
  number: number;
  status: string;
  cutoffPosition: string;
  items: number;
  model: string;
  fxRates: { currency: string; rate: string }[];
  positions: { party: { id: string }; currency: string; net: string }[];
  paymentInstructions: {
    seq: number;
    currency: string;
    payer: { id: string };
    payee: { id: string };
    amount: string;
  }[];
  liabilityMatrix: {
    issuer: { id: string } | null;
    redeemer: { id: string };
    points: string;
    redeemerValue: { currency: string; amount: string };
    issuerValue: { currency: string; amount: string } | null;
  }[];
}

export const closeCycle = (url: string, input: Record<string, unknown> = {}, id?: string) =>
  gql<{ closeSettlementCycle: ClosedCycle }>(
    url,
    `mutation Close($id: ID, $input: CloseSettlementCycleInput) { closeSettlementCycle(id: $id, input: $input) { ${CYCLE_FIELDS} } }`,
    { id, input },
    operatorToken(),
  );

export interface StatementView {
  party: { id: string };
  totals: {
    currency: string;
    net: string;
    lines: number;
    entries: number;
    pointsIssued: string;
    pointsRedeemed: string;
  }[];
  lines: {
    lineNo: number;
    currency: string;
    kind: string;
    originalCycle: { id: string } | null;
    entries: number;
    points: string;
    exactAmount: string;
    amount: string;
    journal: {
      edges: {
        node: {
          transactionId: string;
          originalTransactionId: string | null;
          amount: string;
          debitAccount: string;
          creditAccount: string;
        };
      }[];
    };
  }[];
  csv: string;
}

export const STATEMENT_FIELDS = `party { id } totals { currency net lines entries pointsIssued pointsRedeemed }
  lines { lineNo currency kind originalCycle { id } entries points exactAmount amount journal(first: 50) { edges { node { transactionId originalTransactionId amount debitAccount creditAccount } } } }
  csv`;

export async function statementOf(
  url: string,
  token: string,
  partnerId: string,
  cycleId: string,
): Promise<StatementView | null> {
  const response = await gql<{ partner: { settlementStatement: StatementView | null } }>(
    url,
    `query S($p: ID!, $c: ID!) { partner(id: $p) { settlementStatement(cycleId: $c) { ${STATEMENT_FIELDS} } } }`,
    { p: partnerId, c: cycleId },
    token,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.partner.settlementStatement;
}

/** A statement's lines as kind → amount (kinds repeat for reversals of earlier cycles: suffixed with @prior). */
export const amountsOf = (statement: StatementView | null | undefined) =>
  Object.fromEntries(
    (statement?.lines ?? []).map((l) => [`${l.kind}${l.originalCycle ? '@prior' : ''}`, l.amount]),
  );

/** Recomputes a closed cycle from the ledger facts it holds and compares it with what was stored (docs/ledger.md, L12). */
export async function verifyCycle(
  url: string,
  cycleId: string,
): Promise<{ matches: boolean; differences: string[] }> {
  const response = await gql<{
    verifySettlementCycle: { matches: boolean; differences: string[] };
  }>(
    url,
    'query V($id: ID!) { verifySettlementCycle(id: $id) { matches differences } }',
    { id: cycleId },
    operatorToken(),
  );
  expect(response.errors).toBeUndefined();
  return response.data!.verifySettlementCycle;
}

export interface CycleStatement {
  party: { id: string };
  totals: { currency: string; net: string; pointsIssued: string; pointsRedeemed: string }[];
  lines: { currency: string; kind: string; points: string; exactAmount: string; amount: string }[];
}

/** Every statement of a cycle, the operator's included, as the operator reads them. */
export async function cycleStatements(url: string, cycleId: string): Promise<CycleStatement[]> {
  const response = await gql<{ settlementCycle: { statements: CycleStatement[] } }>(
    url,
    `query S($id: ID!) { settlementCycle(id: $id) { statements {
       party { id } totals { currency net pointsIssued pointsRedeemed } lines { currency kind points exactAmount amount } } } }`,
    { id: cycleId },
    operatorToken(),
  );
  expect(response.errors).toBeUndefined();
  return response.data!.settlementCycle.statements;
}

/** The open cycle, as the operator reads it. */
export async function currentCycle(url: string): Promise<{
  id: string;
  number: number;
  status: string;
  cutoffPosition: string | null;
  model: string | null;
}> {
  const response = await gql<{
    currentSettlementCycle: {
      id: string;
      number: number;
      status: string;
      cutoffPosition: string | null;
      model: string | null;
    };
  }>(
    url,
    '{ currentSettlementCycle { id number status cutoffPosition model } }',
    {},
    operatorToken(),
  );
  expect(response.errors).toBeUndefined();
  return response.data!.currentSettlementCycle;
}
