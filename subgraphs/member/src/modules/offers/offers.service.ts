import type { DataSource } from 'typeorm';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { lockAggregate } from '@coalition/shared/db/locks';
import { inTransaction } from '@coalition/shared/db/transaction';
import { CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { offerSchema, type Offer } from '@coalition/shared/earn-rules/offers';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';

/** An offer as a member sees it: its terms, and where the member stands with it. */
export interface MemberOffer {
  id: string;
  partnerId: string;
  offer: Offer;
  activatedAt: Date | null;
  usesLeft: number;
  pointsAwarded: bigint;
}

interface OfferRow {
  id: string;
  partner_id: string;
  content: unknown;
  per_member_limit: number;
  activated_at: Date | null;
  uses: number | null;
  points_awarded: string | null;
}

const memberOfferOf = (row: OfferRow): MemberOffer => ({
  id: row.id,
  partnerId: row.partner_id,
  offer: offerSchema.parse(row.content),
  activatedAt: row.activated_at,
  usesLeft: row.per_member_limit - (row.uses ?? 0),
  pointsAwarded: BigInt(row.points_awarded ?? 0),
});

export const memberOfferCursor = (o: MemberOffer) => timeIdKey.of(o.offer.endsAt, o.id);

// Live (not ended, not past its end) and meant for this member: everyone, the member's tier, or a list naming them.
const LIVE_FOR_MEMBER = `o.ended_at IS NULL AND o.ends_at > ledger_now()
  AND (o.audience = 'EVERYONE' OR (o.audience = 'TIERS' AND m.tier = ANY (o.audience_tiers)) OR (o.audience = 'MEMBERS' AND m.id = ANY (o.audience_member_ids)))`;

const notAvailable = () =>
  new CoalitionError(ErrorCode.OFFER_NOT_AVAILABLE, 'This offer is not available to this member.');

/** Offers at the wallet: which a member may activate, and activating them (from the wallet's replica, like earn). */
export class OffersService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The member's live offers, soonest ending first. A partner (or its terminal) sees only its own
   * offers. An offer for a list of members or a tier is listed only to those it is meant for.
   */
  async offersFor(
    memberId: string,
    partnerId: string | undefined,
    page: Page,
  ): Promise<MemberOffer[]> {
    const after = page.after ? timeIdKey.parse(page.after) : undefined;
    const rows: OfferRow[] = await this.dataSource.query(
      `SELECT o.id, o.partner_id, o.content, o.per_member_limit, a.activated_at, a.uses, a.points_awarded
         FROM member m JOIN offer_replica o ON ${LIVE_FOR_MEMBER}
         LEFT JOIN offer_activation a ON a.member_id = m.id AND a.offer_id = o.id
        WHERE m.id = $1 AND ($2::uuid IS NULL OR o.partner_id = $2)
          AND ($3::timestamptz IS NULL OR (o.ends_at, o.id) > ($3::timestamptz, $4::uuid))
        ORDER BY o.ends_at, o.id LIMIT $5`,
      [memberId, partnerId ?? null, after?.time ?? null, after?.id ?? null, page.limit + 1],
    );
    return rows.map(memberOfferOf);
  }

  /**
   * Activates an offer for the member; activating again changes nothing. An offer the member may
   * not have (ended, or meant for others) is OFFER_NOT_AVAILABLE, without saying who it is for; a
   * partner activates only its own offers (another's is not found).
   */
  async activate(viewer: Viewer, memberId: string, offerId: string): Promise<MemberOffer> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockAggregate(manager, 'member', memberId);
      const members: unknown[] = await manager.query('SELECT 1 FROM member WHERE id = $1', [
        memberId,
      ]);
      if (members.length === 0) throw notFound('Member');
      const offers: { partner_id: string }[] = await manager.query(
        'SELECT partner_id FROM offer_replica WHERE id = $1',
        [offerId],
      );
      const offer = offers[0];
      const ownPartner =
        viewer.role === 'partner' || viewer.role === 'terminal' ? viewer.partnerId : undefined;
      if (!offer || (ownPartner && offer.partner_id !== ownPartner)) throw notFound('Offer');
      const live: unknown[] = await manager.query(
        `SELECT 1 FROM member m JOIN offer_replica o ON ${LIVE_FOR_MEMBER} WHERE m.id = $1 AND o.id = $2`,
        [memberId, offerId],
      );
      if (live.length === 0) throw notAvailable();
      await manager.query(
        `INSERT INTO offer_activation (member_id, offer_id, partner_id, activated_at) VALUES ($1, $2, $3, ledger_now()) ON CONFLICT DO NOTHING`,
        [memberId, offerId, offer.partner_id],
      );
      const rows: OfferRow[] = await manager.query(
        `SELECT o.id, o.partner_id, o.content, o.per_member_limit, a.activated_at, a.uses, a.points_awarded
           FROM offer_replica o JOIN offer_activation a ON a.offer_id = o.id AND a.member_id = $1 WHERE o.id = $2`,
        [memberId, offerId],
      );
      return memberOfferOf(rows[0]!);
    });
  }
}
