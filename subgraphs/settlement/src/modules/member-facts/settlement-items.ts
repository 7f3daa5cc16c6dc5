import { z } from 'zod';
import type { Fact } from '@coalition/shared/feed/outbox';

/** What one part of a member fact means for money between partners (see settlement_item). */
export interface SettlementItem {
  kind: 'ISSUANCE' | 'ISSUANCE_REVERSAL' | 'REDEMPTION' | 'REDEMPTION_REVERSAL' | 'BREAKAGE';
  transactionId: string;
  originalTransactionId: string | null;
  /** The partner the money line is for. */
  partnerId: string;
  /** Whose points these were (a burn's lot issuer); null when the operator funded them. */
  issuerPartnerId: string | null;
  points: bigint;
  at: string;
}

const points = z.string().regex(/^\d+$/).transform(BigInt);
const link = z.object({ issuerPartnerId: z.string().uuid().nullable(), points });
// partnerPoints / issuancePoints: the points the partner funds; absent in facts from before the
// operator funded bonuses, when the partner funded every point.
const earned = z.object({
  transactionId: z.string().uuid(),
  partnerId: z.string().uuid(),
  points,
  partnerPoints: points.optional(),
  at: z.string(),
});
const burned = z.object({
  transactionId: z.string().uuid(),
  partnerId: z.string().uuid(),
  links: z.array(link),
  at: z.string(),
});
const refunded = z.object({
  transactionId: z.string().uuid(),
  partnerId: z.string().uuid(),
  reversesId: z.string().uuid(),
  points,
  issuancePoints: points.optional(),
  at: z.string(),
});
const expired = z.object({
  transactionId: z.string().uuid(),
  links: z.array(link),
  at: z.string(),
});

/**
 * The settlement economics of each fact (the policy statements and the schema describe):
 * - an earn: the partner where it was earned issues the points it funds and pays their issuance
 *   price; points the operator funds (tier bonuses, its share of co-funded promotions) cost the
 *   operator nothing up front: it pays their redemption when they are burned;
 * - a burn: the partner where it was burned is paid its redemption rate, one item per issuer whose
 *   lots the points came from (the liability matrix reads these);
 * - a purchase refund: the partner gets the issuance price back for every point it funded that is
 *   clawed back, including points the member had already spent (the operator carries that member
 *   debt, and later earnings repay it);
 * - a burn refund: the partner pays its redemption rate back;
 * - an expiry: the issuer's points are breakage, a share of which its contract may return to it.
 * Operator adjustments and household transfers move no money between partners: none.
 * Nor does a debt repayment (points a hold released, taken against that member debt): the
 * refunding partner already got the issuance price back for them with its refund, and the operator,
 * which carried the debt, keeps the issuance its issuer paid for the points now consumed, which
 * will never be redeemed nor expire. Its lot flows take them out of the float (lot-flows.ts).
 */
export function settlementItemsOf(fact: Fact): SettlementItem[] {
  switch (fact.type) {
    case 'points.earned': {
      const f = earned.parse(fact.payload);
      const issued = f.partnerPoints ?? f.points;
      if (issued === 0n) return [];
      return [
        {
          kind: 'ISSUANCE',
          transactionId: f.transactionId,
          originalTransactionId: null,
          partnerId: f.partnerId,
          issuerPartnerId: f.partnerId,
          points: issued,
          at: f.at,
        },
      ];
    }
    case 'points.burned': {
      const f = burned.parse(fact.payload);
      return f.links.map((l) => ({
        kind: 'REDEMPTION' as const,
        transactionId: f.transactionId,
        originalTransactionId: null,
        partnerId: f.partnerId,
        issuerPartnerId: l.issuerPartnerId,
        points: l.points,
        at: f.at,
      }));
    }
    case 'purchase.refunded': {
      const f = refunded.parse(fact.payload);
      const reversed = f.issuancePoints ?? f.points;
      // A small partial refund can claw back nothing (rounded in the member's favour).
      if (reversed === 0n) return [];
      return [
        {
          kind: 'ISSUANCE_REVERSAL',
          transactionId: f.transactionId,
          originalTransactionId: f.reversesId,
          partnerId: f.partnerId,
          issuerPartnerId: f.partnerId,
          points: reversed,
          at: f.at,
        },
      ];
    }
    case 'burn.refunded': {
      const f = refunded.parse(fact.payload);
      return [
        {
          kind: 'REDEMPTION_REVERSAL',
          transactionId: f.transactionId,
          originalTransactionId: f.reversesId,
          partnerId: f.partnerId,
          issuerPartnerId: null,
          points: f.points,
          at: f.at,
        },
      ];
    }
    case 'points.expired': {
      const f = expired.parse(fact.payload);
      const byIssuer = new Map<string, bigint>();
      for (const l of f.links)
        if (l.issuerPartnerId)
          byIssuer.set(l.issuerPartnerId, (byIssuer.get(l.issuerPartnerId) ?? 0n) + l.points);
      return [...byIssuer].map(([issuer, total]) => ({
        kind: 'BREAKAGE' as const,
        transactionId: f.transactionId,
        originalTransactionId: null,
        partnerId: issuer,
        issuerPartnerId: issuer,
        points: total,
        at: f.at,
      }));
    }
    case 'debt.repaid':
      return [];
    default:
      return [];
  }
}
