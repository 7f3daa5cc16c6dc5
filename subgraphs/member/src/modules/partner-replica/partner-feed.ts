import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import {
  earnChannels,
  earnRulesSchema,
  tierBonusSchema,
} from '@coalition/shared/earn-rules/earn-rules';
import type { Fact } from '@coalition/shared/feed/outbox';
import { applyOfferFact, OfferFacts } from '../offers/offer-feed';

const storeFact = z.object({
  storeId: z.string().uuid(),
  partnerId: z.string().uuid(),
  name: z.string(),
  timeZone: z.string(),
  kind: z.enum(earnChannels).default('PHYSICAL'),
});
const rulesVersion = z.object({
  version: z.number().int().positive(),
  effectiveFrom: z.string().datetime({ offset: true }),
  rules: z.record(z.string(), z.unknown()),
});
const rulesPublished = rulesVersion.extend({ partnerId: z.string().uuid() });
const rulesWithdrawn = z.object({
  partnerId: z.string().uuid(),
  version: z.number().int().positive(),
});
const statusChanged = z.object({
  partnerId: z.string().uuid(),
  status: z.string(),
  earnStopAt: z.string().datetime({ offset: true }).nullable(),
  burnStopAt: z.string().datetime({ offset: true }).nullable(),
});
const tierBonusesSet = z.object({ bonuses: z.array(tierBonusSchema) });
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
  // Facts from before versioned rules: the base rate, since always.
  earnRules: rulesVersion.optional(),
});

async function upsertStore(
  manager: EntityManager,
  store: z.infer<typeof storeFact>,
  position: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO store_replica (id, partner_id, name, time_zone, kind, feed_position) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone, kind = excluded.kind, feed_position = excluded.feed_position`,
    [store.storeId, store.partnerId, store.name, store.timeZone, store.kind, position],
  );
}

/**
 * A rules version as published. The rules are checked with the partner service's own schema
 * before they are stored: a version the wallet could not evaluate must stop the feed here, not
 * fail purchases later.
 */
async function upsertRules(
  manager: EntityManager,
  partnerId: string,
  v: { version: number; effectiveFrom: string; rules: Record<string, unknown> },
  position: string,
): Promise<void> {
  earnRulesSchema.parse(v.rules);
  await manager.query(
    `INSERT INTO earn_rules_replica (partner_id, version, effective_from, rules, feed_position) VALUES ($1, $2, $3, $4::jsonb, $5)
     ON CONFLICT (partner_id, version) DO UPDATE SET effective_from = excluded.effective_from, rules = excluded.rules, feed_position = excluded.feed_position`,
    [partnerId, v.version, v.effectiveFrom, JSON.stringify(v.rules), position],
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
        [
          p.partnerId,
          p.name,
          p.status,
          p.settlementCurrency,
          p.pointsPerCurrencyUnit,
          p.returnWindowDays,
          p.burnPointsMin,
          p.burnPointsMax,
          fact.position,
        ],
      );
      for (const store of p.stores) await upsertStore(manager, store, fact.position);
      const initial = p.earnRules ?? {
        version: 1,
        effectiveFrom: '-infinity',
        rules: { basePointsPerUnit: p.pointsPerCurrencyUnit },
      };
      await upsertRules(manager, p.partnerId, initial, fact.position);
      return;
    }
    case 'partner.status-changed': {
      const s = statusChanged.parse(fact.payload);
      await manager.query(
        'UPDATE partner_replica SET status = $2, earn_stop_at = $3, burn_stop_at = $4, feed_position = $5 WHERE id = $1',
        [s.partnerId, s.status, s.earnStopAt, s.burnStopAt, fact.position],
      );
      return;
    }
    case 'earn-rules.published': {
      const r = rulesPublished.parse(fact.payload);
      await upsertRules(manager, r.partnerId, r, fact.position);
      return;
    }
    case 'earn-rules.withdrawn': {
      const r = rulesWithdrawn.parse(fact.payload);
      await manager.query(
        'UPDATE earn_rules_replica SET withdrawn = true, feed_position = $3 WHERE partner_id = $1 AND version = $2',
        [r.partnerId, r.version, fact.position],
      );
      return;
    }
    case 'programme.tier-bonuses-set': {
      const { bonuses } = tierBonusesSet.parse(fact.payload);
      await manager.query('DELETE FROM tier_bonus_replica');
      for (const bonus of bonuses) {
        await manager.query(
          'INSERT INTO tier_bonus_replica (tier, bonus_percent, feed_position) VALUES ($1, $2, $3)',
          [bonus.tier, bonus.bonusPercent, fact.position],
        );
      }
      return;
    }
    case 'store.added':
      await upsertStore(manager, storeFact.parse(fact.payload), fact.position);
      return;
    case OfferFacts.published:
    case OfferFacts.ended:
      await applyOfferFact(manager, fact);
      return;
    default:
      return;
  }
}
