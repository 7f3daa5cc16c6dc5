import type { EntityManager } from 'typeorm';
import { assert, CoalitionError, ErrorCode } from '@coalition/shared/errors';
import {
  OPERATOR,
  paymentInstructions,
  type NetPosition,
  type PaymentInstruction,
  type SettlementModel,
} from '../journal/netting';
import { parseRate, type FxRate } from '../journal/money';

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
const KIND_ORDER = `ARRAY['${LINE_KINDS.join("','")}']`;

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

/**
 * The transactions the range's reversals reverse, each with its first item (tx_id, seq, n order):
 * the time it was priced at and its position. Found in uuid order through
 * settlement_item_transaction_first, so the probes walk that index once from left to right
 * instead of jumping about it (once it outgrows memory, each jump is a read); the reversals
 * themselves come from the small settlement_item_reversal index, not a scan of the range.
 */
const ORIGINALS = `
  SELECT r.original_transaction_id AS transaction_id, o.at, o.tx_id, o.seq
    FROM (SELECT DISTINCT original_transaction_id FROM settlement_item
           WHERE original_transaction_id IS NOT NULL
             AND (tx_id, seq) > ($1::numeric, $2::bigint) AND (tx_id, seq) <= ($3::numeric, $4::bigint)
           ORDER BY original_transaction_id) r
    CROSS JOIN LATERAL (
      SELECT at, tx_id, seq FROM settlement_item WHERE transaction_id = r.original_transaction_id ORDER BY tx_id, seq, n LIMIT 1
    ) o`;

/**
 * The items of the range, each priced at its own time (a reversal: at its original's time; a
 * reversal of a transaction never taken in, at its own). Needs ORIGINALS as `originals`.
 */
const PRICED_ITEMS = `
  SELECT i.tx_id, i.seq, i.n, i.kind, i.transaction_id, i.original_transaction_id, i.partner_id, i.issuer_partner_id, i.points,
         coalesce(o.at, i.at) AS priced_at, o.tx_id AS original_tx, o.seq AS original_seq
    FROM settlement_item i
    LEFT JOIN originals o ON o.transaction_id = i.original_transaction_id
   WHERE (i.tx_id, i.seq) > ($1::numeric, $2::bigint) AND (i.tx_id, i.seq) <= ($3::numeric, $4::bigint)`;

/**
 * The contract version in effect for a partner at a time: at most one, as the exclusion
 * constraint contract_version_no_overlap guarantees, so joining on it never multiplies rows. A
 * plain join (not a lateral subquery per row) lets the planner hash the few contract versions once.
 */
const CONTRACT_AT = (c: string, partner: string, at: string) =>
  `${c}.partner_id = ${partner} AND ${c}.effective_from <= ${at} AND (${c}.effective_to IS NULL OR ${c}.effective_to > ${at})`;

/**
 * Counts the range's items, refusing the close when any of them has no contract in effect at the
 * time it is priced at: one pass, grouped by partner, before anything is written.
 */
