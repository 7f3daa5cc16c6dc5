import type { EntityManager } from 'typeorm';
import { CoalitionError, ErrorCode } from '@coalition/shared/errors';
import { OPERATOR, paymentInstructions, type NetPosition, type SettlementModel } from '../journal/netting';
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
export const LINE_KINDS = ['ISSUANCE', 'ISSUANCE_REVERSAL', 'REDEMPTION', 'REDEMPTION_REVERSAL', 'BREAKAGE_SHARE', 'FEE', 'ADJUSTMENT', 'ROUNDING'] as const;
const KIND_ORDER = `ARRAY['${LINE_KINDS.join("','")}']`;

const split = (position: string) => {
  const [tx, seq] = position.split('.');
  return [tx!, seq!] as const;
};

/**
 * Computes a cycle from its basis into the cycle's rows (journal, statement lines, positions,
 * payment instructions, liability matrix), set-based inside the caller's transaction, so nothing
 * is ever half-written and memory stays flat however many facts the cycle holds. Deterministic:
 * the same basis gives the same rows, which is what recomputing a closed cycle checks.
 */
export async function computeCycle(manager: EntityManager, basis: CycleBasis): Promise<ComputedCycle> {
  const [fromTx, fromSeq] = split(basis.fromPosition);
  const [cutTx, cutSeq] = split(basis.cutoffPosition);
  const range = [fromTx, fromSeq, cutTx, cutSeq];
  await assertContracts(manager, range);
  const journaled = await writeJournal(manager, basis.cycleId, range);
  await writePartnerLines(manager, basis);
  const currencies = await currenciesOf(manager, basis.cycleId);
  assertFxRates(basis, currencies);
  const positions = await writeOperatorLinesAndPositions(manager, basis.cycleId);
  const instructions = paymentInstructions(basis.model, positions);
  for (const [i, p] of instructions.entries()) {
    await manager.query('INSERT INTO payment_instruction (cycle_id, seq, currency, payer, payee, amount_minor) VALUES ($1, $2, $3, $4, $5, $6)', [basis.cycleId, i + 1, p.currency, p.payer, p.payee, p.amount.toString()]);
  }
  await writeLiabilityMatrix(manager, basis.cycleId);
  return { items: journaled, currencies };
}

/** The items of the range, each priced at its own time (a reversal: at its original's time). */
const PRICED_ITEMS = `
  SELECT i.tx_id, i.seq, i.n, i.kind, i.transaction_id, i.original_transaction_id, i.partner_id, i.issuer_partner_id, i.points,
         coalesce(o.at, i.at) AS priced_at, o.tx_id AS original_tx, o.seq AS original_seq
    FROM settlement_item i
    LEFT JOIN LATERAL (
      SELECT at, tx_id, seq FROM settlement_item WHERE transaction_id = i.original_transaction_id ORDER BY tx_id, seq, n LIMIT 1
    ) o ON i.original_transaction_id IS NOT NULL
   WHERE (i.tx_id, i.seq) > ($1::numeric, $2::bigint) AND (i.tx_id, i.seq) <= ($3::numeric, $4::bigint)`;

const CONTRACT_AT = (partner: string, at: string) => `
  SELECT * FROM contract_version c
   WHERE c.partner_id = ${partner} AND c.effective_from <= ${at} AND (c.effective_to IS NULL OR c.effective_to > ${at})`;

async function assertContracts(manager: EntityManager, range: readonly string[]): Promise<void> {
  const missing: { partner_id: string; first_at: Date }[] = await manager.query(
    `SELECT i.partner_id, min(i.priced_at) AS first_at
       FROM (${PRICED_ITEMS}) i
      WHERE NOT EXISTS (${CONTRACT_AT('i.partner_id', 'i.priced_at')})
      GROUP BY i.partner_id ORDER BY i.partner_id LIMIT 20`,
    range,
  );
  if (missing.length > 0) {
    throw new CoalitionError(ErrorCode.CONTRACT_MISSING, 'Some partners have no contract in effect for points in this cycle: set their contracts, then close again.', {
      partners: missing.map((m) => ({ partnerId: m.partner_id, from: m.first_at.toISOString() })),
    });
  }
}

/**
 * The money journal, two legs per item at most, each entry one debit and one credit of the same
 * exact amount (micros): double entry by construction. Accounts: partner:<id> (what the operator
 * owes the partner, or is owed), operator:float (the money behind outstanding points),
 * operator:fees, operator:breakage.
 */
