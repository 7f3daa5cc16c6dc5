import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import type { Fact } from '@coalition/shared/feed/outbox';

const partnerOnboarded = z.object({
  partnerId: z.string().uuid(),
  name: z.string(),
  status: z.string(),
  settlementCurrency: z.string().length(3),
});

/**
 * Keeps settlement's partner directory from the partner feed: which partners exist and the
 * currency each settles in, so a contract names a real partner in its currency. Other facts
 * (stores, terms) are the wallet's business.
 */
export async function applyPartnerFact(manager: EntityManager, fact: Fact): Promise<void> {
  if (fact.type !== 'partner.onboarded') return;
  const p = partnerOnboarded.parse(fact.payload);
  await manager.query(
    `INSERT INTO partner_directory (id, name, settlement_currency, status, feed_position) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, settlement_currency = excluded.settlement_currency, status = excluded.status, feed_position = excluded.feed_position`,
    [p.partnerId, p.name, p.settlementCurrency, p.status, fact.position],
  );
}