async function countItemsAssertingContracts(
  manager: EntityManager,
  range: readonly string[],
): Promise<number> {
  const partners: { partner_id: string; items: string; first_uncovered: Date | null }[] =
    await manager.query(
      `WITH originals AS MATERIALIZED (${ORIGINALS})
     SELECT i.partner_id, count(*) AS items, min(i.priced_at) FILTER (WHERE c.id IS NULL) AS first_uncovered
       FROM (${PRICED_ITEMS}) i
       LEFT JOIN contract_version c ON ${CONTRACT_AT('c', 'i.partner_id', 'i.priced_at')}
      GROUP BY i.partner_id ORDER BY i.partner_id`,
      range,
    );
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

/** A breakage item's share for its issuer, rounded once (half away from zero). */
const SHARE_MICROS = 'round(p.value_micros::numeric * p.breakage_share_bps / 10000)::bigint';

/**
 * The money journal, two legs per item at most, each entry one debit and one credit of the same
 * exact amount (micros): double entry by construction. Accounts: partner:<id> (what the operator
 * owes the partner, or is owed), operator:float (the money behind outstanding points),
 * operator:fees, operator:breakage.
 *
 * Legs, per item: leg 0 the item's own value (a breakage item: the issuer's share of it), signed
 * -1 where the partner pays (an issuance, a redemption reversed), 1 where it is paid; leg 1 the fee
 * on an issuance or a redemption (the per-transaction fee on the transaction's first item only),
 * or the operator's part of a breakage (sign 0: no partner's money). A leg of amount zero is not
 * written. The original cycle of a reversal is the closed cycle whose range holds the original
 * (none when the original is in this cycle, or was never taken in).
 *
 * One streamed pass: each priced item is joined with the two leg numbers and goes straight into
 * the journal, in position order, so the primary key is appended to. (Not a lateral VALUES list
 * of the legs' expressions: Postgres compiles those again for every row.) $1..$4 the range, $5
 * the cycle.
 */
const JOURNAL_INSERT = `
  INSERT INTO journal_entry (cycle_id, tx_id, seq, n, leg, kind, transaction_id, original_transaction_id, original_cycle_id, partner_id, issuer_partner_id,
                             debit_account, credit_account, currency, points, amount_micros, partner_sign, contract_version_id, priced_at)
  SELECT $5, e.tx_id, e.seq, e.n, e.leg, e.entry_kind, e.transaction_id, e.original_transaction_id, e.original_cycle_id, e.partner_id, e.issuer_partner_id,
         CASE WHEN e.sign = -1 THEN 'partner:' || e.partner_id ELSE 'operator:float' END,
         CASE WHEN e.sign = 1 THEN 'partner:' || e.partner_id WHEN e.entry_kind = 'FEE' THEN 'operator:fees' WHEN e.entry_kind = 'BREAKAGE_OPERATOR' THEN 'operator:breakage' ELSE 'operator:float' END,
         e.currency, e.points, e.amount, e.sign, e.contract_id, e.priced_at
    FROM (
      SELECT p.*, l.leg,
             CASE WHEN l.leg = 0 THEN (CASE WHEN p.kind = 'BREAKAGE' THEN 'BREAKAGE_SHARE' ELSE p.kind END)
                  WHEN p.kind = 'BREAKAGE' THEN 'BREAKAGE_OPERATOR' ELSE 'FEE' END AS entry_kind,
             CASE WHEN l.leg = 0 THEN (CASE WHEN p.kind = 'BREAKAGE' THEN ${SHARE_MICROS} ELSE p.value_micros END)
                  WHEN p.kind IN ('ISSUANCE', 'REDEMPTION')
                    THEN (CASE WHEN p.n = 0 THEN p.fee_per_transaction_minor * 1000000 ELSE 0 END) + p.points * p.fee_per_point_micros
                         + round(p.value_micros::numeric * p.fee_rate_bps / 10000)::bigint
                  WHEN p.kind = 'BREAKAGE' THEN p.value_micros - ${SHARE_MICROS} END AS amount,
             CASE WHEN l.leg = 0 THEN (CASE p.kind WHEN 'ISSUANCE' THEN -1 WHEN 'REDEMPTION_REVERSAL' THEN -1 ELSE 1 END)
                  WHEN p.kind = 'BREAKAGE' THEN 0 ELSE -1 END AS sign
        FROM (
          SELECT i.*, c.id AS contract_id, c.currency, c.fee_per_transaction_minor, c.fee_per_point_micros, c.fee_rate_bps, c.breakage_share_bps,
                 i.points * CASE WHEN i.kind IN ('REDEMPTION', 'REDEMPTION_REVERSAL') THEN c.redemption_rate_micros ELSE c.issuance_price_micros END AS value_micros,
                 CASE WHEN i.original_tx IS NOT NULL THEN (
                   SELECT sc.id FROM settlement_cycle sc
                    WHERE (i.original_tx, i.original_seq) <= ($1::numeric, $2::bigint)
                      AND sc.status <> 'DRAFT' AND sc.number IS NOT NULL
                      AND (i.original_tx, i.original_seq) > (sc.from_tx, sc.from_seq) AND (i.original_tx, i.original_seq) <= (sc.cutoff_tx, sc.cutoff_seq)) END AS original_cycle_id
            FROM (${PRICED_ITEMS}) i
            JOIN contract_version c ON ${CONTRACT_AT('c', 'i.partner_id', 'i.priced_at')}
        ) p
       CROSS JOIN (VALUES (0), (1)) AS l (leg)
    ) e
   WHERE e.amount > 0
  RETURNING partner_id, issuer_partner_id, currency, kind, leg, original_cycle_id, partner_sign, amount_micros, points, priced_at`;

/**
 * Each partner's lines, from the journal entries of the cycle (`entries`): grouped by kind, and by
 * the earlier cycle a reversal corrects; each line rounded once from its exact total.
 */
const PARTNER_LINES_FROM = (entries: string, cycleId: string) => `
  INSERT INTO statement_line (cycle_id, party, currency, line_no, kind, original_cycle_id, adjustment_id, entries, points, exact_micros, amount_minor)
  SELECT ${cycleId}, partner_id::text, currency,
         row_number() OVER (PARTITION BY partner_id, currency ORDER BY array_position(${KIND_ORDER}, kind), original_cycle_id NULLS FIRST),
         kind, original_cycle_id, NULL, count(*), sum(points), sum(partner_sign * amount_micros), round(sum(partner_sign * amount_micros)::numeric / 1000000)::bigint
    FROM ${entries} WHERE partner_sign <> 0
   GROUP BY partner_id, currency, kind, original_cycle_id`;

/**
 * The gross inter-company matrix, from the journal entries of the cycle (`entries`): for every
 * issuer and redeemer, the points one issued and the other redeemed this cycle, valued under the
 * redeemer's contract (what it is paid) and under the issuer's (what the issuer paid for them, at
 * its price when they were redeemed).
 */
const LIABILITY_CELLS_FROM = (entries: string, cycleId: string) => `
  SELECT ${cycleId}::uuid, coalesce(j.issuer_partner_id::text, '${OPERATOR}'), j.partner_id, sum(j.points), j.currency, round(sum(j.amount_micros)::numeric / 1000000)::bigint,
         ic.currency, round(sum(j.points * ic.issuance_price_micros)::numeric / 1000000)::bigint
    FROM ${entries} j
    LEFT JOIN contract_version ic ON ${CONTRACT_AT('ic', 'j.issuer_partner_id', 'j.priced_at')}
   WHERE j.kind = 'REDEMPTION' AND j.leg = 0
   GROUP BY j.issuer_partner_id, j.partner_id, j.currency, ic.currency`;

/**
 * Where the liability cells wait, summed with the journal, until they are written last; dropped
 * at the transaction's end. Its own columns, not LIKE liability_cell: that would take a lock on
 * liability_cell before the journal is written, and writing it last is the point.
 */
const PENDING_CELLS = 'cycle_liability_cells';
const CELL_COLUMNS =
  'cycle_id, issuer, redeemer, points, redeemer_currency, redeemer_amount_minor, issuer_currency, issuer_amount_minor';

/**
 * The journal, and the sums of its entries as they are written (the partners' lines, the
 * liability cells), in one statement: the entries go once from the items into the journal and,
 * through the statement's own tuple store (on disk past work_mem), into the sums. Reading them
 * back from the journal table instead costs another pass over the cycle's entries, planned badly
 * besides: the table's statistics do not know this cycle yet, so the planner takes it for empty
 * and sorts and hashes millions of rows it expected to be a handful.
 */
async function writeJournalAndSums(
  manager: EntityManager,
  cycleId: string,
  range: readonly string[],
): Promise<void> {
  await manager.query(
    `CREATE TEMP TABLE ${PENDING_CELLS} (cycle_id uuid, issuer text, redeemer uuid, points bigint, redeemer_currency char(3), redeemer_amount_minor bigint,
                                         issuer_currency char(3), issuer_amount_minor bigint) ON COMMIT DROP`,
  );
  await manager.query(
    `WITH originals AS MATERIALIZED (${ORIGINALS}),
          entries AS (${JOURNAL_INSERT}),
          lines AS (${PARTNER_LINES_FROM('entries', '$5')})
     INSERT INTO pg_temp.${PENDING_CELLS} (${CELL_COLUMNS}) ${LIABILITY_CELLS_FROM('entries', '$5')}`,
    [...range, cycleId],
  );
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
  await manager.query(
    `WITH mirrored AS (
       SELECT currency, kind, sum(entries) AS entries, sum(points) AS points, -sum(exact_micros) AS exact_micros, round(-sum(exact_micros) / 1000000)::bigint AS amount_minor
         FROM statement_line WHERE cycle_id = $1 GROUP BY currency, kind
     ), rounding AS (
       SELECT m.currency, 'ROUNDING' AS kind, 0 AS entries, 0 AS points, 0 AS exact_micros, p.net_minor - sum(m.amount_minor) AS amount_minor
         FROM mirrored m JOIN cycle_position p ON p.cycle_id = $1 AND p.party = '${OPERATOR}' AND p.currency = m.currency
        GROUP BY m.currency, p.net_minor
     )
     INSERT INTO statement_line (cycle_id, party, currency, line_no, kind, original_cycle_id, adjustment_id, entries, points, exact_micros, amount_minor)
     SELECT $1, '${OPERATOR}', currency, row_number() OVER (PARTITION BY currency ORDER BY array_position(${KIND_ORDER}, kind)), kind, NULL, NULL, entries, points, exact_micros, amount_minor
       FROM (SELECT * FROM mirrored UNION ALL SELECT * FROM rounding WHERE amount_minor <> 0) lines`,
    [cycleId],
  );
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
  await manager.query(
    `INSERT INTO liability_cell (${CELL_COLUMNS}) SELECT ${CELL_COLUMNS} FROM pg_temp.${PENDING_CELLS}`,
  );
}
