import type { EntityManager } from 'typeorm';
import type { Fact } from '@coalition/shared/feed/outbox';
import { parsePosition } from '@coalition/shared/feed/position';
import { assert } from '@coalition/shared/errors';
import { lotFlowsOf } from './lot-flows';
import { memberFeedIntake } from './member-fact-intake';
import { settlementItemsOf } from './settlement-items';

/**
 * Takes a page of member-feed facts into settlement's intake, each keyed by its feed position, with
 * the settlement items it means and its lot flows. Cycles are cut at a position in this sequence,
 * so every fact belongs to exactly one cycle (docs/ledger.md, L10). The primary keys make a
 * replayed fact an error, not a silent double: the cursor guarantees once. A fact of a type the
 * intake ignores is recorded and means neither; one of a type the catalogue does not know stops the
 * page (memberFeedIntake).
 *
 * Three set-based INSERTs per page, however many facts it holds: under load a page holds tens of
 * earns, and one statement per fact and table was most of settlement's share of an earn's cost
 * (BENCHMARKS.md).
 */
export async function recordMemberFacts(
  manager: EntityManager,
  facts: readonly Fact[],
): Promise<void> {
  if (facts.length === 0) return;
  const keyed = facts.map((fact) => {
    const position = parsePosition(fact.position);
    assert(position, `member feed sent a malformed position ${fact.position}`);
    const known = memberFeedIntake.read(fact);
    return { fact, known, txId: position.txId.toString(), seq: position.seq.toString() };
  });
  await manager.query(
    `INSERT INTO member_fact (tx_id, seq, type, key, payload, recorded_at)
     SELECT * FROM unnest($1::numeric[], $2::bigint[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[])`,
    [
      keyed.map((k) => k.txId),
      keyed.map((k) => k.seq),
      keyed.map((k) => k.fact.type),
      keyed.map((k) => k.fact.key),
      keyed.map((k) => JSON.stringify(k.fact.payload)),
      keyed.map((k) => k.fact.recordedAt),
    ],
  );
  const flows = keyed.flatMap(({ known, txId, seq }) =>
    known ? lotFlowsOf(known).map((flow, n) => ({ ...flow, txId, seq, n })) : [],
  );
  if (flows.length > 0) {
    await manager.query(
      `INSERT INTO lot_flow (tx_id, seq, n, kind, lot_id, issuer_partner_id, points, at)
       SELECT * FROM unnest($1::numeric[], $2::bigint[], $3::int[], $4::text[], $5::uuid[], $6::uuid[], $7::bigint[], $8::timestamptz[])`,
      [
        flows.map((f) => f.txId),
        flows.map((f) => f.seq),
        flows.map((f) => f.n),
        flows.map((f) => f.kind),
        flows.map((f) => f.lotId),
        flows.map((f) => f.issuerPartnerId),
        flows.map((f) => f.points.toString()),
        flows.map((f) => f.at),
      ],
    );
  }
  const items = keyed.flatMap(({ known, txId, seq }) =>
    known ? settlementItemsOf(known).map((item, n) => ({ ...item, txId, seq, n })) : [],
  );
  if (items.length > 0) {
    await manager.query(
      `INSERT INTO settlement_item (tx_id, seq, n, kind, transaction_id, original_transaction_id, partner_id, issuer_partner_id, points, at)
       SELECT * FROM unnest($1::numeric[], $2::bigint[], $3::int[], $4::text[], $5::uuid[], $6::uuid[], $7::uuid[], $8::uuid[], $9::bigint[], $10::timestamptz[])`,
      [
        items.map((i) => i.txId),
        items.map((i) => i.seq),
        items.map((i) => i.n),
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
}
