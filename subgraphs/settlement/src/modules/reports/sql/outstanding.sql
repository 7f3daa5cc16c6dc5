-- Outstanding points by issuer and age bucket, valued at each issuer's price in effect at $1.
-- A lot's points outstanding are the sum of its flows; its issuer is its first flow's; its age is
-- counted in whole days from its first flow to $1. The operator's (goodwill) lots have no issuer.
-- {{ageBucket}}: the CASE arms numbering the buckets (AGE_BUCKETS); {{operator}}: the operator's party.
WITH lots AS (
  SELECT lot_id, sum(points) AS points,
         (array_agg(issuer_partner_id ORDER BY tx_id, seq, n))[1] AS issuer,
         floor(extract(epoch FROM ($1::timestamptz - min(at))) / 86400)::int AS age_days
    FROM lot_flow GROUP BY lot_id HAVING sum(points) <> 0
), bucketed AS (
  SELECT coalesce(issuer::text, '{{operator}}') AS issuer, issuer AS issuer_id, CASE {{ageBucket}} ELSE 0 END AS bucket, count(*) AS lots, sum(points) AS points
    FROM lots GROUP BY 1, 2, 3
)
SELECT b.issuer, b.bucket, b.lots, b.points, c.currency, round(b.points * c.issuance_price_micros / 1000000.0)::bigint AS amount
  FROM bucketed b
  LEFT JOIN contract_version c ON c.partner_id = b.issuer_id AND c.effective_from <= $1 AND (c.effective_to IS NULL OR c.effective_to > $1)
 ORDER BY b.issuer, b.bucket
