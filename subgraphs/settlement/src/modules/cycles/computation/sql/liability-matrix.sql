-- The liability matrix, summed with the journal, written last: tests that interrupt a close hold
-- this table's lock to stop it once everything else is written.
INSERT INTO liability_cell (cycle_id, issuer, redeemer, points, redeemer_currency, redeemer_amount_minor, issuer_currency, issuer_amount_minor)
SELECT cycle_id, issuer, redeemer, points, redeemer_currency, redeemer_amount_minor, issuer_currency, issuer_amount_minor
  FROM pg_temp.cycle_liability_cells
