-- The journal entries behind one statement line, in fact order, keyset-paginated: those of its
-- cycle, currency, kind and corrected cycle, of its partner (the operator's lines mirror every
-- partner's), with partner money in them, with the contract version each was priced under.
-- $1: cycle; $2: currency; $3: kind; $4: corrected cycle or null; $5: party; $6..$9: the entry to
-- continue after (tx_id, seq, n, leg), or nulls; $10: rows.
SELECT j.*, c.version FROM journal_entry j JOIN contract_version c ON c.id = j.contract_version_id
 WHERE j.cycle_id = $1 AND j.currency = $2 AND j.kind = $3 AND j.original_cycle_id IS NOT DISTINCT FROM $4::uuid
   AND ($5 = '{{operator}}' OR j.partner_id = $5::uuid) AND j.partner_sign <> 0
   AND ($6::numeric IS NULL OR (j.tx_id, j.seq, j.n, j.leg) > ($6::numeric, $7::bigint, $8::integer, $9::smallint))
 ORDER BY j.tx_id, j.seq, j.n, j.leg LIMIT $10
