import type { EntityManager } from 'typeorm';
import type { PayloadOf } from '@coalition/shared/feed/facts/catalogue';
import { factIntake, unhandled, type IntakeFact } from '@coalition/shared/feed/facts/intake';
import {
  partnerFeed,
  type partnerOnboarded,
  type storeAdded,
} from '@coalition/shared/feed/facts/partner-feed';
import { applyOfferFact } from '../offers/offer-feed';

/** The wallet's replica takes in every partner fact: it earns and burns on its own copy of them. */
export const partnerFeedIntake = factIntake(partnerFeed, 'member ← partner feed', {
  'partner.onboarded': 'handles',
  'store.added': 'handles',
  'partner.status-changed': 'handles',
  'earn-rules.published': 'handles',
  'earn-rules.withdrawn': 'handles',
  'programme.tier-bonuses-set': 'handles',
  'offer.published': 'handles',
  'offer.ended': 'handles',
});

type PartnerFact = IntakeFact<typeof partnerFeedIntake>;

async function upsertStore(
  manager: EntityManager,
  store: PayloadOf<typeof storeAdded>,
  position: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO store_replica (id, partner_id, name, time_zone, kind, feed_position) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone, kind = excluded.kind, feed_position = excluded.feed_position`,
    [store.storeId, store.partnerId, store.name, store.timeZone, store.kind, position],
  );
}

/**
 * A rules version as published. The catalogue checked the rules with the partner service's own
 * schema on arrival: a version the wallet could not evaluate stops the feed there, not purchases
 * later.
 */
async function upsertRules(
  manager: EntityManager,
  partnerId: string,
  v: { version: number; effectiveFrom: string; rules: Record<string, unknown> },
  position: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO earn_rules_replica (partner_id, version, effective_from, rules, feed_position) VALUES ($1, $2, $3, $4::jsonb, $5)
     ON CONFLICT (partner_id, version) DO UPDATE SET effective_from = excluded.effective_from, rules = excluded.rules, feed_position = excluded.feed_position`,
    [partnerId, v.version, v.effectiveFrom, JSON.stringify(v.rules), position],
  );
}

async function applyOnboarded(
  manager: EntityManager,
  p: PayloadOf<typeof partnerOnboarded>,
  position: string,
): Promise<void> {
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
      position,
    ],
  );
  for (const store of p.stores) await upsertStore(manager, store, position);
  // Facts from before versioned rules: the base rate, since always.
  const initial = p.earnRules ?? {
    version: 1,
    effectiveFrom: '-infinity',
    rules: { basePointsPerUnit: p.pointsPerCurrencyUnit },
  };
  await upsertRules(manager, p.partnerId, initial, position);
}

/** Applies one partner-feed fact to the wallet's replica. */
async function applyPartnerFact(manager: EntityManager, fact: PartnerFact): Promise<void> {
  switch (fact.type) {
    case 'partner.onboarded':
      return applyOnboarded(manager, fact.payload, fact.position);
    case 'partner.status-changed': {
      const s = fact.payload;
      await manager.query(
        'UPDATE partner_replica SET status = $2, earn_stop_at = $3, burn_stop_at = $4, feed_position = $5 WHERE id = $1',
        [s.partnerId, s.status, s.earnStopAt, s.burnStopAt, fact.position],
      );
      return;
    }
    case 'earn-rules.published':
      return upsertRules(manager, fact.payload.partnerId, fact.payload, fact.position);
    case 'earn-rules.withdrawn':
      await manager.query(
        'UPDATE earn_rules_replica SET withdrawn = true, feed_position = $3 WHERE partner_id = $1 AND version = $2',
        [fact.payload.partnerId, fact.payload.version, fact.position],
      );
      return;
    case 'programme.tier-bonuses-set':
      await manager.query('DELETE FROM tier_bonus_replica');
      for (const bonus of fact.payload.bonuses) {
        await manager.query(
          'INSERT INTO tier_bonus_replica (tier, bonus_percent, feed_position) VALUES ($1, $2, $3)',
          [bonus.tier, bonus.bonusPercent, fact.position],
        );
      }
      return;
    case 'store.added':
      return upsertStore(manager, fact.payload, fact.position);
    case 'offer.published':
    case 'offer.ended':
      return applyOfferFact(manager, fact);
    default:
      return unhandled(fact);
  }
}

/** The partner feed's page applier for the wallet (FeedConsumer's apply). */
export const applyPartnerFacts = partnerFeedIntake.oneByOne(applyPartnerFact);
