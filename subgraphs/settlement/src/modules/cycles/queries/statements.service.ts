import type { DataSource } from 'typeorm';
import { badInput } from '@coalition/shared/errors';
import { sqlFile } from '@coalition/shared/db/sql-file';
import type { Page } from '@coalition/shared/graphql/pagination';
import { OPERATOR, type NetPosition, type PaymentInstruction } from '../../journal/netting';

const JOURNAL_OF_LINE = sqlFile(new URL('./sql/journal-of-line.sql', import.meta.url), {
  operator: OPERATOR,
});

export interface StatementLine {
  cycleId: string;
  party: string;
  currency: string;
  lineNo: number;
  kind: string;
  originalCycleId: string | null;
  adjustmentId: string | null;
  entries: number;
  points: bigint;
  exactMicros: bigint;
  amount: bigint;
}

export interface StatementTotal {
  currency: string;
  net: bigint;
  lines: number;
  entries: number;
  pointsIssued: bigint;
  pointsRedeemed: bigint;
}

export interface Statement {
  cycleId: string;
  party: string;
  lines: StatementLine[];
  totals: StatementTotal[];
}

export interface LiabilityCell {
  issuer: string;
  redeemer: string;
  points: bigint;
  redeemerValue: { currency: string; amount: bigint };
  issuerValue: { currency: string; amount: bigint } | null;
}

export interface JournalEntry {
  cursor: string;
  transactionId: string;
  originalTransactionId: string | null;
  kind: string;
  debitAccount: string;
  creditAccount: string;
  currency: string;
  points: bigint;
  amountMicros: bigint;
  pricedAt: Date;
  contractVersion: number;
}

interface LineRow {
  cycle_id: string;
  party: string;
  currency: string;
  line_no: number;
  kind: string;
  original_cycle_id: string | null;
  adjustment_id: string | null;
  entries: number;
  points: string;
  exact_micros: string;
  amount_minor: string;
}

const toLine = (r: LineRow): StatementLine => ({
  cycleId: r.cycle_id,
  party: r.party,
  currency: r.currency.trim(),
  lineNo: r.line_no,
  kind: r.kind,
  originalCycleId: r.original_cycle_id,
  adjustmentId: r.adjustment_id,
  entries: r.entries,
  points: BigInt(r.points),
  exactMicros: BigInt(r.exact_micros),
  amount: BigInt(r.amount_minor),
});

/** Totals per currency, computed from the lines themselves, so a statement always adds up to its net. */
function totalsOf(lines: readonly StatementLine[]): StatementTotal[] {
  const totals = new Map<string, StatementTotal>();
  for (const line of lines) {
    const t = totals.get(line.currency) ?? {
      currency: line.currency,
      net: 0n,
      lines: 0,
      entries: 0,
      pointsIssued: 0n,
      pointsRedeemed: 0n,
    };
    t.net += line.amount;
    t.lines += 1;
    t.entries += line.entries;
    if (line.kind === 'ISSUANCE') t.pointsIssued += line.points;
    if (line.kind === 'REDEMPTION') t.pointsRedeemed += line.points;
    totals.set(line.currency, t);
  }
  return [...totals.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1));
}

/** Reads what closed cycles keep: statements, positions, payment instructions, the matrix, the journal. */
export class StatementsService {
  constructor(private readonly dataSource: DataSource) {}

  /** Statements of a cycle for the given parties (all parties when omitted), lines in order. */
  async statements(cycleId: string, parties?: readonly string[]): Promise<Statement[]> {
    const rows: LineRow[] = await this.dataSource.query(
      `SELECT * FROM statement_line WHERE cycle_id = $1 AND ($2::text[] IS NULL OR party = ANY($2::text[]))
        ORDER BY party = '${OPERATOR}', party, currency, line_no`,
      [cycleId, parties ? [...parties] : null],
    );
    const byParty = new Map<string, StatementLine[]>();
    for (const row of rows) {
      const lines = byParty.get(row.party) ?? [];
      lines.push(toLine(row));
      byParty.set(row.party, lines);
    }
    return [...byParty].map(([party, lines]) => ({
      cycleId,
      party,
      lines,
      totals: totalsOf(lines),
    }));
  }

