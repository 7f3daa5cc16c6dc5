-- A fragment ({{pricedItems}}): the items of the range, each priced at its own time (a reversal:
-- at its original's time; a reversal of a transaction never taken in, at its own). Needs
-- originals.sql as `originals`. $1..$4: the range.
SELECT i.tx_id, i.seq, i.n, i.kind, i.transaction_id, i.original_transaction_id, i.partner_id, i.issuer_partner_id, i.points,
       coalesce(o.at, i.at) AS priced_at, o.tx_id AS original_tx, o.seq AS original_seq
  FROM settlement_item i
  LEFT JOIN originals o ON o.transaction_id = i.original_transaction_id
 WHERE (i.tx_id, i.seq) > ($1::numeric, $2::bigint) AND (i.tx_id, i.seq) <= ($3::numeric, $4::bigint)
