import type { EntityManager } from 'typeorm';
import { lockAggregate } from '@coalition/shared/db/locks';
import { notFound } from '@coalition/shared/errors';

/**
 * Serialises every change to one partner (stores, status, earn rules) before it writes anything,
 * so its facts reach the feed in the order they were made; NOT_FOUND when there is no such partner.
 */
export async function lockPartner(manager: EntityManager, partnerId: string): Promise<void> {
  await lockAggregate(manager, 'partner', partnerId);
  const rows: unknown[] = await manager.query('SELECT 1 FROM partner WHERE id = $1 FOR UPDATE', [
    partnerId,
  ]);
  if (rows.length === 0) throw notFound('Partner');
}
