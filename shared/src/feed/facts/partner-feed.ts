import { z } from 'zod';
import { earnChannels, earnRulesSchema, tierBonusSchema } from '../../earn-rules/earn-rules';
import { offerSchema } from '../../earn-rules/offers';
import { currencyCode } from '../../validation';
import { defineFact, defineFeed } from './catalogue';
import { id, instant, jsonCheckedBy, jsonParsedBy } from './fields';

/**
 * The partner feed: what the partner-merchant service announces. The wallet replicates what it
 * needs to earn and burn without calling the partner service; settlement keeps its directory of
 * partners from it.
 */

const partner = { key: (payload: { partnerId: string }) => payload.partnerId };

const partnerStatus = z.enum(['ACTIVE', 'SUSPENDED', 'LEAVING']);

const store = z.object({
  storeId: id,
  partnerId: id,
  name: z.string().min(1),
  kind: z.enum(earnChannels),
  timeZone: z.string().min(1),
});

/** A version of a partner's earn rules, as JSON the shared rules schema accepts. */
const rulesVersion = z.object({
  version: z.number().int().positive(),
  effectiveFrom: instant,
  rules: jsonCheckedBy(earnRulesSchema),
});

/**
 * A partner joined, with its stores, earn terms and version 1 of its earn rules. Counts here are
 * small bounded integers (at most limits.burnPointsMax), plain JSON numbers since the first fact.
 */
export const partnerOnboarded = defineFact({
  name: 'partner.onboarded',
  version: 1,
  ...partner,
  schema: z.object({
    partnerId: id,
    name: z.string().min(1),
    legalEntity: z.string(),
    category: z.string(),
    settlementCurrency: currencyCode,
    status: partnerStatus,
    pointsPerCurrencyUnit: z.number().int().positive(),
    returnWindowDays: z.number().int().min(0),
    burnPointsMin: z.number().int().positive(),
    burnPointsMax: z.number().int().positive().nullable(),
    stores: z.array(store),
    /** Absent in facts from before versioned rules: the base rate applied since always. */
    earnRules: rulesVersion.optional(),
  }),
  // Facts from before earn terms and burn limits carry none: the partner service's defaults applied.
  olderFacts: (payload) => ({
    pointsPerCurrencyUnit: 1,
    returnWindowDays: 14,
    burnPointsMin: 1,
    burnPointsMax: null,
    ...payload,
  }),
});

export const storeAdded = defineFact({
  name: 'store.added',
  version: 1,
  ...partner,
  schema: store,
  olderFacts: (payload) => ({ kind: 'PHYSICAL', ...payload }),
});

/** SUSPENDED stops earn and burn at once; LEAVING stops earn at earnStopAt and burn at burnStopAt. */
export const partnerStatusChanged = defineFact({
  name: 'partner.status-changed',
  version: 1,
  ...partner,
  schema: z.object({
    partnerId: id,
    status: partnerStatus,
    earnStopAt: instant.nullable(),
    burnStopAt: instant.nullable(),
    reason: z.string().nullable(),
  }),
});

export const earnRulesPublished = defineFact({
  name: 'earn-rules.published',
  version: 1,
  ...partner,
  schema: rulesVersion.extend({ partnerId: id }),
});

/** A scheduled version taken back before it came into force. */
export const earnRulesWithdrawn = defineFact({
  name: 'earn-rules.withdrawn',
  version: 1,
  ...partner,
  schema: z.object({ partnerId: id, version: z.number().int().positive() }),
});

/** The coalition's bonus per member tier, replaced as a whole (the operator funds it). */
export const tierBonusesSet = defineFact({
  name: 'programme.tier-bonuses-set',
  version: 1,
  key: () => 'programme',
  schema: z.object({ bonuses: z.array(tierBonusSchema) }),
});

/** An activate-to-earn offer; its content parsed by the shared offer schema on arrival. */
export const offerPublished = defineFact({
  name: 'offer.published',
  version: 1,
  ...partner,
  schema: z.object({ offerId: id, partnerId: id, offer: jsonParsedBy(offerSchema) }),
});

export const offerEnded = defineFact({
  name: 'offer.ended',
  version: 1,
  ...partner,
  schema: z.object({ offerId: id, partnerId: id, endedAt: instant }),
});

export const partnerFeed = defineFeed('partner', [
  partnerOnboarded,
  storeAdded,
  partnerStatusChanged,
  earnRulesPublished,
  earnRulesWithdrawn,
  tierBonusesSet,
  offerPublished,
  offerEnded,
]);
