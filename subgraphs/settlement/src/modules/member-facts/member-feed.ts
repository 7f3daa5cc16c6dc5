import type { EntityManager } from 'typeorm';
import type { Fact } from '@coalition/shared/feed/outbox';
import { parsePosition } from '@coalition/shared/feed/position';
import { assert } from '@coalition/shared/errors';
import { lotFlowsOf, recordLotFlows } from './lot-flows';
import { settlementItemsOf } from './settlement-items';

/**
 * Takes one member-feed fact into settlement's intake, keyed by its feed position, with the
 * settlement items it means and its lot flows. Cycles are cut at a position in this sequence, so
 * every fact belongs to exactly one cycle (LEDGER.md L10). The primary keys make a replayed fact
 * an error, not a silent double: the cursor guarantees once.
 */
export async function recordMemberFact(manager: EntityManager, fact: Fact): Promise<void> {
  const position = parsePosition(fact.position);
  assert(position, `member feed sent a malformed position ${fact.position}`);
  const txId = position.txId.toString();
  const seq = position.seq.toString();
  await manager.query(
    'INSERT INTO member_fact (tx_id, seq, type, key, payload, recorded_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6)',
    [txId, seq, fact.type, fact.key, JSON.stringify(fact.payload), fact.recordedAt],
  );
  await recordLotFlows(manager, txId, seq, lotFlowsOf(fact));
  const items = settlementItemsOf(fact);
  if (items.length === 0) return;
  await manager.query(
    `INSERT INTO settlement_item (tx_id, seq, n, kind, transaction_id, original_transaction_id, partner_id, issuer_partner_id, points, at)
     SELECT $1, $2, n - 1, kind, transaction_id, original_transaction_id, partner_id, issuer_partner_id, points, at
       FROM unnest($3::text[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[], $8::bigint[], $9::timestamptz[])
            WITH ORDINALITY AS i (kind, transaction_id, original_transaction_id, partner_id, issuer_partner_id, points, at, n)`,
    [
      txId,
      seq,
      items.map((i) => i.kind),
      items.map((i) => i.transactionId),
      items.map((i) => i.originalTransactionId),
      items.map((i) => i.partnerId),
      items.map((i) => i.issuerPartnerId),
      items.map((i) => i.points.toString()),
      items.map((i) => i.at),
    ],
  );
}
