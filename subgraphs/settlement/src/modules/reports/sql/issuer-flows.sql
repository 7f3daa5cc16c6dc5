-- Per issuer (the operator for its own lots), its points by what happened to them: issued (earned
-- or credited), redeemed net of burn refunds, expired, clawed back (purchase refunds and operator
-- debits), and still outstanding.
SELECT coalesce(issuer_partner_id::text, '{{operator}}') AS issuer,
       coalesce(sum(points) FILTER (WHERE kind IN ('EARNED', 'CREDITED')), 0) AS issued,
       coalesce(-sum(points) FILTER (WHERE kind = 'REDEEMED'), 0) - coalesce(sum(points) FILTER (WHERE kind = 'RESTORED'), 0) AS redeemed,
       coalesce(-sum(points) FILTER (WHERE kind = 'EXPIRED'), 0) AS expired,
       coalesce(-sum(points) FILTER (WHERE kind IN ('CLAWED_BACK', 'DEBITED')), 0) AS clawed,
       sum(points) AS outstanding
  FROM lot_flow GROUP BY 1 ORDER BY 1
