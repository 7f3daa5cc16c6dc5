-- A fragment ({{originals}}): the transactions the range's reversals reverse, each with its first
-- item (tx_id, seq, n order): the time it was priced at and its position. Found in uuid order
-- through settlement_item_transaction_first, so the probes walk that index once from left to
-- right instead of jumping about it (once it outgrows memory, each jump is a read); the reversals
-- themselves come from the small settlement_item_reversal index, not a scan of the range.
-- $1..$4: the range (from tx, from seq, cut-off tx, cut-off seq).
SELECT r.original_transaction_id AS transaction_id, o.at, o.tx_id, o.seq
  FROM (SELECT DISTINCT original_transaction_id FROM settlement_item
         WHERE original_transaction_id IS NOT NULL
           AND (tx_id, seq) > ($1::numeric, $2::bigint) AND (tx_id, seq) <= ($3::numeric, $4::bigint)
         ORDER BY original_transaction_id) r
  CROSS JOIN LATERAL (
    SELECT at, tx_id, seq FROM settlement_item WHERE transaction_id = r.original_transaction_id ORDER BY tx_id, seq, n LIMIT 1
  ) o
