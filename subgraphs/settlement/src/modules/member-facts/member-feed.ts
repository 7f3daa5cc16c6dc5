import type { EntityManager } from 'typeorm';
import type { Fact } from '@coalition/shared/feed/outbox';
import { parsePosition } from '@coalition/shared/feed/position';
import { assert } from '@coalition/shared/errors';

/**
 * Takes one member-feed fact into settlement's intake, keyed by its feed position. Cycles are cut
 * at a position in this sequence, so every fact belongs to exactly one cycle (LEDGER.md L10).
 * The primary key makes a replayed fact an error, not a silent double: the cursor guarantees once.
 */
export async function recordMemberFact(manager: EntityManager, fact: Fact): Promise<void> {
  const position = parsePosition(fact.position);
  assert(position, `member feed sent a malformed position ${fact.position}`);
  await manager.query(
    'INSERT INTO member_fact (tx_id, seq, type, key, payload, recorded_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6)',
    [position.txId.toString(), position.seq.toString(), fact.type, fact.key, JSON.stringify(fact.payload), fact.recordedAt],
  );
}
