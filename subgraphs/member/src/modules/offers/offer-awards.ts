import type { EntityManager } from 'typeorm';
import type { Statement } from '@coalition/shared/db/write-batch';
import type { EarnEvaluation } from '@coalition/shared/earn-rules/evaluate-earn';
import type { OfferInEffect } from '@coalition/shared/earn-rules/offers';
import type { ActivatedOffer } from '../partner-replica/earn-rules.replica';

const offerIdsOf = (evaluation: EarnEvaluation) =>
  evaluation.components.filter((c) => c.kind === 'OFFER').map((c) => c.ruleId!);

/**
 * Evaluates a purchase with the member's offers. An offer's budget is shared by every member, so
 * its row is locked (after the member's own, in id order) only when the purchase would earn from
 * a budgeted offer; the purchase is then evaluated again with what is left of those budgets.
 */
export async function evaluateWithOffers(
  manager: EntityManager,
  offers: readonly ActivatedOffer[],
  evaluate: (offers: OfferInEffect[]) => EarnEvaluation,
): Promise<EarnEvaluation> {
  const first = evaluate([...offers]);
  const awarded = new Set(offerIdsOf(first));
  const budgeted = offers
    .filter((o) => o.budgetPoints !== null && awarded.has(o.id))
    .map((o) => o.id);
  if (budgeted.length === 0) return first;
  const spent: { offer_id: string; points_awarded: string }[] = await manager.query(
    'SELECT offer_id, points_awarded FROM offer_spend WHERE offer_id = ANY($1) ORDER BY offer_id FOR UPDATE',
    [budgeted],
  );
  const spentBy = new Map(spent.map((row) => [row.offer_id, BigInt(row.points_awarded)]));
  return evaluate(
    offers.map((o) =>
      o.budgetPoints === null
        ? o
        : { ...o, budgetLeftPoints: o.budgetPoints - (spentBy.get(o.id) ?? 0n) },
    ),
  );
}

/** The writes that count each offer a purchase earned from against the member's uses and the offer's budget (one row each). */
export function offerAwardStatements(memberId: string, evaluation: EarnEvaluation): Statement[] {
  return evaluation.components
    .filter((c) => c.kind === 'OFFER')
    .flatMap((award) => [
      {
        text: 'UPDATE offer_activation SET uses = uses + 1, points_awarded = points_awarded + $3 WHERE member_id = $1 AND offer_id = $2',
        values: [memberId, award.ruleId, award.points.toString()],
      },
      {
        text: 'UPDATE offer_spend SET points_awarded = points_awarded + $2 WHERE offer_id = $1',
        values: [award.ruleId, award.points.toString()],
      },
    ]);
}
