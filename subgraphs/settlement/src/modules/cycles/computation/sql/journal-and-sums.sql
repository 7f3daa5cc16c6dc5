-- The journal, and the sums of its entries as they are written (the partners' lines, the
-- liability cells), in one statement: the entries go once from the items into the journal and,
-- through the statement's own tuple store (on disk past work_mem), into the sums. Reading them
-- back from the journal table instead costs another pass over the cycle's entries, planned badly
-- besides: the table's statistics do not know this cycle yet, so the planner takes it for empty
-- and sorts and hashes millions of rows it expected to be a handful.
-- $1..$4: the range; $5: the cycle.
WITH originals AS MATERIALIZED ({{originals}}),
--
-- entries: the money journal, two legs per item at most, each entry one debit and one credit of
-- the same exact amount (micros): double entry by construction. Accounts: partner:<id> (what the
-- operator owes the partner, or is owed), operator:float (the money behind outstanding points),
-- operator:fees, operator:breakage.
--
-- Legs, per item: leg 0 the item's own value (a breakage item: the issuer's share of it, rounded
-- once, half away from zero), signed -1 where the partner pays (an issuance, a redemption
-- reversed), 1 where it is paid; leg 1 the fee on an issuance or a redemption (the
-- per-transaction fee on the transaction's first item only), or the operator's part of a
-- breakage (sign 0: no partner's money). A leg of amount zero is not written. The original cycle
-- of a reversal is the closed cycle whose range holds the original (none when the original is in
-- this cycle, or was never taken in).
--
-- One streamed pass: each priced item is joined with the two leg numbers and goes straight into
-- the journal, in position order, so the primary key is appended to. (Not a lateral VALUES list
-- of the legs' expressions: Postgres compiles those again for every row.)
entries AS (
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
             CASE WHEN l.leg = 0 THEN (CASE WHEN p.kind = 'BREAKAGE' THEN round(p.value_micros::numeric * p.breakage_share_bps / 10000)::bigint ELSE p.value_micros END)
                  WHEN p.kind IN ('ISSUANCE', 'REDEMPTION')
                    THEN (CASE WHEN p.n = 0 THEN p.fee_per_transaction_minor * 1000000 ELSE 0 END) + p.points * p.fee_per_point_micros
                         + round(p.value_micros::numeric * p.fee_rate_bps / 10000)::bigint
                  WHEN p.kind = 'BREAKAGE' THEN p.value_micros - round(p.value_micros::numeric * p.breakage_share_bps / 10000)::bigint END AS amount,
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
            FROM ({{pricedItems}}) i
            JOIN contract_version c
              ON c.partner_id = i.partner_id AND c.effective_from <= i.priced_at AND (c.effective_to IS NULL OR c.effective_to > i.priced_at)
        ) p
       CROSS JOIN (VALUES (0), (1)) AS l (leg)
    ) e
   WHERE e.amount > 0
  RETURNING partner_id, issuer_partner_id, currency, kind, leg, original_cycle_id, partner_sign, amount_micros, points, priced_at
),
--
-- lines: each partner's lines, from the entries: grouped by kind, and by the earlier cycle a
-- reversal corrects; each line rounded once from its exact total.
lines AS (
  INSERT INTO statement_line (cycle_id, party, currency, line_no, kind, original_cycle_id, adjustment_id, entries, points, exact_micros, amount_minor)
  SELECT $5, partner_id::text, currency,
         row_number() OVER (PARTITION BY partner_id, currency ORDER BY array_position({{lineKindOrder}}, kind), original_cycle_id NULLS FIRST),
         kind, original_cycle_id, NULL, count(*), sum(points), sum(partner_sign * amount_micros), round(sum(partner_sign * amount_micros)::numeric / 1000000)::bigint
    FROM entries WHERE partner_sign <> 0
   GROUP BY partner_id, currency, kind, original_cycle_id
)
--
-- The gross inter-company matrix, from the entries: for every issuer and redeemer, the points one
-- issued and the other redeemed this cycle, valued under the redeemer's contract (what it is
-- paid) and under the issuer's (what the issuer paid for them, at its price when they were
-- redeemed). Waits in pending-cells.sql's table until liability-matrix.sql writes it, last.
INSERT INTO pg_temp.cycle_liability_cells (cycle_id, issuer, redeemer, points, redeemer_currency, redeemer_amount_minor, issuer_currency, issuer_amount_minor)
SELECT $5::uuid, coalesce(j.issuer_partner_id::text, '{{operator}}'), j.partner_id, sum(j.points), j.currency, round(sum(j.amount_micros)::numeric / 1000000)::bigint,
       ic.currency, round(sum(j.points * ic.issuance_price_micros)::numeric / 1000000)::bigint
  FROM entries j
  LEFT JOIN contract_version ic
    ON ic.partner_id = j.issuer_partner_id AND ic.effective_from <= j.priced_at AND (ic.effective_to IS NULL OR ic.effective_to > j.priced_at)
 WHERE j.kind = 'REDEMPTION' AND j.leg = 0
 GROUP BY j.issuer_partner_id, j.partner_id, j.currency, ic.currency