async function writeJournal(manager: EntityManager, cycleId: string, range: readonly string[]): Promise<number> {
  const rows: { items: string }[] = await manager.query(
    `WITH priced AS (
       SELECT i.*, c.id AS contract_id, c.currency, c.fee_per_transaction_minor, c.fee_per_point_micros, c.fee_rate_bps, c.breakage_share_bps,
              i.points * CASE WHEN i.kind IN ('REDEMPTION', 'REDEMPTION_REVERSAL') THEN c.redemption_rate_micros ELSE c.issuance_price_micros END AS value_micros,
              (SELECT sc.id FROM settlement_cycle sc
                WHERE i.original_tx IS NOT NULL AND (i.original_tx, i.original_seq) <= ($1::numeric, $2::bigint)
                  AND sc.status <> 'DRAFT' AND sc.number IS NOT NULL
                  AND (i.original_tx, i.original_seq) > (sc.from_tx, sc.from_seq) AND (i.original_tx, i.original_seq) <= (sc.cutoff_tx, sc.cutoff_seq)) AS original_cycle_id
         FROM (${PRICED_ITEMS}) i
         JOIN LATERAL (${CONTRACT_AT('i.partner_id', 'i.priced_at')}) c ON true
     ), legs AS (
       SELECT p.*, 0 AS leg,
              CASE WHEN kind = 'BREAKAGE' THEN 'BREAKAGE_SHARE' ELSE kind END AS entry_kind,
              CASE kind WHEN 'BREAKAGE' THEN round(value_micros::numeric * breakage_share_bps / 10000)::bigint ELSE value_micros END AS amount,
              CASE kind WHEN 'ISSUANCE' THEN -1 WHEN 'REDEMPTION_REVERSAL' THEN -1 ELSE 1 END AS sign
         FROM priced p
       UNION ALL
       SELECT p.*, 1, 'FEE',
              (CASE WHEN n = 0 THEN fee_per_transaction_minor * 1000000 ELSE 0 END) + points * fee_per_point_micros
                + round(value_micros::numeric * fee_rate_bps / 10000)::bigint,
              -1
         FROM priced p WHERE kind IN ('ISSUANCE', 'REDEMPTION')
       UNION ALL
       SELECT p.*, 1, 'BREAKAGE_OPERATOR', value_micros - round(value_micros::numeric * breakage_share_bps / 10000)::bigint, 0
         FROM priced p WHERE kind = 'BREAKAGE'
     ), inserted AS (
       INSERT INTO journal_entry (cycle_id, tx_id, seq, n, leg, kind, transaction_id, original_transaction_id, original_cycle_id, partner_id, issuer_partner_id,
                                  debit_account, credit_account, currency, points, amount_micros, partner_sign, contract_version_id, priced_at)
       SELECT $5, tx_id, seq, n, leg, entry_kind, transaction_id, original_transaction_id, original_cycle_id, partner_id, issuer_partner_id,
              CASE WHEN sign = -1 THEN 'partner:' || partner_id ELSE 'operator:float' END,
              CASE WHEN sign = 1 THEN 'partner:' || partner_id WHEN entry_kind = 'FEE' THEN 'operator:fees' WHEN entry_kind = 'BREAKAGE_OPERATOR' THEN 'operator:breakage' ELSE 'operator:float' END,
              currency, points, amount, sign, contract_id, priced_at
         FROM legs WHERE amount > 0
       RETURNING leg
     )
     SELECT (SELECT count(*) FROM priced) AS items, (SELECT count(*) FROM inserted) AS entries`,
    [...range, cycleId],
  );
  return Number(rows[0]?.items ?? 0);
}

