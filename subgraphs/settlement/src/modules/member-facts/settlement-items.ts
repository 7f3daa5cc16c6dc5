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
const earned = z.object({ transactionId: z.string().uuid(), partnerId: z.string().uuid(), points, at: z.string() });
const burned = z.object({ transactionId: z.string().uuid(), partnerId: z.string().uuid(), links: z.array(link), at: z.string() });
const refunded = z.object({ transactionId: z.string().uuid(), partnerId: z.string().uuid(), reversesId: z.string().uuid(), points, at: z.string() });
const expired = z.object({ transactionId: z.string().uuid(), links: z.array(link), at: z.string() });

/**
 * The settlement economics of each fact (the policy statements and the schema describe):
 * - an earn: the partner where it was earned issues the points and pays their issuance price;
 * - a burn: the partner where it was burned is paid its redemption rate, one item per issuer whose
 *   lots the points came from (the liability matrix reads these);
 * - a purchase refund: the partner gets the issuance price back for every point clawed back,
 *   including points the member had already spent (the operator carries that member debt, and
 *   later earnings repay it);
 * - a burn refund: the partner pays its redemption rate back;
 * - an expiry: the issuer's points are breakage, a share of which its contract may return to it.
 * Operator adjustments and household transfers move no money between partners: none.
 */
export function settlementItemsOf(fact: Fact): SettlementItem[] {
  switch (fact.type) {
    case 'points.earned': {
      const f = earned.parse(fact.payload);
      if (f.points === 0n) return [];
      return [{ kind: 'ISSUANCE', transactionId: f.transactionId, originalTransactionId: null, partnerId: f.partnerId, issuerPartnerId: f.partnerId, points: f.points, at: f.at }];
    }
    case 'points.burned': {
      const f = burned.parse(fact.payload);
      return f.links.map((l) => ({ kind: 'REDEMPTION' as const, transactionId: f.transactionId, originalTransactionId: null, partnerId: f.partnerId, issuerPartnerId: l.issuerPartnerId, points: l.points, at: f.at }));
    }
    case 'purchase.refunded': {
      const f = refunded.parse(fact.payload);
      // A small partial refund can claw back nothing (rounded in the member's favour).
      if (f.points === 0n) return [];
      return [{ kind: 'ISSUANCE_REVERSAL', transactionId: f.transactionId, originalTransactionId: f.reversesId, partnerId: f.partnerId, issuerPartnerId: f.partnerId, points: f.points, at: f.at }];
    }
    case 'burn.refunded': {
      const f = refunded.parse(fact.payload);
      return [{ kind: 'REDEMPTION_REVERSAL', transactionId: f.transactionId, originalTransactionId: f.reversesId, partnerId: f.partnerId, issuerPartnerId: null, points: f.points, at: f.at }];
    }
    case 'points.expired': {
      const f = expired.parse(fact.payload);
      const byIssuer = new Map<string, bigint>();
      for (const l of f.links) if (l.issuerPartnerId) byIssuer.set(l.issuerPartnerId, (byIssuer.get(l.issuerPartnerId) ?? 0n) + l.points);
      return [...byIssuer].map(([issuer, total]) => ({ kind: 'BREAKAGE' as const, transactionId: f.transactionId, originalTransactionId: null, partnerId: issuer, issuerPartnerId: issuer, points: total, at: f.at }));
    }
    default:
      return [];
  }
}
