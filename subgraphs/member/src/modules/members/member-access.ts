import { isMemberSelfOrOperator, viewerPartnerId } from '@coalition/shared/auth/authorize';
import type { Member } from './member.entity';
import type { MembersContext } from './members.loaders';

/**
 * Who sees a member's profile: the member, operators, and partners (and their terminals) the
 * member has linked. Everyone else sees nothing of it.
 */
export async function canSeeProfile(member: Member, ctx: MembersContext): Promise<boolean> {
  if (isMemberSelfOrOperator(ctx.viewer, member.id)) return true;
  const partnerId = viewerPartnerId(ctx.viewer);
  if (!partnerId) return false;
  const links = await ctx.loaders.linksOfMember.load(member.id);
  return links.some((link) => link.partnerId === partnerId);
}

/** The partners a viewer may learn the member is linked to: all for the member and operators, only itself for a partner. */
export async function visibleLinkedPartnerIds(
  member: Member,
  ctx: MembersContext,
): Promise<string[]> {
  const links = await ctx.loaders.linksOfMember.load(member.id);
  if (isMemberSelfOrOperator(ctx.viewer, member.id)) return links.map((link) => link.partnerId);
  const partnerId = viewerPartnerId(ctx.viewer);
  return links.filter((link) => link.partnerId === partnerId).map((link) => link.partnerId);
}
