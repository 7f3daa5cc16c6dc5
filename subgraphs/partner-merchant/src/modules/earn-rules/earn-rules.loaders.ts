import DataLoader from 'dataloader';
import { pagedLoader, type PagedLoader } from '@coalition/shared/graphql/loaders';
import type { EarnRuleVersionRecord } from './earn-rule-versions.repository';
import type { EarnRulesService } from './earn-rules.service';

export interface EarnRulesLoaders {
  /** The earn rules version in force at the start of the request. */
  earnRulesInForce: DataLoader<string, EarnRuleVersionRecord | undefined>;
  earnRuleVersionsOfPartner: PagedLoader<EarnRuleVersionRecord>;
}

export function createEarnRulesLoaders(earnRules: EarnRulesService): EarnRulesLoaders {
  const requestTime = new Date();
  return {
    earnRulesInForce: new DataLoader(async (partnerIds) => {
      const found = await earnRules.inForce(partnerIds, requestTime);
      return partnerIds.map((id) => found.get(id));
    }),
    earnRuleVersionsOfPartner: pagedLoader((ids, page) => earnRules.pages(ids, page)),
  };
}
