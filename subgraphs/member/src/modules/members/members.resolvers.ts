import { requireRole } from '@coalition/shared/auth/authorize';
import { badInput, forbidden } from '@coalition/shared/errors';
import type { FeedConsumer } from '@coalition/shared/feed/consumer';
import { connectionOf, pageOf } from '@coalition/shared/graphql/pagination';
import { isId, parseId } from '@coalition/shared/validation';
import type {
  MemberResolvers,
  MutationResolvers,
  QueryResolvers,
  Resolvers,
} from '../../generated/graphql';
import { isValidCardNumber, normalizeCardNumber } from './card-number';
import { canSeeProfile, visibleLinkedPartnerIds } from './member-access';
import type { Member } from './member.entity';
import type { MembersContext } from './members.loaders';
import { memberCursor, type MembersService } from './members.service';

async function visibleMember(id: string, ctx: MembersContext): Promise<Member | null> {
  if (!isId(id)) return null;
  const member = await ctx.loaders.member.load(id);
  return member && (await canSeeProfile(member, ctx)) ? member : null;
}

/** Only the member themself (or an operator) changes their consents. */
function requireSelfOrOperator(ctx: MembersContext, memberId: string): void {
  const viewer = requireRole(ctx.viewer, 'member', 'operator');
  if (viewer.role === 'member' && viewer.memberId !== memberId) throw forbidden();
}

const profileField =
  (field: 'name' | 'email'): MemberResolvers<MembersContext>[typeof field] =>
  async (member, _, ctx) =>
    (await canSeeProfile(member, ctx)) ? member[field] : null;

function queries(
  members: MembersService,
  partnerFeed: FeedConsumer,
): QueryResolvers<MembersContext> {
  return {
    me: async (_, __, ctx) => {
      const viewer = requireRole(ctx.viewer, 'member');
      return (await ctx.loaders.member.load(viewer.memberId)) ?? null;
    },
    member: (_, args, ctx) => visibleMember(args.id, ctx),
    memberByCard: async (_, args, ctx) => {
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
    members: async (_, args, ctx) => {
      requireRole(ctx.viewer, 'operator');
      const page = pageOf(args);
      return connectionOf(await members.list(page), page, memberCursor);
    },
    partnerFeedStatus: (_, __, ctx) => {
      requireRole(ctx.viewer, 'operator');
      return partnerFeed.status();
    },
  };
}

function mutations(members: MembersService): MutationResolvers<MembersContext> {
  return {
    enrolMember: (_, args, ctx) => {
      requireRole(ctx.viewer, 'operator', 'partner', 'terminal');
      return members.enrol(args.input);
    },
    linkPartner: (_, args, ctx) => {
      requireSelfOrOperator(ctx, args.memberId);
      return members.link(parseId(args.memberId, 'memberId'), parseId(args.partnerId, 'partnerId'));
    },
    unlinkPartner: (_, args, ctx) => {
      requireSelfOrOperator(ctx, args.memberId);
      return members.unlink(
        parseId(args.memberId, 'memberId'),
        parseId(args.partnerId, 'partnerId'),
      );
    },
    setMemberTier: (_, args, ctx) => {
      const viewer = requireRole(ctx.viewer, 'operator');
      return members.setTier(parseId(args.memberId, 'memberId'), args.tier ?? null, viewer.sub);
    },
  };
}

const memberFields: MemberResolvers<MembersContext> = {
  __resolveReference: (ref, ctx) => visibleMember(ref.id, ctx),
  name: profileField('name'),
  email: profileField('email'),
  tier: async (member, _, ctx) =>
    (await canSeeProfile(member, ctx)) ? (member.tier ?? null) : null,
  linkedPartners: async (member, _, ctx) =>
    (await visibleLinkedPartnerIds(member, ctx)).map((id) => ({ __typename: 'Partner', id })),
};

export function membersResolvers(
  members: MembersService,
  partnerFeed: FeedConsumer,
): Resolvers<MembersContext> {
  return {
    Query: queries(members, partnerFeed),
    Mutation: mutations(members),
    Member: memberFields,
  };
}
