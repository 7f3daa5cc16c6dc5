import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import type { Fact } from '@coalition/shared/feed/outbox';

const storeFact = z.object({ storeId: z.string().uuid(), partnerId: z.string().uuid(), name: z.string(), timeZone: z.string() });
const partnerOnboarded = z.object({
  partnerId: z.string().uuid(),
  name: z.string(),
  status: z.string(),
  settlementCurrency: z.string().length(3),
  // Facts from before earn terms existed carry none: the partner service's defaults then applied.
  pointsPerCurrencyUnit: z.number().int().positive().default(1),
  returnWindowDays: z.number().int().min(0).default(14),
  burnPointsMin: z.number().int().positive().default(1),
  burnPointsMax: z.number().int().positive().nullable().default(null),
  stores: z.array(storeFact),
});

async function upsertStore(manager: EntityManager, store: z.infer<typeof storeFact>, position: string): Promise<void> {
  await manager.query(
    `INSERT INTO store_replica (id, partner_id, name, time_zone, feed_position) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone, feed_position = excluded.feed_position`,
    [store.storeId, store.partnerId, store.name, store.timeZone, position],
  );
}

/**
 * Applies one partner-feed fact to the wallet's replica. Unknown fact types are skipped on
 * purpose: the partner service may announce things the wallet does not need (yet).
 */
export async function applyPartnerFact(manager: EntityManager, fact: Fact): Promise<void> {
  switch (fact.type) {
    case 'partner.onboarded': {
      const p = partnerOnboarded.parse(fact.payload);
      await manager.query(
        `INSERT INTO partner_replica (id, name, status, settlement_currency, points_per_currency_unit, return_window_days, burn_points_min, burn_points_max, feed_position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status, settlement_currency = excluded.settlement_currency,
           points_per_currency_unit = excluded.points_per_currency_unit, return_window_days = excluded.return_window_days,
           burn_points_min = excluded.burn_points_min, burn_points_max = excluded.burn_points_max,
           feed_position = excluded.feed_position`,
        [p.partnerId, p.name, p.status, p.settlementCurrency, p.pointsPerCurrencyUnit, p.returnWindowDays, p.burnPointsMin, p.burnPointsMax, fact.position],
      );
      for (const store of p.stores) await upsertStore(manager, store, fact.position);
      return;
    }
    case 'store.added':
      await upsertStore(manager, storeFact.parse(fact.payload), fact.position);
      return;
    default:
      return;
  }
}
