import type { EntityManager } from 'typeorm';
import type { EarnEvaluation } from '@coalition/shared/earn-rules/evaluate-earn';
import { offerSchema, type OfferInEffect } from '@coalition/shared/earn-rules/offers';
import { limits } from '@coalition/shared/limits';

interface ActivatedOffer extends OfferInEffect {
  budgetPoints: bigint | null;
}

/**
 * The member's activated offers at this partner that apply to a purchase at `at`: live then,
 * activated before it (by the wallet's clock, which a till's may trail by up to
 * limits.clockSkewMs: a purchase rung up the moment after activation still counts), and with uses
 * left for this member. Read under the member's lock.
 */
async function activatedOffers(manager: EntityManager, memberId: string, partnerId: string, at: Date): Promise<ActivatedOffer[]> {
  const rows: { id: string; content: unknown; budget_points: string | null }[] = await manager.query(
    `SELECT o.id, o.content, o.budget_points
       FROM offer_activation a JOIN offer_replica o ON o.id = a.offer_id
      WHERE a.member_id = $1 AND a.partner_id = $2 AND a.activated_at <= $3::timestamptz + $4 * interval '1 millisecond' AND a.uses < o.per_member_limit
        AND o.starts_at <= $3 AND $3 < o.ends_at AND (o.ended_at IS NULL OR $3 < o.ended_at)
      ORDER BY o.id`,
    [memberId, partnerId, at, limits.clockSkewMs],
  );
  return rows.map((row) => {
    const offer = offerSchema.parse(row.content);
    return {
      id: row.id,
      bonusPoints: offer.bonusPoints,
      bonusPercent: offer.bonusPercent,
      minimumSpendMinor: offer.minimumSpendMinor,
      categories: offer.categories,
      budgetLeftPoints: null,
      budgetPoints: row.budget_points === null ? null : BigInt(row.budget_points),
    };
  });
}

const offerIdsOf = (evaluation: EarnEvaluation) => evaluation.components.filter((c) => c.kind === 'OFFER').map((c) => c.ruleId!);

/**
 * Evaluates a purchase with the member's offers. An offer's budget is shared by every member, so
 * its row is locked (after the member's own, in id order) only when the purchase would earn from
 * a budgeted offer; the purchase is then evaluated again with what is left of those budgets.
 */
export async function evaluateWithOffers(
  manager: EntityManager,
  at: { memberId: string; partnerId: string; occurredAt: Date },
  evaluate: (offers: OfferInEffect[]) => EarnEvaluation,
): Promise<EarnEvaluation> {
  const offers = await activatedOffers(manager, at.memberId, at.partnerId, at.occurredAt);
  const first = evaluate(offers);
  const awarded = new Set(offerIdsOf(first));
  const budgeted = offers.filter((o) => o.budgetPoints !== null && awarded.has(o.id)).map((o) => o.id);
  if (budgeted.length === 0) return first;
  const spent: { offer_id: string; points_awarded: string }[] = await manager.query(
    'SELECT offer_id, points_awarded FROM offer_spend WHERE offer_id = ANY($1) ORDER BY offer_id FOR UPDATE',
    [budgeted],
  );
  const spentBy = new Map(spent.map((row) => [row.offer_id, BigInt(row.points_awarded)]));
  return evaluate(offers.map((o) => (o.budgetPoints === null ? o : { ...o, budgetLeftPoints: o.budgetPoints - (spentBy.get(o.id) ?? 0n) })));
}

/** Counts each offer a purchase earned from against the member's uses and the offer's budget. */
export async function recordOfferAwards(manager: EntityManager, memberId: string, evaluation: EarnEvaluation): Promise<void> {
  for (const award of evaluation.components.filter((c) => c.kind === 'OFFER')) {
    await manager.query('UPDATE offer_activation SET uses = uses + 1, points_awarded = points_awarded + $3 WHERE member_id = $1 AND offer_id = $2', [memberId, award.ruleId, award.points.toString()]);
    await manager.query('UPDATE offer_spend SET points_awarded = points_awarded + $2 WHERE offer_id = $1', [award.ruleId, award.points.toString()]);
  }
}
