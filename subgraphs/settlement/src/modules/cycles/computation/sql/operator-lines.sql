-- The operator's lines, per currency: the mirror of every partner line kind, per original cycle
-- for reversals as on the partners' statements (rounded from the exact total across partners), and
-- a ROUNDING line with what per-partner rounding left over, so its lines add up to its net
-- (already in cycle_position: minus the partners' nets).
-- $1: the cycle.
WITH mirrored AS (
  SELECT currency, kind, original_cycle_id, sum(entries) AS entries, sum(points) AS points, -sum(exact_micros) AS exact_micros, round(-sum(exact_micros) / 1000000)::bigint AS amount_minor
    FROM statement_line WHERE cycle_id = $1 GROUP BY currency, kind, original_cycle_id
), rounding AS (
  SELECT m.currency, 'ROUNDING' AS kind, NULL::uuid AS original_cycle_id, 0 AS entries, 0 AS points, 0 AS exact_micros, p.net_minor - sum(m.amount_minor) AS amount_minor
    FROM mirrored m JOIN cycle_position p ON p.cycle_id = $1 AND p.party = '{{operator}}' AND p.currency = m.currency
   GROUP BY m.currency, p.net_minor
)
INSERT INTO statement_line (cycle_id, party, currency, line_no, kind, original_cycle_id, adjustment_id, entries, points, exact_micros, amount_minor)
SELECT $1, '{{operator}}', currency, row_number() OVER (PARTITION BY currency ORDER BY array_position({{lineKindOrder}}, kind), original_cycle_id NULLS FIRST), kind, original_cycle_id, NULL, entries, points, exact_micros, amount_minor
  FROM (SELECT * FROM mirrored UNION ALL SELECT * FROM rounding WHERE amount_minor <> 0) lines
