import type { EntityManager } from 'typeorm';
import { rulesToJson } from '@coalition/shared/earn-rules/earn-rules';
import type { KnownFact } from '@coalition/shared/feed/facts/catalogue';
import type { offerEnded, offerPublished } from '@coalition/shared/feed/facts/partner-feed';

/**
 * Applies a partner's offer facts to the wallet's replica. The catalogue parsed the content with
 * the partner service's own schema on arrival: an offer the wallet could not apply stops the feed
 * there rather than failing purchases later.
 */
export async function applyOfferFact(
  manager: EntityManager,
  fact: KnownFact<typeof offerPublished | typeof offerEnded>,
): Promise<void> {
  if (fact.type === 'offer.published') {
    const { offerId, partnerId, offer } = fact.payload;
    await manager.query(
      `INSERT INTO offer_replica (id, partner_id, content, audience, audience_tiers, audience_member_ids, starts_at, ends_at, budget_points, per_member_limit, feed_position)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET content = excluded.content, audience = excluded.audience, audience_tiers = excluded.audience_tiers,
         audience_member_ids = excluded.audience_member_ids, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
         budget_points = excluded.budget_points, per_member_limit = excluded.per_member_limit, feed_position = excluded.feed_position`,
      [
        offerId,
        partnerId,
        JSON.stringify(rulesToJson(offer)),
        offer.audience,
        offer.audienceTiers,
        offer.audienceMemberIds,
        offer.startsAt,
        offer.endsAt,
        offer.budgetPoints?.toString() ?? null,
        offer.perMemberLimit,
        fact.position,
      ],
    );
    await manager.query('INSERT INTO offer_spend (offer_id) VALUES ($1) ON CONFLICT DO NOTHING', [
      offerId,
    ]);
    return;
  }
  const { offerId, partnerId, endedAt } = fact.payload;
  await manager.query(
    'UPDATE offer_replica SET ended_at = $2, feed_position = $3 WHERE id = $1 AND partner_id = $4',
    [offerId, endedAt, fact.position, partnerId],
  );
}
