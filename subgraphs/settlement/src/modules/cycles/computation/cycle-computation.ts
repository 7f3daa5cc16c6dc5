import type { EntityManager } from 'typeorm';
import { sqlFile, sqlTextArray } from '@coalition/shared/db/sql-file';
import { assert, CoalitionError, ErrorCode } from '@coalition/shared/errors';
import {
  OPERATOR,
  paymentInstructions,
  type NetPosition,
  type PaymentInstruction,
  type SettlementModel,
} from '../../journal/netting';
import { parseRate, type FxRate } from '../../journal/money';

/** What a cycle is computed from: its range of the member fact sequence and the terms fixed when it was cut. */
export interface CycleBasis {
  cycleId: string;
  fromPosition: string;
  cutoffPosition: string;
  model: SettlementModel;
  baseCurrency: string;
  fxRates: FxRate[];
  /** Which adjustments the cycle carries: those still pending (a close), or those it applied (a recomputation). */
  adjustments: 'pending' | { appliedIn: string };
}

export interface ComputedCycle {
  items: number;
  currencies: string[];
}

/** The order lines appear in on a statement. */
export const LINE_KINDS = [
  'ISSUANCE',
  'ISSUANCE_REVERSAL',
  'REDEMPTION',
  'REDEMPTION_REVERSAL',
  'BREAKAGE_SHARE',
  'FEE',
  'ADJUSTMENT',
  'ROUNDING',
] as const;

/**
 * work_mem for a computation's transaction: the memory each sort, hash or tuple store of its plans
 * may take before it spills to disk (hashes: twice this, hash_mem_multiplier). Enough to keep the
 * reversals' originals and the contract join in memory at ten million facts, and a bound, so a
 * close's memory stays flat however many facts it holds. A tuning of this query, not a limit of
 * the network's, so it lives here rather than in limits.ts.
 */
const WORK_MEM_MB = 64;

const split = (position: string) => {
  const [tx, seq] = position.split('.');
  return [tx!, seq!] as const;
};

/**
 * Computes a cycle from its basis into the cycle's rows (journal, statement lines, positions,
 * payment instructions, liability matrix), set-based inside the caller's transaction, so nothing
 * is ever half-written and memory stays flat however many facts the cycle holds. Deterministic:
 * the same basis gives the same rows, which is what recomputing a closed cycle checks.
 *
 * Cost: two streamed passes over the cycle's settlement items (the contract check, then the
 * journal with its sums), an append to the journal, and small statements over the few hundred
 * lines and cells; bench/settlement-close.ts measures it (BENCHMARKS.md, Settlement close).
 */
export async function computeCycle(
  manager: EntityManager,
  basis: CycleBasis,
): Promise<ComputedCycle> {
  const [fromTx, fromSeq] = split(basis.fromPosition);
  const [cutTx, cutSeq] = split(basis.cutoffPosition);
  const range = [fromTx, fromSeq, cutTx, cutSeq];
  await lockCycleRow(manager, basis.cycleId);
  await manager.query(`SET LOCAL work_mem = '${WORK_MEM_MB}MB'`);
  const items = await countItemsAssertingContracts(manager, range);
  await writeJournalAndSums(manager, basis.cycleId, range);
  await writeAdjustmentLines(manager, basis);
  const currencies = await currenciesOf(manager, basis.cycleId);
  assertFxRates(basis, currencies);
  const positions = await writeOperatorLinesAndPositions(manager, basis.cycleId);
  await writePaymentInstructions(
    manager,
    basis.cycleId,
    paymentInstructions(basis.model, positions),
  );
  await writeLiabilityMatrix(manager);
  return { items, currencies };
}

/**
 * What a foreign key from journal_entry to settlement_cycle checked once per journal row (a third
 * of a close's time: see migration 1764129600000), checked once per cycle: the cycle exists, and
 * it cannot be deleted until this transaction ends. Every journal row a computation writes carries
 * this cycle's id and no other.
 */
async function lockCycleRow(manager: EntityManager, cycleId: string): Promise<void> {
  const rows: unknown[] = await manager.query(
    'SELECT 1 FROM settlement_cycle WHERE id = $1 FOR KEY SHARE',
    [cycleId],
  );
  assert(rows.length === 1, `cycle ${cycleId} must exist before it is computed`);
}

/** The computation's statements, read once at start-up (sql/: each file says what it does and why). */
const fragments = {
  originals: sqlFile(new URL('./sql/originals.sql', import.meta.url)),
  pricedItems: sqlFile(new URL('./sql/priced-items.sql', import.meta.url)),
};
const constants = { operator: OPERATOR, lineKindOrder: sqlTextArray(LINE_KINDS) };
const SQL = {
  itemsPerPartner: sqlFile(new URL('./sql/items-per-partner.sql', import.meta.url), fragments),
  pendingCells: sqlFile(new URL('./sql/pending-cells.sql', import.meta.url)),
  journalAndSums: sqlFile(new URL('./sql/journal-and-sums.sql', import.meta.url), {
    ...fragments,
    ...constants,
  }),
  operatorLines: sqlFile(new URL('./sql/operator-lines.sql', import.meta.url), constants),
  liabilityMatrix: sqlFile(new URL('./sql/liability-matrix.sql', import.meta.url)),
};

/**
 * Counts the range's items, refusing the close when any of them has no contract in effect at the
 * time it is priced at: one pass, grouped by partner, before anything is written.
 */
