-- Where the liability cells wait, summed with the journal, until they are written last; dropped
-- at the transaction's end. Its own columns, not LIKE liability_cell: that would take a lock on
-- liability_cell before the journal is written, and writing it last is the point.
CREATE TEMP TABLE cycle_liability_cells (
  cycle_id uuid, issuer text, redeemer uuid, points bigint, redeemer_currency char(3), redeemer_amount_minor bigint,
  issuer_currency char(3), issuer_amount_minor bigint
) ON COMMIT DROP