/** Each partner's lines: its journal entries grouped by kind (and by the earlier cycle a reversal corrects), plus pending adjustments. */
async function writePartnerLines(manager: EntityManager, basis: CycleBasis): Promise<void> {
  await manager.query(
    `INSERT INTO statement_line (cycle_id, party, currency, line_no, kind, original_cycle_id, adjustment_id, entries, points, exact_micros, amount_minor)
     SELECT $1, partner_id::text, currency,
            row_number() OVER (PARTITION BY partner_id, currency ORDER BY array_position(${KIND_ORDER}, kind), original_cycle_id NULLS FIRST),
            kind, original_cycle_id, NULL, count(*), sum(points), sum(partner_sign * amount_micros), round(sum(partner_sign * amount_micros)::numeric / 1000000)::bigint
       FROM journal_entry WHERE cycle_id = $1 AND partner_sign <> 0
      GROUP BY partner_id, currency, kind, original_cycle_id`,
    [basis.cycleId],
  );
  const adjustments: { id: string; partner_id: string; currency: string; amount_minor: string }[] =
    basis.adjustments === 'pending'
      ? await manager.query('SELECT id, partner_id, currency, amount_minor FROM settlement_adjustment WHERE applied_cycle_id IS NULL ORDER BY created_at, id FOR UPDATE')
      : await manager.query('SELECT id, partner_id, currency, amount_minor FROM settlement_adjustment WHERE applied_cycle_id = $1 ORDER BY created_at, id', [basis.adjustments.appliedIn]);
  for (const a of adjustments) {
    await manager.query(
      `INSERT INTO statement_line (cycle_id, party, currency, line_no, kind, original_cycle_id, adjustment_id, entries, points, exact_micros, amount_minor)
       SELECT $1, $2, $3, coalesce(max(line_no), 0) + 1, 'ADJUSTMENT', NULL, $4, 1, 0, $5::numeric * 1000000, $5
         FROM statement_line WHERE cycle_id = $1 AND party = $2 AND currency = $3`,
      [basis.cycleId, a.partner_id, a.currency, a.id, a.amount_minor],
    );
    if (basis.adjustments === 'pending') await manager.query('UPDATE settlement_adjustment SET applied_cycle_id = $2 WHERE id = $1', [a.id, basis.cycleId]);
  }
}

async function currenciesOf(manager: EntityManager, cycleId: string): Promise<string[]> {
  const rows: { currency: string }[] = await manager.query('SELECT DISTINCT currency FROM statement_line WHERE cycle_id = $1 ORDER BY currency', [cycleId]);
  return rows.map((r) => r.currency.trim());
}

function assertFxRates(basis: CycleBasis, currencies: readonly string[]): void {
  const rated = new Set(basis.fxRates.filter((r) => parseRate(r.rate)).map((r) => r.currency));
  const missing = currencies.filter((c) => c !== basis.baseCurrency && !rated.has(c));
  if (missing.length > 0) {
    throw new CoalitionError(ErrorCode.FX_RATE_MISSING, `This cycle settles in ${missing.join(', ')} beside ${basis.baseCurrency}: give an exchange rate for each.`, { currencies: missing });
  }
}

/**
 * The operator's side: per currency, the mirror of every partner line kind (rounded from the exact
 * total across partners) and a ROUNDING line with what per-partner rounding left over, so its
 * lines add up to its net; its net is minus the partners' nets, so every currency sums to zero.
 */
async function writeOperatorLinesAndPositions(manager: EntityManager, cycleId: string): Promise<NetPosition[]> {
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
  const rows: { party: string; currency: string; net_minor: string }[] = await manager.query('SELECT party, currency, net_minor FROM cycle_position WHERE cycle_id = $1', [cycleId]);
  return rows.map((r) => ({ party: r.party, currency: r.currency.trim(), net: BigInt(r.net_minor) }));
}

/**
 * The gross inter-company matrix: for every issuer and redeemer, the points one issued and the
 * other redeemed this cycle, valued under the redeemer's contract (what it is paid) and under the
 * issuer's (what the issuer paid for them, at its price when they were redeemed).
 */
async function writeLiabilityMatrix(manager: EntityManager, cycleId: string): Promise<void> {
  await manager.query(
    `INSERT INTO liability_cell (cycle_id, issuer, redeemer, points, redeemer_currency, redeemer_amount_minor, issuer_currency, issuer_amount_minor)
     SELECT $1, coalesce(j.issuer_partner_id::text, '${OPERATOR}'), j.partner_id, sum(j.points), j.currency, round(sum(j.amount_micros)::numeric / 1000000)::bigint,
            ic.currency, round(sum(j.points * ic.issuance_price_micros)::numeric / 1000000)::bigint
       FROM journal_entry j
       LEFT JOIN LATERAL (${CONTRACT_AT('j.issuer_partner_id', 'j.priced_at')}) ic ON true
      WHERE j.cycle_id = $1 AND j.kind = 'REDEMPTION' AND j.leg = 0
      GROUP BY j.issuer_partner_id, j.partner_id, j.currency, ic.currency`,
    [cycleId],
  );
}
