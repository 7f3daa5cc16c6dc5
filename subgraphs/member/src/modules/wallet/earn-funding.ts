import type { EarnEvaluation } from '@coalition/shared/earn-rules/evaluate-earn';

export interface DebtSplit {
  /** Points that repay the member's debt instead of becoming a lot. */
  debtRepaid: bigint;
  /** Of those, the operator-funded ones. */
  operatorDebtRepaid: bigint;
  partnerLotPoints: bigint;
  operatorLotPoints: bigint;
}

/**
 * An earn repays the member's debt before anything becomes a lot: the partner-funded points
 * first, then the operator-funded ones. Each funder's remainder becomes that funder's lot.
 */
export function fundingAfterDebt(
  earned: Pick<EarnEvaluation, 'points' | 'partnerPoints' | 'operatorPoints'>,
  debt: bigint,
): DebtSplit {
  if (
    debt < 0n ||
    earned.partnerPoints < 0n ||
    earned.operatorPoints < 0n ||
    earned.partnerPoints + earned.operatorPoints !== earned.points
  ) {
    throw new RangeError(
      'an earn is funded exactly by partner and operator, and debt is never negative',
    );
  }
  const debtRepaid = earned.points < debt ? earned.points : debt;
  const partnerDebtRepaid = earned.partnerPoints < debtRepaid ? earned.partnerPoints : debtRepaid;
  const operatorDebtRepaid = debtRepaid - partnerDebtRepaid;
  return {
    debtRepaid,
    operatorDebtRepaid,
    partnerLotPoints: earned.partnerPoints - partnerDebtRepaid,
    operatorLotPoints: earned.operatorPoints - operatorDebtRepaid,
  };
}
