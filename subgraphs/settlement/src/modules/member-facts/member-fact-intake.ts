import { factIntake, type IntakeFact } from '@coalition/shared/feed/facts/intake';
import { memberFeed } from '@coalition/shared/feed/facts/member-feed';

/**
 * Settlement's intake of the member feed. It records every fact under its position (a cycle is cut
 * at a position: docs/ledger.md, L10) and derives settlement items and lot flows from the points
 * facts; members, their consents and tiers mean nothing for money between partners.
 */
export const memberFeedIntake = factIntake(memberFeed, 'settlement ← member feed', {
  'points.earned': 'handles',
  'points.burned': 'handles',
  'purchase.refunded': 'handles',
  'burn.refunded': 'handles',
  'points.expired': 'handles',
  'points.adjusted': 'handles',
  'points.transferred': 'handles',
  'debt.repaid': 'handles',
  'member.enrolled': 'ignores',
  'member.partner-linked': 'ignores',
  'member.partner-unlinked': 'ignores',
  'member.tier-changed': 'ignores',
});

/** A member fact settlement derives from, parsed. */
export type MemberFact = IntakeFact<typeof memberFeedIntake>;
