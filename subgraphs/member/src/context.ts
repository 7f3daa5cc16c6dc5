import type { ContextWith } from '@coalition/shared/graphql/module';
import type { MembersLoaders } from './modules/members/members.loaders';
import type { PartnerViewLoaders } from './modules/partner-views/partner-views.loaders';
import type { TiersLoaders } from './modules/tiers/tiers.loaders';
import type { WalletLoaders } from './modules/wallet/wallet.loaders';

/**
 * Every DataLoader of a member-subgraph request, each module's own side by side. Modules never
 * import this: each declares the loaders it reads, and the server checks this type provides them.
 */
export type MemberLoaders = MembersLoaders & PartnerViewLoaders & TiersLoaders & WalletLoaders;

export type MemberContext = ContextWith<MemberLoaders>;