  async positions(cycleId: string): Promise<NetPosition[]> {
    const rows: { party: string; currency: string; net_minor: string }[] =
      await this.dataSource.query(
        `SELECT party, currency, net_minor FROM cycle_position WHERE cycle_id = $1 ORDER BY currency, party = '${OPERATOR}', party`,
        [cycleId],
      );
    return rows.map((r) => ({
      party: r.party,
      currency: r.currency.trim(),
      net: BigInt(r.net_minor),
    }));
  }

  async instructions(cycleId: string): Promise<(PaymentInstruction & { seq: number })[]> {
    const rows: {
      seq: number;
      currency: string;
      payer: string;
      payee: string;
      amount_minor: string;
    }[] = await this.dataSource.query(
      'SELECT seq, currency, payer, payee, amount_minor FROM payment_instruction WHERE cycle_id = $1 ORDER BY seq',
      [cycleId],
    );
    return rows.map((r) => ({
      seq: r.seq,
      currency: r.currency.trim(),
      payer: r.payer,
      payee: r.payee,
      amount: BigInt(r.amount_minor),
    }));
  }

  async matrix(cycleId: string): Promise<LiabilityCell[]> {
    const rows: {
      issuer: string;
      redeemer: string;
      points: string;
      redeemer_currency: string;
      redeemer_amount_minor: string;
      issuer_currency: string | null;
      issuer_amount_minor: string | null;
    }[] = await this.dataSource.query(
      'SELECT * FROM liability_cell WHERE cycle_id = $1 ORDER BY issuer, redeemer, redeemer_currency',
      [cycleId],
    );
    return rows.map((r) => ({
      issuer: r.issuer,
      redeemer: r.redeemer,
      points: BigInt(r.points),
      redeemerValue: {
        currency: r.redeemer_currency.trim(),
        amount: BigInt(r.redeemer_amount_minor),
      },
      issuerValue:
        r.issuer_currency && r.issuer_amount_minor !== null
          ? { currency: r.issuer_currency.trim(), amount: BigInt(r.issuer_amount_minor) }
          : null,
    }));
  }

  /** The journal entries behind one statement line, in fact order, keyset-paginated. */
  async journalOf(line: StatementLine, page: Page): Promise<JournalEntry[]> {
    if (line.kind === 'ROUNDING' || line.kind === 'ADJUSTMENT') return [];
    const after = page.after ? parseJournalCursor(page.after) : undefined;
    const rows: {
      tx_id: string;
      seq: string;
      n: number;
      leg: number;
      transaction_id: string;
      original_transaction_id: string | null;
      kind: string;
      debit_account: string;
      credit_account: string;
      currency: string;
      points: string;
      amount_micros: string;
      priced_at: Date;
      version: number;
    }[] = await this.dataSource.query(JOURNAL_OF_LINE, [
      line.cycleId,
      line.currency,
      line.kind,
      line.originalCycleId,
      line.party,
      after?.[0] ?? null,
      after?.[1] ?? null,
      after?.[2] ?? null,
      after?.[3] ?? null,
      page.limit + 1,
    ]);
    return rows.map((r) => ({
      cursor: `${r.tx_id}.${r.seq}.${r.n}.${r.leg}`,
      transactionId: r.transaction_id,
      originalTransactionId: r.original_transaction_id,
      kind: r.kind,
      debitAccount: r.debit_account,
      creditAccount: r.credit_account,
      currency: r.currency.trim(),
      points: BigInt(r.points),
      amountMicros: BigInt(r.amount_micros),
      pricedAt: r.priced_at,
      contractVersion: r.version,
    }));
  }
}

function parseJournalCursor(cursor: string): [string, string, string, string] {
  const match = /^(\d{1,20})\.(\d{1,19})\.(\d{1,9})\.([01])$/.exec(cursor);
  if (!match) throw badInput('after is not a cursor this API returned.', 'after');
  return [match[1]!, match[2]!, match[3]!, match[4]!];
}
