import { describe, expect, it } from 'vitest';
import {
  periodOf,
  pointsSummaryOf,
  reachForViewer,
  windowOf,
  type TransactionGroup,
} from './partner-totals';

const at = (iso: string) => new Date(iso);
const DAY_MS = 86_400_000;
const period = { from: at('2026-01-01T00:00:00Z'), to: at('2026-02-01T00:00:00Z') };
const group = (
  kind: string,
  reversesKind: string | null,
  transactions: bigint,
  points: bigint,
): TransactionGroup => ({ kind, reversesKind, transactions, points });

describe('a period for partner totals', () => {
  it.each([
    ['one millisecond', 1],
    ['a day', DAY_MS],
    ['366 days, a leap year', 366 * DAY_MS],
  ])('accepts %s', (_, lengthMs) => {
    const from = at('2028-01-01T00:00:00Z');
    expect(periodOf(from, new Date(from.getTime() + lengthMs))).toEqual({
      from,
      to: new Date(from.getTime() + lengthMs),
    });
  });

  it.each([
    ['an empty period', 0, 'from'],
    ['a period that ends before it starts', -1, 'from'],
    ['366 days and a millisecond', 366 * DAY_MS + 1, 'to'],
  ])('refuses %s with BAD_USER_INPUT naming the field', (_, lengthMs, field) => {
    const from = at('2028-01-01T00:00:00Z');
    expect(() => periodOf(from, new Date(from.getTime() + lengthMs))).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field } }),
    );
  });

  it('lets a list filter leave either end open, but not end before it starts', () => {
    expect(windowOf(null, undefined)).toEqual({});
    expect(windowOf(period.from, null)).toEqual({ from: period.from });
    expect(windowOf(undefined, period.to)).toEqual({ to: period.to });
    expect(windowOf(period.from, new Date(period.from.getTime() + 400 * DAY_MS))).toHaveProperty(
      'to',
    );
    expect(() => windowOf(period.to, period.from)).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'from' } }),
    );
  });
});

describe("a partner's points summary", () => {
  it('is all zeros for a period without transactions', () => {
    expect(pointsSummaryOf(period, [])).toEqual({
      ...period,
      pointsIssued: 0n,
      earnCount: 0,
      pointsRedeemed: 0n,
      burnCount: 0,
      pointsClawedBack: 0n,
      purchaseRefundCount: 0,
      pointsGivenBack: 0n,
      burnRefundCount: 0,
      netPointsIssued: 0n,
      netPointsRedeemed: 0n,
      transactionCount: 0,
    });
  });

  it('keeps reversals apart from what they reverse, and nets them', () => {
    const summary = pointsSummaryOf(period, [
      group('EARN', null, 3n, 180n),
      group('BURN', null, 1n, 25n),
      group('REFUND', 'EARN', 1n, 10n),
      group('REFUND', 'BURN', 2n, 5n),
    ]);
    expect(summary).toMatchObject({
      pointsIssued: 180n,
      earnCount: 3,
      pointsRedeemed: 25n,
      burnCount: 1,
      pointsClawedBack: 10n,
      purchaseRefundCount: 1,
      pointsGivenBack: 5n,
      burnRefundCount: 2,
      netPointsIssued: 170n,
      netPointsRedeemed: 20n,
      transactionCount: 7,
    });
  });

  it('nets below zero when the period refunds more than it issued (the purchases were earlier)', () => {
    expect(pointsSummaryOf(period, [group('REFUND', 'EARN', 1n, 40n)])).toMatchObject({
      pointsIssued: 0n,
      pointsClawedBack: 40n,
      netPointsIssued: -40n,
    });
  });

  it.each([
    ['a kind that never happens at a partner', group('EXPIRY', null, 1n, 5n)],
    ['a refund of something other than an earn or a burn', group('REFUND', 'TRANSFER', 1n, 5n)],
    ['negative points', group('EARN', null, 1n, -5n)],
  ])('fails loudly on %s (a programmer error, not a business outcome)', (_, bad) => {
    expect(() => pointsSummaryOf(period, [bad])).toThrow(/Assertion failed/);
  });
});

describe('what a partner learns of its reach', () => {
  it.each([
    ['9 members: the partner gets the member count only', 9, false, null],
    ['10 members: the partner gets both counts', 10, false, 4],
    ['9 members: an operator gets both counts', 9, true, 4],
  ])('%s', (_, members, operator, elsewhere) => {
    expect(reachForViewer({ members, membersAlsoElsewhere: 4 }, operator)).toEqual({
      members,
      membersAlsoElsewhere: elsewhere,
    });
  });
});
