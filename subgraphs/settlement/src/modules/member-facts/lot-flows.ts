import type { EntityManager } from 'typeorm';
import type { PayloadOf } from '@coalition/shared/feed/facts/catalogue';
import { unhandled } from '@coalition/shared/feed/facts/intake';
import type { pointsAdjusted } from '@coalition/shared/feed/facts/member-feed';
import type { MemberFact } from './member-fact-intake';

/**
 * Points into and out of members' lots, as the member facts tell them: what the liability float
 * (points outstanding by issuer and age) is computed from. A lot's first flow is its creation,
 * so the age of what remains in it is the age of that flow.
 */
export interface LotFlow {
  kind:
    | 'EARNED'
    | 'RESTORED'
    | 'CREDITED'
    | 'TRANSFERRED_IN'
    | 'REDEEMED'
    | 'CLAWED_BACK'
    | 'EXPIRED'
    | 'DEBITED'
    | 'TRANSFERRED_OUT';
  lotId: string;
  /** Null: the operator funded the points. */
  issuerPartnerId: string | null;
  /** Positive into the lot, negative out of it. */
  points: bigint;
  at: string;
}

interface Link {
  lotId: string;
  issuerPartnerId: string | null;
  points: bigint;
}

/** One flow per link: points into the lots (+1n) or out of them (-1n). */
const flows =
  (sign: 1n | -1n) =>
  (kind: LotFlow['kind'], links: readonly Link[], at: string): LotFlow[] =>
    links.map((l) => ({
      kind,
      lotId: l.lotId,
      issuerPartnerId: l.issuerPartnerId,
      points: sign * l.points,
      at,
    }));
const into = flows(1n);
const out = flows(-1n);

/** A debit leaves the lots it took from; a credit enters its new operator-funded lot, less any debt it repaid. */
function adjustmentFlows(f: PayloadOf<typeof pointsAdjusted>): LotFlow[] {
  if (f.direction === 'DEBIT') return out('DEBITED', f.links, f.at);
  const credited = f.points - f.debtRepaid;
  return f.lotId && credited > 0n
    ? [{ kind: 'CREDITED', lotId: f.lotId, issuerPartnerId: null, points: credited, at: f.at }]
    : [];
}

export function lotFlowsOf(fact: MemberFact): LotFlow[] {
  const at = fact.payload.at;
  switch (fact.type) {
    case 'points.earned':
      // Every lot of the earn: the partner's, and the operator-funded one.
      return into('EARNED', fact.payload.lots, at);
    case 'points.burned':
      return out('REDEEMED', fact.payload.links, at);
    case 'purchase.refunded':
      return out('CLAWED_BACK', fact.payload.links, at);
    case 'points.expired':
      return out('EXPIRED', fact.payload.links, at);
    case 'debt.repaid':
      // Points a hold released, taken against the debt a purchase refund recorded when it could not
      // take them: the rest of that clawback, collected late. They leave the float as clawed back
      // (the issuer report counts them there), from whichever issuer's lots they were.
      return out('CLAWED_BACK', fact.payload.links, at);
    case 'burn.refunded':
      return into('RESTORED', fact.payload.restored, at);
    case 'points.adjusted':
      return adjustmentFlows(fact.payload);
    case 'points.transferred':
      return [
        ...out('TRANSFERRED_OUT', fact.payload.links, at),
        ...into('TRANSFERRED_IN', fact.payload.received, at),
      ];
    default:
      return unhandled(fact);
  }
}

/** Records one fact's lot flows under its feed position: the lot_flow migration's backfill (the intake records whole pages, recordMemberFacts). */
export async function recordLotFlows(
  manager: EntityManager,
  txId: string,
  seq: string,
  flows: readonly LotFlow[],
): Promise<void> {
  if (flows.length === 0) return;
  await manager.query(
    `INSERT INTO lot_flow (tx_id, seq, n, kind, lot_id, issuer_partner_id, points, at)
     SELECT $1, $2, n - 1, kind, lot_id, issuer_partner_id, points, at
       FROM unnest($3::text[], $4::uuid[], $5::uuid[], $6::bigint[], $7::timestamptz[]) WITH ORDINALITY AS f (kind, lot_id, issuer_partner_id, points, at, n)`,
    [
      txId,
      seq,
      flows.map((f) => f.kind),
      flows.map((f) => f.lotId),
      flows.map((f) => f.issuerPartnerId),
      flows.map((f) => f.points.toString()),
      flows.map((f) => f.at),
    ],
  );
}
