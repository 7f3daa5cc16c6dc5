import { describe, expect, it } from 'vitest';
import type { Fact } from '@coalition/shared/feed/outbox';
import { lotFlowsOf } from './lot-flows';
import { memberFeedIntake, type MemberFact } from './member-fact-intake';
import { settlementItemsOf } from './settlement-items';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const T = '00000000-0000-4000-8000-0000000000f1';
const O = '00000000-0000-4000-8000-0000000000f0';
const L1 = '00000000-0000-4000-8000-000000000101';
const L2 = '00000000-0000-4000-8000-000000000102';
const L3 = '00000000-0000-4000-8000-000000000103';
const M = '00000000-0000-4000-8000-0000000000e1';
const M2 = '00000000-0000-4000-8000-0000000000e2';
const S = '00000000-0000-4000-8000-0000000000c1';
const at = '2026-11-25T10:00:00.000Z';
const raw = (type: string, payload: Record<string, unknown>): Fact => ({
  position: '1.1',
  type,
  key: M,
  payload,
  recordedAt: at,
});
/** A member fact as settlement's intake reads it (the fields these cases are not about, filled in). */
const fact = (type: string, payload: Record<string, unknown>): MemberFact => {
  const known = memberFeedIntake.read(raw(type, { memberId: M, ...payload }));
  if (!known) throw new Error(`settlement handles ${type}`);
  return known;
};
/** What every earn fact carries beside its points. */
const purchase = {
  storeId: S,
  receiptId: 'receipt-1',
  availableAt: at,
  expiresAt: at,
  purchase: {
    total: '10000',
    currency: 'EUR',
    occurredAt: at,
    lines: [{ sku: 'sku-1', category: 'FOOD', amount: '10000' }],
  },
};
const refund = { storeId: S, refundedAmount: '5000' };

