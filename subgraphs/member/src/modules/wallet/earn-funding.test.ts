import { describe, expect, it } from 'vitest';
import { fundingAfterDebt } from './earn-funding';

describe('an earn repays debt before its points become lots', () => {
  it.each([
    // [partner, operator, debt] → [repaid, operator repaid, partner lot, operator lot]
    [100n, 0n, 0n, [0n, 0n, 100n, 0n]],
    [100n, 20n, 0n, [0n, 0n, 100n, 20n]],
    [100n, 20n, 30n, [30n, 0n, 70n, 20n]],
    [100n, 20n, 100n, [100n, 0n, 0n, 20n]],
    [100n, 20n, 110n, [110n, 10n, 0n, 10n]],
    [100n, 20n, 500n, [120n, 20n, 0n, 0n]],
    [0n, 15n, 5n, [5n, 5n, 0n, 10n]],
    [0n, 0n, 5n, [0n, 0n, 0n, 0n]],
  ])(
    'partner %s + operator %s points with a debt of %s',
    (partnerPoints, operatorPoints, debt, [repaid, operatorRepaid, partnerLot, operatorLot]) => {
      const split = fundingAfterDebt(
        { points: partnerPoints + operatorPoints, partnerPoints, operatorPoints },
        debt,
      );
      expect(split).toEqual({
        debtRepaid: repaid,
        operatorDebtRepaid: operatorRepaid,
        partnerLotPoints: partnerLot,
        operatorLotPoints: operatorLot,
      });
      expect(split.debtRepaid + split.partnerLotPoints + split.operatorLotPoints).toBe(
        partnerPoints + operatorPoints,
      );
    },
  );

  it.each([
    ['funding that does not add up', { points: 10n, partnerPoints: 5n, operatorPoints: 4n }, 0n],
    ['a negative debt', { points: 10n, partnerPoints: 10n, operatorPoints: 0n }, -1n],
    ['negative funding', { points: 10n, partnerPoints: 11n, operatorPoints: -1n }, 0n],
  ])('refuses %s as a programming error', (_case, earned, debt) => {
    expect(() => fundingAfterDebt(earned, debt)).toThrow(RangeError);
  });
});
