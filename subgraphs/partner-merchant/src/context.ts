import type { ContextWith } from '@coalition/shared/graphql/module';
import type { ApiClientsLoaders } from './modules/api-clients/api-clients.loaders';
import type { EarnRulesLoaders } from './modules/earn-rules/earn-rules.loaders';
import type { OffersLoaders } from './modules/offers/offers.loaders';
import type { PartnerStatusLoaders } from './modules/partner-status/partner-status.loaders';
import type { PartnersLoaders } from './modules/partners/partners.loaders';
import type { RateLimitsLoaders } from './modules/rate-limits/rate-limits.loaders';
import type { RewardsLoaders } from './modules/rewards/rewards.loaders';
import type { WebOriginsLoaders } from './modules/web-origins/web-origins.loaders';

/**
 * Every DataLoader of a partner-merchant request, each module's own side by side. Modules never
 * import this: each declares the loaders it reads, and the server checks this type provides them.
 */
export type PartnerLoaders = ApiClientsLoaders &
  EarnRulesLoaders &
  OffersLoaders &
  PartnerStatusLoaders &
  PartnersLoaders &
  RateLimitsLoaders &
  RewardsLoaders &
  WebOriginsLoaders;

export type PartnerContext = ContextWith<PartnerLoaders>;
