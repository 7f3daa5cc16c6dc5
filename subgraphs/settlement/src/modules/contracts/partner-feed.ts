import { factIntake } from '@coalition/shared/feed/facts/intake';
import { partnerFeed } from '@coalition/shared/feed/facts/partner-feed';

/**
 * Settlement keeps its partner directory from the partner feed: which partners exist and the
 * currency each settles in, so a contract names a real partner in its currency. Stores, terms,
 * rules and offers are the wallet's business. The directory's status is the one at onboarding:
 * nothing in settlement reads it (a partner's contracts and cycles go on whatever its status).
 */
export const partnerFeedIntake = factIntake(partnerFeed, 'settlement ← partner feed', {
  'partner.onboarded': 'handles',
  'store.added': 'ignores',
  'partner.status-changed': 'ignores',
  'earn-rules.published': 'ignores',
  'earn-rules.withdrawn': 'ignores',
  'programme.tier-bonuses-set': 'ignores',
  'offer.published': 'ignores',
  'offer.ended': 'ignores',
});

export const applyPartnerFacts = partnerFeedIntake.oneByOne(async (manager, fact) => {
  const p = fact.payload;
  await manager.query(
    `INSERT INTO partner_directory (id, name, settlement_currency, status, feed_position) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, settlement_currency = excluded.settlement_currency, status = excluded.status, feed_position = excluded.feed_position`,
    [p.partnerId, p.name, p.settlementCurrency, p.status, fact.position],
  );
});
