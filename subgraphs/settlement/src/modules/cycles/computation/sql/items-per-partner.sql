-- The range's items per partner, with the first time one of them is priced at that no contract
-- version covers: one pass, before anything is written, so a close refuses early.
--
-- The contract version in effect for a partner at a time (here and in every statement of the
-- computation) is at most one, as the exclusion constraint contract_version_no_overlap
-- guarantees, so joining on it never multiplies rows. A plain join (not a lateral subquery per
-- row) lets the planner hash the few contract versions once.
-- $1..$4: the range.
WITH originals AS MATERIALIZED ({{originals}})
SELECT i.partner_id, count(*) AS items, min(i.priced_at) FILTER (WHERE c.id IS NULL) AS first_uncovered
  FROM ({{pricedItems}}) i
  LEFT JOIN contract_version c
    ON c.partner_id = i.partner_id AND c.effective_from <= i.priced_at AND (c.effective_to IS NULL OR c.effective_to > i.priced_at)
 GROUP BY i.partner_id ORDER BY i.partner_id