describe('what a member fact means for settlement', () => {
  it('an earn: the partner issues all its points, even those that repay a debt; the lot gets the rest', () => {
    const earned = fact('points.earned', {
      ...purchase,
      transactionId: T,
      partnerId: A,
      issuerPartnerId: A,
      points: '100',
      debtRepaid: '30',
      lotId: L1,
      lotPoints: '70',
      at,
    });
    expect(settlementItemsOf(earned)).toEqual([
      {
        kind: 'ISSUANCE',
        transactionId: T,
        originalTransactionId: null,
        partnerId: A,
        issuerPartnerId: A,
        points: 100n,
        at,
      },
    ]);
    expect(lotFlowsOf(earned)).toEqual([
      { kind: 'EARNED', lotId: L1, issuerPartnerId: A, points: 70n, at },
    ]);
  });

  it('an earn with operator-funded bonus points: the partner pays issuance on its own points only; both lots enter the float', () => {
    const earned = fact('points.earned', {
      ...purchase,
      transactionId: T,
      partnerId: A,
      issuerPartnerId: A,
      points: '61',
      partnerPoints: '51',
      operatorPoints: '10',
      debtRepaid: '0',
      lotId: L1,
      lotPoints: '51',
      lots: [
        { lotId: L1, issuerPartnerId: A, points: '51' },
        { lotId: L2, issuerPartnerId: null, points: '10' },
      ],
      at,
    });
    expect(settlementItemsOf(earned).map((i) => [i.kind, i.partnerId, i.points])).toEqual([
      ['ISSUANCE', A, 51n],
    ]);
    expect(lotFlowsOf(earned).map((f) => [f.kind, f.lotId, f.issuerPartnerId, f.points])).toEqual([
      ['EARNED', L1, A, 51n],
      ['EARNED', L2, null, 10n],
    ]);
  });

  it('a purchase refund of a bonus earn gives the partner back issuance on the share it funded', () => {
    const refunded = fact('purchase.refunded', {
      ...refund,
      transactionId: T,
      partnerId: A,
      reversesId: O,
      points: '61',
      issuancePoints: '51',
      debtRecorded: '0',
      links: [
        { lotId: L1, issuerPartnerId: A, points: '51' },
        { lotId: L2, issuerPartnerId: null, points: '10' },
      ],
      at,
    });
    expect(settlementItemsOf(refunded).map((i) => [i.kind, i.partnerId, i.points])).toEqual([
      ['ISSUANCE_REVERSAL', A, 51n],
    ]);
    expect(lotFlowsOf(refunded).map((f) => [f.lotId, f.points])).toEqual([
      [L1, -51n],
      [L2, -10n],
    ]);
  });

  it('an earn of operator-funded points only costs the partner nothing', () => {
    const earned = fact('points.earned', {
      ...purchase,
      transactionId: T,
      partnerId: A,
      points: '5',
      partnerPoints: '0',
      operatorPoints: '5',
      lots: [{ lotId: L2, issuerPartnerId: null, points: '5' }],
      at,
    });
    expect(settlementItemsOf(earned)).toEqual([]);
  });

  it('a burn: one redemption per issuer link, paid to the partner where it was burned', () => {
    const burned = fact('points.burned', {
      transactionId: T,
      partnerId: B,
      storeId: null,
      holdId: null,
      points: '50',
      links: [
        { lotId: L1, issuerPartnerId: A, points: '20' },
        { lotId: L2, issuerPartnerId: null, points: '30' },
      ],
      at,
    });
    expect(
      settlementItemsOf(burned).map((i) => [i.kind, i.partnerId, i.issuerPartnerId, i.points]),
    ).toEqual([
      ['REDEMPTION', B, A, 20n],
      ['REDEMPTION', B, null, 30n],
    ]);
    expect(lotFlowsOf(burned).map((f) => [f.kind, f.lotId, f.points])).toEqual([
      ['REDEEMED', L1, -20n],
      ['REDEEMED', L2, -30n],
    ]);
  });

  it('a purchase refund reverses issuance for every point clawed back, debt included; a burn refund reverses the redemption', () => {
    const refunded = fact('purchase.refunded', {
      ...refund,
      transactionId: T,
      partnerId: A,
      reversesId: O,
      points: '40',
      debtRecorded: '10',
      links: [{ lotId: L1, issuerPartnerId: A, points: '30' }],
      at,
    });
    expect(settlementItemsOf(refunded)).toEqual([
      {
        kind: 'ISSUANCE_REVERSAL',
        transactionId: T,
        originalTransactionId: O,
        partnerId: A,
        issuerPartnerId: A,
        points: 40n,
        at,
      },
    ]);
    expect(lotFlowsOf(refunded).map((f) => [f.kind, f.points])).toEqual([['CLAWED_BACK', -30n]]);
    const burnRefund = fact('burn.refunded', {
      transactionId: T,
      partnerId: B,
      reversesId: O,
      points: '25',
      debtRepaid: '0',
      restored: [{ lotId: L3, fromLotId: L1, issuerPartnerId: A, points: '25' }],
      at,
    });
    expect(settlementItemsOf(burnRefund)).toEqual([
      {
        kind: 'REDEMPTION_REVERSAL',
        transactionId: T,
        originalTransactionId: O,
        partnerId: B,
        issuerPartnerId: null,
        points: 25n,
        at,
      },
    ]);
    expect(lotFlowsOf(burnRefund)).toEqual([
      { kind: 'RESTORED', lotId: L3, issuerPartnerId: A, points: 25n, at },
    ]);
  });

  it("a refund that claws back nothing (a small part, rounded in the member's favour) means nothing for money", () => {
    const refunded = fact('purchase.refunded', {
      ...refund,
      transactionId: T,
      partnerId: A,
      reversesId: O,
      points: '0',
      debtRecorded: '0',
      links: [],
      at,
    });
    expect(settlementItemsOf(refunded)).toEqual([]);
    expect(lotFlowsOf(refunded)).toEqual([]);
  });

  it('an expiry is breakage per issuer; operator-funded points have no partner to settle with', () => {
    const expired = fact('points.expired', {
      transactionId: T,
      points: '60',
      links: [
        { lotId: L1, issuerPartnerId: A, points: '10' },
        { lotId: L2, issuerPartnerId: A, points: '20' },
        { lotId: L3, issuerPartnerId: null, points: '30' },
      ],
      at,
    });
    expect(settlementItemsOf(expired).map((i) => [i.kind, i.partnerId, i.points])).toEqual([
      ['BREAKAGE', A, 30n],
    ]);
    expect(lotFlowsOf(expired).map((f) => f.points)).toEqual([-10n, -20n, -30n]);
  });

  it('adjustments and transfers move no money between partners, only points between lots', () => {
    const credit = fact('points.adjusted', {
      transactionId: T,
      direction: 'CREDIT',
      reason: 'goodwill',
      points: '15',
      debtRepaid: '5',
      lotId: L1,
      links: [],
      at,
    });
    const transfer = fact('points.transferred', {
      transactionId: T,
      inTransactionId: O,
      fromMemberId: M,
      toMemberId: M2,
      points: '8',
      links: [{ lotId: L1, issuerPartnerId: A, points: '8' }],
      received: [{ lotId: L2, fromLotId: L1, issuerPartnerId: A, points: '6' }],
      debtRepaid: '2',
      at,
    });
    expect(settlementItemsOf(credit)).toEqual([]);
    expect(settlementItemsOf(transfer)).toEqual([]);
    expect(lotFlowsOf(credit)).toEqual([
      { kind: 'CREDITED', lotId: L1, issuerPartnerId: null, points: 10n, at },
    ]);
    expect(lotFlowsOf(transfer).map((f) => [f.kind, f.points])).toEqual([
      ['TRANSFERRED_OUT', -8n],
      ['TRANSFERRED_IN', 6n],
    ]);
  });

  it('a debt repayment moves no money (the refund already reversed the issuance) and takes the lots it consumed out of the float, as clawed back', () => {
    const repaid = fact('debt.repaid', {
      transactionId: T,
      memberId: O,
      points: '35',
      holdIds: [O],
      cause: 'VOIDED',
      released: '50',
      debtLeft: '0',
      links: [
        { lotId: L1, issuerPartnerId: A, points: '20' },
        { lotId: L2, issuerPartnerId: null, points: '15' },
      ],
      at,
    });
    expect(settlementItemsOf(repaid)).toEqual([]);
    expect(lotFlowsOf(repaid)).toEqual([
      { kind: 'CLAWED_BACK', lotId: L1, issuerPartnerId: A, points: -20n, at },
      { kind: 'CLAWED_BACK', lotId: L2, issuerPartnerId: null, points: -15n, at },
    ]);
  });

  it('ignores facts that are not about points', () => {
    expect(memberFeedIntake.read(raw('member.enrolled', { memberId: A, enrolledAt: at }))).toBe(
      undefined,
    );
  });
});
