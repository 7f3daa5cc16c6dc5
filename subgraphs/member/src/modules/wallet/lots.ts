import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { execute } from '@coalition/shared/db/sql';
import type { Statement } from '@coalition/shared/db/write-batch';
import { assert } from '@coalition/shared/errors';
import type { LotTake } from './points';

export interface NewLot {
  memberId: string;
  /** The transaction that created the lot: an earn, or a refund that gave burned points back. */
  transactionId: string;
  /** Null when the operator funds the points (an adjustment). */
  issuerPartnerId: string | null;
  points: bigint;
  availableAt: Date;
  expiresAt: Date;
  createdAt: Date;
  restoredFromLotId?: string | null;
  /** Who funds the points and by which rules; by default all of them the issuer (or the operator). */
  fundedBy?: Record<string, unknown>[];
}

export async function createLot(manager: EntityManager, lot: NewLot): Promise<string> {
  const { id, statement } = lotStatement(lot);
  await manager.query(statement.text, statement.values);
  return id;
}

/** The write that creates a lot, for a caller that sends it with others in one batch (runBatch). */
export function lotStatement(lot: NewLot): { id: string; statement: Statement } {
  const id = randomUUID();
  const fundedBy = lot.fundedBy ?? [
    lot.issuerPartnerId
      ? { partnerId: lot.issuerPartnerId, points: lot.points.toString() }
      : { operator: true, points: lot.points.toString() },
  ];
  const statement = {
    text: `INSERT INTO lot (id, member_id, earn_transaction_id, issuer_partner_id, funded_by, points, remaining, available_at, expires_at, created_at, restored_from_lot_id)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $6, $7, $8, $9, $10)`,
    values: [
      id,
      lot.memberId,
      lot.transactionId,
      lot.issuerPartnerId,
      JSON.stringify(fundedBy),
      lot.points.toString(),
      lot.availableAt,
      lot.expiresAt,
      lot.createdAt,
      lot.restoredFromLotId ?? null,
    ],
  };
  return { id, statement };
}

/** Records that a transaction consumed points from lots (a burn, a clawback, an expiry): the links settlement reads. */
export async function consumeLots(
  manager: EntityManager,
  transactionId: string,
  takes: readonly LotTake[],
): Promise<void> {
  for (const take of takes) {
    await manager.query(
      'INSERT INTO lot_link (lot_id, transaction_id, points) VALUES ($1, $2, $3)',
      [take.lotId, transactionId, take.points.toString()],
    );
    const updated = await execute(
      manager,
      'UPDATE lot SET remaining = remaining - $2 WHERE id = $1 AND remaining >= $2',
      [take.lotId, take.points.toString()],
    );
    assert(updated.count === 1, `lot ${take.lotId} held fewer points than were taken`);
  }
}

/** The links as facts carry them: which issuer's points were consumed, lot by lot (null: the operator's). */
export function linksWithIssuers(
  takes: readonly LotTake[],
  lots: readonly { id: string; issuerPartnerId: string | null }[],
) {
  const issuerOf = new Map(lots.map((lot) => [lot.id, lot.issuerPartnerId]));
  return takes.map((take) => {
    assert(issuerOf.has(take.lotId), `lot ${take.lotId} is one of the member's lots`);
    return {
      lotId: take.lotId,
      issuerPartnerId: issuerOf.get(take.lotId) ?? null,
      points: take.points.toString(),
    };
  });
}
