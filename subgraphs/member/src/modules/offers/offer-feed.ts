import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { rulesToJson } from '@coalition/shared/earn-rules/earn-rules';
import { offerSchema } from '@coalition/shared/earn-rules/offers';
import type { Fact } from '@coalition/shared/feed/outbox';

const published = z.object({
  offerId: z.string().uuid(),
  partnerId: z.string().uuid(),
  offer: z.record(z.string(), z.unknown()),
});
const ended = z.object({
  offerId: z.string().uuid(),
  partnerId: z.string().uuid(),
  endedAt: z.string().datetime({ offset: true }),
});

export const OfferFacts = { published: 'offer.published', ended: 'offer.ended' } as const;

/**
 * Applies a partner's offer facts to the wallet's replica. The content is checked with the
 * partner service's own schema first: an offer the wallet could not apply stops the feed here
 * rather than failing purchases later.
 */
export async function applyOfferFact(manager: EntityManager, fact: Fact): Promise<void> {
  if (fact.type === OfferFacts.published) {
    const f = published.parse(fact.payload);
    const offer = offerSchema.parse(f.offer);
    await manager.query(
      `INSERT INTO offer_replica (id, partner_id, content, audience, audience_tiers, audience_member_ids, starts_at, ends_at, budget_points, per_member_limit, feed_position)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET content = excluded.content, audience = excluded.audience, audience_tiers = excluded.audience_tiers,
         audience_member_ids = excluded.audience_member_ids, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
         budget_points = excluded.budget_points, per_member_limit = excluded.per_member_limit, feed_position = excluded.feed_position`,
      [
        f.offerId,
        f.partnerId,
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
      f.offerId,
    ]);
    return;
  }
  if (fact.type === OfferFacts.ended) {
    const f = ended.parse(fact.payload);
    await manager.query(
      'UPDATE offer_replica SET ended_at = $2, feed_position = $3 WHERE id = $1 AND partner_id = $4',
      [f.offerId, f.endedAt, fact.position, f.partnerId],
    );
  }
}
