import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { BaseContext } from '@coalition/shared/graphql/context';
import type { Member, MemberPartnerLink } from './modules/members/member.entity';
import type { MembersService } from './modules/members/members.service';
import {
  createPartnerViewLoaders,
  type PartnerViewLoaders,
} from './modules/partner-views/partner-views.loaders';
import type { PartnerViewsService } from './modules/partner-views/partner-views.service';
import { readWallets, type WalletView } from './modules/wallet/wallet-state';

export interface MemberContext extends BaseContext {
  loaders: {
    member: DataLoader<string, Member | undefined>;
    linksOfMember: DataLoader<string, MemberPartnerLink[]>;
    /** Balances of every wallet the request asks for, read at one ledger time. */
    wallet: DataLoader<string, WalletView | undefined>;
    /** A partner's ledger views, one query per view for every partner the request asks about. */
    partnerViews: PartnerViewLoaders;
  };
}

/** One batch query per entity type per request, whatever the number of references (no N+1). */
export function createLoaders(
  members: MembersService,
  dataSource: DataSource,
  partnerViews: PartnerViewsService,
): MemberContext['loaders'] {
  return {
    member: new DataLoader(async (ids) => {
      const rows = new Map((await members.membersByIds(ids)).map((m) => [m.id, m]));
      return ids.map((id) => rows.get(id));
    }),
    linksOfMember: new DataLoader(async (memberIds) => {
      const links = await members.linksOfMembers(memberIds);
      return memberIds.map((id) => links.filter((link) => link.memberId === id));
    }),
    wallet: new DataLoader(async (memberIds) => {
      const wallets = await readWallets(dataSource, memberIds);
      return memberIds.map((id) => wallets.get(id));
    }),
    partnerViews: createPartnerViewLoaders(partnerViews),
  };
}
