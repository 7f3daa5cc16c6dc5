import DataLoader from 'dataloader';
import type { ContextWith } from '@coalition/shared/graphql/module';
import type { Member, MemberPartnerLink } from './member.entity';
import type { MembersService } from './members.service';

export interface MembersLoaders {
  member: DataLoader<string, Member | undefined>;
  linksOfMember: DataLoader<string, MemberPartnerLink[]>;
}

/** What reading a member needs of the request: the viewer, and the members' loaders. */
export type MembersContext = ContextWith<MembersLoaders>;

/** One batch query per request for every member (and every member's links) it asks about. */
export function createMembersLoaders(members: MembersService): MembersLoaders {
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