async function countItemsAssertingContracts(
  manager: EntityManager,
  range: readonly string[],
): Promise<number> {
  const partners: { partner_id: string; items: string; first_uncovered: Date | null }[] =
    await manager.query(SQL.itemsPerPartner, range);
  const missing = partners.filter((p) => p.first_uncovered !== null).slice(0, 20);
  if (missing.length > 0) {
    throw new CoalitionError(
      ErrorCode.CONTRACT_MISSING,
      'Some partners have no contract in effect for points in this cycle: set their contracts, then close again.',
      {
        partners: missing.map((m) => ({
          partnerId: m.partner_id,
          from: m.first_uncovered!.toISOString(),
        })),
      },
    );
  }
  return partners.reduce((total, p) => total + Number(p.items), 0);
}

/**
 * The journal, and the sums of its entries as they are written (the partners' lines, the
 * liability cells), in one statement: sql/journal-and-sums.sql says why in one.
 */
async function writeJournalAndSums(
  manager: EntityManager,
  cycleId: string,
  range: readonly string[],
): Promise<void> {
  await manager.query(SQL.pendingCells);
  await manager.query(SQL.journalAndSums, [...range, cycleId]);
}

/** Adjustment lines: pending adjustments (a close), or those the cycle applied (a recomputation), after each party's other lines. */
async function writeAdjustmentLines(manager: EntityManager, basis: CycleBasis): Promise<void> {
  const adjustments: { id: string; partner_id: string; currency: string; amount_minor: string }[] =
    basis.adjustments === 'pending'
      ? await manager.query(
          'SELECT id, partner_id, currency, amount_minor FROM settlement_adjustment WHERE applied_cycle_id IS NULL ORDER BY created_at, id FOR UPDATE',
        )
      : await manager.query(
          'SELECT id, partner_id, currency, amount_minor FROM settlement_adjustment WHERE applied_cycle_id = $1 ORDER BY created_at, id',
          [basis.adjustments.appliedIn],
        );
  for (const a of adjustments) {
    await manager.query(
      `INSERT INTO statement_line (cycle_id, party, currency, line_no, kind, original_cycle_id, adjustment_id, entries, points, exact_micros, amount_minor)
       SELECT $1, $2, $3, coalesce(max(line_no), 0) + 1, 'ADJUSTMENT', NULL, $4, 1, 0, $5::numeric * 1000000, $5
         FROM statement_line WHERE cycle_id = $1 AND party = $2 AND currency = $3`,
      [basis.cycleId, a.partner_id, a.currency, a.id, a.amount_minor],
    );
    if (basis.adjustments === 'pending')
      await manager.query('UPDATE settlement_adjustment SET applied_cycle_id = $2 WHERE id = $1', [
        a.id,
        basis.cycleId,
      ]);
  }
}

async function currenciesOf(manager: EntityManager, cycleId: string): Promise<string[]> {
  const rows: { currency: string }[] = await manager.query(
    'SELECT DISTINCT currency FROM statement_line WHERE cycle_id = $1 ORDER BY currency',
    [cycleId],
  );
  return rows.map((r) => r.currency.trim());
}

function assertFxRates(basis: CycleBasis, currencies: readonly string[]): void {
  const rated = new Set(basis.fxRates.filter((r) => parseRate(r.rate)).map((r) => r.currency));
  const missing = currencies.filter((c) => c !== basis.baseCurrency && !rated.has(c));
  if (missing.length > 0) {
    throw new CoalitionError(
      ErrorCode.FX_RATE_MISSING,
      `This cycle settles in ${missing.join(', ')} beside ${basis.baseCurrency}: give an exchange rate for each.`,
      { currencies: missing },
    );
  }
}

/**
 * The operator's side: per currency, the mirror of every partner line kind (rounded from the exact
 * total across partners) and a ROUNDING line with what per-partner rounding left over, so its
 * lines add up to its net; its net is minus the partners' nets, so every currency sums to zero.
 */
async function writeOperatorLinesAndPositions(
  manager: EntityManager,
  cycleId: string,
): Promise<NetPosition[]> {
  await manager.query(
    `INSERT INTO cycle_position (cycle_id, party, currency, net_minor)
     SELECT $1, party, currency, sum(amount_minor) FROM statement_line WHERE cycle_id = $1 GROUP BY party, currency`,
    [cycleId],
  );
  await manager.query(
    `INSERT INTO cycle_position (cycle_id, party, currency, net_minor)
     SELECT $1, '${OPERATOR}', currency, -sum(net_minor) FROM cycle_position WHERE cycle_id = $1 GROUP BY currency`,
    [cycleId],
  );
  await manager.query(SQL.operatorLines, [cycleId]);
  const rows: { party: string; currency: string; net_minor: string }[] = await manager.query(
    'SELECT party, currency, net_minor FROM cycle_position WHERE cycle_id = $1',
    [cycleId],
  );
  return rows.map((r) => ({
    party: r.party,
    currency: r.currency.trim(),
    net: BigInt(r.net_minor),
  }));
}

/** The payments, in the order netting gave them (their seq), in one statement. */
async function writePaymentInstructions(
  manager: EntityManager,
  cycleId: string,
  instructions: readonly PaymentInstruction[],
): Promise<void> {
  if (instructions.length === 0) return;
  await manager.query(
    `INSERT INTO payment_instruction (cycle_id, seq, currency, payer, payee, amount_minor)
     SELECT $1, seq, currency, payer, payee, amount
       FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY AS p (currency, payer, payee, amount, seq)`,
    [
      cycleId,
      instructions.map((p) => p.currency),
      instructions.map((p) => p.payer),
      instructions.map((p) => p.payee),
      instructions.map((p) => p.amount.toString()),
    ],
  );
}

/**
 * The liability matrix, summed with the journal, written last: tests that interrupt a close hold
 * this table's lock to stop it once everything else is written.
 */
async function writeLiabilityMatrix(manager: EntityManager): Promise<void> {
  await manager.query(SQL.liabilityMatrix);
}
