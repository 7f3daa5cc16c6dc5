import { requireRole } from '@coalition/shared/auth/authorize';
import { badInput, forbidden } from '@coalition/shared/errors';
import type { FeedConsumer } from '@coalition/shared/feed/consumer';
import { connectionOf, pageOf, type PageArgs } from '@coalition/shared/graphql/pagination';
import { isId, parseId } from '@coalition/shared/validation';
import type { MemberContext } from '../../context';
import { isValidCardNumber, normalizeCardNumber } from './card-number';
import { canSeeProfile, visibleLinkedPartnerIds } from './member-access';
import type { Member } from './member.entity';
import { memberCursor, type EnrolMemberInput, type MembersService } from './members.service';

async function visibleMember(id: string, ctx: MemberContext): Promise<Member | null> {
  if (!isId(id)) return null;
  const member = await ctx.loaders.member.load(id);
  return member && (await canSeeProfile(member, ctx)) ? member : null;
}

/** Only the member themself (or an operator) changes their consents. */
function requireSelfOrOperator(ctx: MemberContext, memberId: string): void {
  const viewer = requireRole(ctx.viewer, 'member', 'operator');
  if (viewer.role === 'member' && viewer.memberId !== memberId) throw forbidden();
}

const profileField =
  (field: 'name' | 'email') => async (member: Member, _: unknown, ctx: MemberContext) =>
    (await canSeeProfile(member, ctx)) ? member[field] : null;

export function membersResolvers(members: MembersService, partnerFeed: FeedConsumer) {
  return {
    Query: {
      me: async (_: unknown, __: unknown, ctx: MemberContext) => {
        const viewer = requireRole(ctx.viewer, 'member');
        return (await ctx.loaders.member.load(viewer.memberId)) ?? null;
      },
      member: (_: unknown, args: { id: string }, ctx: MemberContext) => visibleMember(args.id, ctx),
      memberByCard: async (_: unknown, args: { cardNumber: string }, ctx: MemberContext) => {
        const viewer = requireRole(ctx.viewer, 'operator', 'partner', 'terminal', 'member');
        const card = normalizeCardNumber(args.cardNumber);
        if (!isValidCardNumber(card))
          throw badInput(
            'cardNumber is not a valid coalition card number (check digit).',
            'cardNumber',
          );
        const member = await members.byCardNumber(card);
        if (!member || (viewer.role === 'member' && viewer.memberId !== member.id)) return null;
        return member;
      },
      members: async (_: unknown, args: PageArgs, ctx: MemberContext) => {
        requireRole(ctx.viewer, 'operator');
        const page = pageOf(args);
        return connectionOf(await members.list(page), page, memberCursor);
      },
      partnerFeedStatus: (_: unknown, __: unknown, ctx: MemberContext) => {
        requireRole(ctx.viewer, 'operator');
        return partnerFeed.status();
      },
    },
    Mutation: {
      enrolMember: (_: unknown, args: { input: EnrolMemberInput }, ctx: MemberContext) => {
        requireRole(ctx.viewer, 'operator', 'partner', 'terminal');
        return members.enrol(args.input);
      },
      linkPartner: (
        _: unknown,
        args: { memberId: string; partnerId: string },
        ctx: MemberContext,
      ) => {
        requireSelfOrOperator(ctx, args.memberId);
        return members.link(
          parseId(args.memberId, 'memberId'),
          parseId(args.partnerId, 'partnerId'),
        );
      },
      unlinkPartner: (
        _: unknown,
        args: { memberId: string; partnerId: string },
        ctx: MemberContext,
      ) => {
        requireSelfOrOperator(ctx, args.memberId);
        return members.unlink(
          parseId(args.memberId, 'memberId'),
          parseId(args.partnerId, 'partnerId'),
        );
      },
      setMemberTier: (
        _: unknown,
        args: { memberId: string; tier?: string | null },
        ctx: MemberContext,
      ) => {
        const viewer = requireRole(ctx.viewer, 'operator');
        return members.setTier(parseId(args.memberId, 'memberId'), args.tier ?? null, viewer.sub);
      },
    },
    Member: {
      __resolveReference: (ref: { id: string }, ctx: MemberContext) => visibleMember(ref.id, ctx),
      name: profileField('name'),
      email: profileField('email'),
      tier: async (member: Member, _: unknown, ctx: MemberContext) =>
        (await canSeeProfile(member, ctx)) ? (member.tier ?? null) : null,
      linkedPartners: async (member: Member, _: unknown, ctx: MemberContext) =>
        (await visibleLinkedPartnerIds(member, ctx)).map((id) => ({ __typename: 'Partner', id })),
    },
  };
}
