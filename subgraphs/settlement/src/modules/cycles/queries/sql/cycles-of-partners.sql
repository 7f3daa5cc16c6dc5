-- The cycles each partner has a statement in, newest first, one page per partner, for all the
-- partners of a request in one read.
-- $1: the partners; $2, $3: the keyset to continue after (opened_at, id), or nulls; $4: rows per
-- partner.
SELECT * FROM (
  SELECT s.partner_id, c.*, row_number() OVER (PARTITION BY s.partner_id ORDER BY c.opened_at DESC, c.id DESC) AS n
    FROM partner_statement s JOIN settlement_cycle c ON c.id = s.cycle_id
   WHERE s.partner_id = ANY($1::uuid[])
     AND ($2::timestamptz IS NULL OR (c.opened_at, c.id) < ($2::timestamptz, $3::uuid))
) ranked
WHERE n <= $4 ORDER BY partner_id, opened_at DESC, id DESC
