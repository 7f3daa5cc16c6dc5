import DataLoader from 'dataloader';
import { assert } from '@coalition/shared/errors';
import type { Period, PointsSummary } from './partner-totals';
import type {
  MemberReach,
  PartnerTransactionEntry,
  PartnerTransactionQuery,
  PartnerViewsService,
} from './partner-views.service';

/** One partner's view, asked with its arguments (the same arguments for every partner of a list field). */
export interface PartnerViewKey<A> {
  partnerId: string;
  args: A;
}

export interface PartnerViewLoaders {
  /** A partner's ledger views, one query per view for every partner the request asks about. */
  partnerViews: PartnerViews;
}

export interface PartnerViews {
  transactions: DataLoader<
    PartnerViewKey<PartnerTransactionQuery>,
    PartnerTransactionEntry[],
    string
  >;
  pointsSummary: DataLoader<PartnerViewKey<Period>, PointsSummary, string>;
  memberReach: DataLoader<PartnerViewKey<Period>, MemberReach, string>;
}

/**
 * A loader that answers every partner asked with the same arguments in one query: an operator's
 * list of partners, each with its summary, costs one query, not one per partner. Arguments are
 * compared by their JSON (dates as ISO strings), so only equal arguments share a query.
 */
function perArguments<A, R>(
  load: (partnerIds: string[], args: A) => Promise<Map<string, R>>,
): DataLoader<PartnerViewKey<A>, R, string> {
  return new DataLoader<PartnerViewKey<A>, R, string>(
    async (keys) => {
      const groups = new Map<string, { args: A; partnerIds: Set<string> }>();
      for (const key of keys) {
        const argsKey = JSON.stringify(key.args);
        const group = groups.get(argsKey) ?? { args: key.args, partnerIds: new Set<string>() };
        group.partnerIds.add(key.partnerId);
        groups.set(argsKey, group);
      }
      const answers = new Map(
        await Promise.all(
          [...groups].map(
            async ([argsKey, group]) =>
              [argsKey, await load([...group.partnerIds], group.args)] as const,
          ),
        ),
      );
      return keys.map((key) => {
        const answer = answers.get(JSON.stringify(key.args))?.get(key.partnerId);
        assert(answer !== undefined, 'a partner view answers every partner it was asked for');
        return answer;
      });
    },
    { cacheKeyFn: (key) => JSON.stringify([key.partnerId, key.args]) },
  );
}

/** Per request (the context): each view of the partners a request asks about, batched. */
export function createPartnerViewLoaders(views: PartnerViewsService): PartnerViewLoaders {
  return {
    partnerViews: {
      transactions: perArguments((partnerIds, query) => views.transactions(partnerIds, query)),
      pointsSummary: perArguments((partnerIds, period) =>
        views.pointsSummaries(partnerIds, period),
      ),
      memberReach: perArguments((partnerIds, period) => views.memberReach(partnerIds, period)),
    },
  };
}
