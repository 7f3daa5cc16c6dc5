import { randomUUID } from 'node:crypto';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { badInput, CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { appendFacts } from '@coalition/shared/feed/outbox';
import {
  memberEnrolled,
  memberPartnerLinked,
  memberPartnerUnlinked,
  memberTierChanged,
} from '@coalition/shared/feed/facts/member-feed';
import { lockAggregate } from '@coalition/shared/db/locks';
import { execute } from '@coalition/shared/db/sql';
import { inTransaction, isUniqueViolation } from '@coalition/shared/db/transaction';
import { tierBonusSchema } from '@coalition/shared/earn-rules/earn-rules';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';
import { parseInput, text } from '@coalition/shared/validation';
import { PartnerReplica } from '../partner-replica/partner-replica.entity';
import { newCardNumber } from './card-number';
import { Member, MemberPartnerLink } from './member.entity';

const enrolInput = z.object({
  name: text('name'),
  email: z.string().trim().toLowerCase().email('must be an email address').max(254),
});
export type EnrolMemberInput = z.input<typeof enrolInput>;
const tierInput = z.object({ tier: tierBonusSchema.shape.tier.nullable() });

const CARD_ATTEMPTS_MAX = 5;

export class MembersService {
  constructor(private readonly dataSource: DataSource) {}

  async enrol(raw: EnrolMemberInput): Promise<Member> {
    const input = parseInput(enrolInput, raw);
    for (let attempt = 1; ; attempt++) {
      const member = Object.assign(new Member(), {
        id: randomUUID(),
        cardNumber: newCardNumber(),
        name: input.name,
        email: input.email,
        enrolledAt: new Date(),
      });
      try {
        await inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
          await manager.insert(Member, member);
          await manager.query('INSERT INTO wallet (member_id) VALUES ($1)', [member.id]);
          await appendFacts(manager, [
            memberEnrolled.build({
              memberId: member.id,
              enrolledAt: member.enrolledAt.toISOString(),
            }),
          ]);
        });
        return member;
      } catch (error) {
        if (isUniqueViolation(error, 'member_email_unique'))
          throw new CoalitionError(
            ErrorCode.CONFLICT,
            'A member with this email is already enrolled.',
            { field: 'email' },
          );
        // Two random card numbers collided: draw again, a bounded number of times.
        if (isUniqueViolation(error) && attempt < CARD_ATTEMPTS_MAX) continue;
        throw error;
      }
    }
  }

  /** Records the member's consent for a partner; linking twice is a no-op. */
  async link(memberId: string, partnerId: string): Promise<Member> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const member = await lockMember(manager, memberId);
      const partner = await manager.findOneBy(PartnerReplica, { id: partnerId });
      if (!partner) throw notFound('Partner');
      if (partner.status !== 'ACTIVE')
        throw badInput('This partner is not accepting new members.', 'partnerId');
      const inserted = await execute(
        manager,
        'INSERT INTO member_partner_link (member_id, partner_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [memberId, partnerId],
      );
      if (inserted.count > 0) {
        await appendFacts(manager, [memberPartnerLinked.build({ memberId, partnerId })]);
      }
      return member;
    });
  }

  /** Sets or clears the member's tier; announced on the member feed, which is the change's audit trail. */
  async setTier(memberId: string, rawTier: string | null, changedBy: string): Promise<Member> {
    const { tier } = parseInput(tierInput, { tier: rawTier });
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const member = await lockMember(manager, memberId);
      if (member.tier === tier) return member;
      await manager.query('UPDATE member SET tier = $2 WHERE id = $1', [memberId, tier]);
      await appendFacts(manager, [
        memberTierChanged.build({
          memberId,
          from: member.tier,
          to: tier,
          changedBy,
          reason: 'MANUAL',
          ladderVersion: null,
        }),
      ]);
      return Object.assign(member, { tier });
    });
  }

  async unlink(memberId: string, partnerId: string): Promise<Member> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const member = await lockMember(manager, memberId);
      const deleted = await execute(
        manager,
        'DELETE FROM member_partner_link WHERE member_id = $1 AND partner_id = $2',
        [memberId, partnerId],
      );
      if (deleted.count > 0) {
        await appendFacts(manager, [memberPartnerUnlinked.build({ memberId, partnerId })]);
      }
      return member;
    });
  }

  membersByIds(ids: readonly string[]): Promise<Member[]> {
    return this.dataSource.getRepository(Member).findBy({ id: In([...ids]) });
  }

  byCardNumber(cardNumber: string): Promise<Member | null> {
    return this.dataSource.getRepository(Member).findOneBy({ cardNumber });
  }

  linksOfMembers(memberIds: readonly string[]): Promise<MemberPartnerLink[]> {
    return this.dataSource.getRepository(MemberPartnerLink).find({
      where: { memberId: In([...memberIds]) },
      order: { linkedAt: 'ASC', partnerId: 'ASC' },
    });
  }

  /** Newest first, keyset-paginated on (enrolled_at, id). */
  async list(page: Page): Promise<Member[]> {
    const query = this.dataSource
      .getRepository(Member)
      .createQueryBuilder('m')
      .orderBy('m.enrolled_at', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .limit(page.limit + 1);
    if (page.after) {
      const { time, id } = timeIdKey.parse(page.after);
      query.where('(m.enrolled_at, m.id) < (:time, :id)', { time, id });
    }
    return query.getMany();
  }
}

export const memberCursor = (member: Member) => timeIdKey.of(member.enrolledAt, member.id);

/** Every change to a member starts here: the member's lock orders that member's facts on the feed. */
async function lockMember(manager: EntityManager, memberId: string): Promise<Member> {
  await lockAggregate(manager, 'member', memberId);
  const member = await manager
    .getRepository(Member)
    .createQueryBuilder('m')
    .setLock('pessimistic_write')
    .where('m.id = :memberId', { memberId })
    .getOne();
  if (!member) throw notFound('Member');
  return member;
}
