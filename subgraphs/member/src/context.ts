import DataLoader from 'dataloader';
import type { BaseContext } from '@coalition/shared/graphql/context';
import type { Member, MemberPartnerLink } from './modules/members/member.entity';
import type { MembersService } from './modules/members/members.service';

export interface MemberContext extends BaseContext {
  loaders: {
    member: DataLoader<string, Member | undefined>;
    linksOfMember: DataLoader<string, MemberPartnerLink[]>;
  };
}

/** One batch query per entity type per request, whatever the number of references (no N+1). */
export function createLoaders(members: MembersService): MemberContext['loaders'] {
  return {
    member: new DataLoader(async (ids) => {
      const rows = new Map((await members.membersByIds(ids)).map((m) => [m.id, m]));
      return ids.map((id) => rows.get(id));
    }),
    linksOfMember: new DataLoader(async (memberIds) => {
      const links = await members.linksOfMembers(memberIds);
      return memberIds.map((id) => links.filter((link) => link.memberId === id));
    }),
  };
}
