import type { EntityManager } from 'typeorm';
import { assert } from '@coalition/shared/errors';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { debtRepaid } from '@coalition/shared/feed/facts/member-feed';
import { writeTransaction } from './ledger';
import { consumeLots, linksWithIssuers } from './lots';
import { balancesAt, debtRepaidByRelease, takeFromLots, type LotState } from './points';

/** Points a hold gave back to the member: all of a voided or timed-out hold, what a capture left of one. */
export interface Release {
  holdIds: readonly string[];
  cause: 'VOIDED' | 'EXPIRED' | 'CAPTURED';
  points: bigint;
}

/**
 * Repays the member's debt from the points a hold released, as far as they are still spendable:
 * a purchase refund does not take points an open hold reserves (takeForClawback), it records them
 * as debt, and this is where that debt is collected once the hold lets go of them. Lots are
 * consumed as a burn consumes them, spendable ones oldest expiry first, in a DEBT_REPAYMENT
 * transaction with its lot links and a `debt.repaid` fact (settlement follows the points out of
 * the float). Returns the points repaid (0: nothing written).
 *
 * The transaction has no postings, on purpose: the clawback that recorded the debt already debited
 * the member account by every point it clawed back, so the cached balance is the lots less the debt
 * (the audit's member-lots check). Consuming lots against the debt lowers both by the same points:
 * the balance and the ledger do not move (L1, L2), only which lots hold them and what is owed.
 */
export async function repayDebtFromRelease(
  manager: EntityManager,
  wallet: { memberId: string; debt: bigint; now: Date },
  release: Release,
  lots: readonly (LotState & { issuerPartnerId: string | null })[],
  openHeld: bigint,
): Promise<bigint> {
  const { available } = balancesAt(wallet.now, lots, openHeld);
  const points = debtRepaidByRelease(wallet.debt, release.points, available);
  if (points === 0n) return 0n;
  const takes = takeFromLots(wallet.now, lots, points);
  assert(takes !== undefined, 'spendable lots cover what is available');
  const debtLeft = wallet.debt - points;
  const details = {
    holdIds: release.holdIds,
    cause: release.cause,
    released: release.points.toString(),
    debtLeft: debtLeft.toString(),
  };
  const transactionId = await writeTransaction(manager, {
    memberId: wallet.memberId,
    kind: 'DEBT_REPAYMENT',
    points,
    details,
    at: wallet.now,
    postings: [],
  });
  await consumeLots(manager, transactionId, takes);
  await manager.query('UPDATE wallet SET debt = debt - $2, updated_at = $3 WHERE member_id = $1', [
    wallet.memberId,
    points.toString(),
    wallet.now,
  ]);
  await appendFacts(manager, [
    debtRepaid.build({
      transactionId,
      memberId: wallet.memberId,
      points: points.toString(),
      ...details,
      links: linksWithIssuers(takes, lots),
      at: wallet.now.toISOString(),
    }),
  ]);
  return points;
}
