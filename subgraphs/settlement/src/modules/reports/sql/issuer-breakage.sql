-- The breakage closed cycles settled, per issuer and currency: its share and the operator's,
-- each rounded once from the exact journal total.
SELECT j.issuer_partner_id::text AS issuer, j.currency,
       round(coalesce(sum(j.amount_micros) FILTER (WHERE j.kind = 'BREAKAGE_SHARE'), 0) / 1000000.0)::bigint AS partner_share,
       round(coalesce(sum(j.amount_micros) FILTER (WHERE j.kind = 'BREAKAGE_OPERATOR'), 0) / 1000000.0)::bigint AS operator_share
  FROM journal_entry j JOIN settlement_cycle c ON c.id = j.cycle_id AND c.status <> 'DRAFT' AND c.number IS NOT NULL
 WHERE j.kind IN ('BREAKAGE_SHARE', 'BREAKAGE_OPERATOR')
 GROUP BY j.issuer_partner_id, j.currency
