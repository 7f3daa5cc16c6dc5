import type { PayloadOf } from '@coalition/shared/feed/facts/catalogue';
import { unhandled } from '@coalition/shared/feed/facts/intake';
import type {
  burnRefunded,
  pointsBurned,
  pointsEarned,
  pointsExpired,
  purchaseRefunded,
} from '@coalition/shared/feed/facts/member-feed';
import type { MemberFact } from './member-fact-intake';

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

/** The partner issues the points it funds (partnerPoints: every point, in facts from before the operator funded bonuses). */
function issuance(f: PayloadOf<typeof pointsEarned>): SettlementItem[] {
  if (f.partnerPoints === 0n) return [];
  return [
    {
      kind: 'ISSUANCE',
      transactionId: f.transactionId,
      originalTransactionId: null,
      partnerId: f.partnerId,
      issuerPartnerId: f.partnerId,
      points: f.partnerPoints,
      at: f.at,
    },
  ];
}

/** One redemption per issuer link, paid to the partner where the points were burned. */
const redemptions = (f: PayloadOf<typeof pointsBurned>): SettlementItem[] =>
  f.links.map((l) => ({
    kind: 'REDEMPTION',
    transactionId: f.transactionId,
    originalTransactionId: null,
    partnerId: f.partnerId,
    issuerPartnerId: l.issuerPartnerId,
    points: l.points,
    at: f.at,
  }));

function issuanceReversal(f: PayloadOf<typeof purchaseRefunded>): SettlementItem[] {
  // A small partial refund can claw back nothing (rounded in the member's favour).
  if (f.issuancePoints === 0n) return [];
  return [
    {
      kind: 'ISSUANCE_REVERSAL',
      transactionId: f.transactionId,
      originalTransactionId: f.reversesId,
      partnerId: f.partnerId,
      issuerPartnerId: f.partnerId,
      points: f.issuancePoints,
      at: f.at,
    },
  ];
}

const redemptionReversal = (f: PayloadOf<typeof burnRefunded>): SettlementItem[] => [
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

/** Breakage per issuer; operator-funded points have no partner to settle with. */
function breakage(f: PayloadOf<typeof pointsExpired>): SettlementItem[] {
  const byIssuer = new Map<string, bigint>();
  for (const l of f.links)
    if (l.issuerPartnerId)
      byIssuer.set(l.issuerPartnerId, (byIssuer.get(l.issuerPartnerId) ?? 0n) + l.points);
  return [...byIssuer].map(([issuer, total]) => ({
    kind: 'BREAKAGE',
    transactionId: f.transactionId,
    originalTransactionId: null,
    partnerId: issuer,
    issuerPartnerId: issuer,
    points: total,
    at: f.at,
  }));
}

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
export function settlementItemsOf(fact: MemberFact): SettlementItem[] {
  switch (fact.type) {
    case 'points.earned':
      return issuance(fact.payload);
    case 'points.burned':
      return redemptions(fact.payload);
    case 'purchase.refunded':
      return issuanceReversal(fact.payload);
    case 'burn.refunded':
      return redemptionReversal(fact.payload);
    case 'points.expired':
      return breakage(fact.payload);
    case 'points.adjusted':
    case 'points.transferred':
    case 'debt.repaid':
      return [];
    default:
      return unhandled(fact);
  }
}
