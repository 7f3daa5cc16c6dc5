import { z } from 'zod';
import type { EntityManager } from 'typeorm';
import type { Fact } from '@coalition/shared/feed/outbox';

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

const points = z.string().regex(/^\d+$/).transform(BigInt);
const link = z.object({
  lotId: z.string().uuid(),
  issuerPartnerId: z.string().uuid().nullable(),
  points,
});
const withLinks = z.object({ links: z.array(link).default([]), at: z.string() });
const earned = z.object({
  lotId: z.string().uuid().nullish(),
  points,
  lotPoints: points.optional(),
  partnerId: z.string().uuid(),
  issuerPartnerId: z.string().uuid().nullish(),
  // Every lot of the earn (the partner's, and the operator-funded one); older facts name one lot.
  lots: z.array(link).optional(),
  at: z.string(),
});
const restored = z.object({ restored: z.array(link).default([]), at: z.string() });
const adjusted = z.object({
  direction: z.enum(['CREDIT', 'DEBIT']),
  lotId: z.string().uuid().nullish(),
  points,
  debtRepaid: points.default(0n),
  links: z.array(link).default([]),
  at: z.string(),
});
const transferred = z.object({
  links: z.array(link),
  received: z.array(link).default([]),
  at: z.string(),
});

const out = (kind: LotFlow['kind'], links: z.infer<typeof link>[], at: string): LotFlow[] =>
  links.map((l) => ({
    kind,
    lotId: l.lotId,
    issuerPartnerId: l.issuerPartnerId,
    points: -l.points,
    at,
  }));
const into = (kind: LotFlow['kind'], links: z.infer<typeof link>[], at: string): LotFlow[] =>
  links.map((l) => ({
    kind,
    lotId: l.lotId,
    issuerPartnerId: l.issuerPartnerId,
    points: l.points,
    at,
  }));

export function lotFlowsOf(fact: Fact): LotFlow[] {
  switch (fact.type) {
    case 'points.earned': {
      const f = earned.parse(fact.payload);
      if (f.lots) return into('EARNED', f.lots, f.at);
      const lotPoints = f.lotPoints ?? f.points;
      return f.lotId && lotPoints > 0n
        ? [
            {
              kind: 'EARNED',
              lotId: f.lotId,
              issuerPartnerId: f.issuerPartnerId ?? f.partnerId,
              points: lotPoints,
              at: f.at,
            },
          ]
        : [];
    }
    case 'points.burned': {
      const f = withLinks.parse(fact.payload);
      return out('REDEEMED', f.links, f.at);
    }
    case 'purchase.refunded': {
      const f = withLinks.parse(fact.payload);
      return out('CLAWED_BACK', f.links, f.at);
    }
    case 'points.expired': {
      const f = withLinks.parse(fact.payload);
      return out('EXPIRED', f.links, f.at);
    }
    case 'debt.repaid': {
      // Points a hold released, taken against the debt a purchase refund recorded when it could not
      // take them: the rest of that clawback, collected late. They leave the float as clawed back
      // (the issuer report counts them there), from whichever issuer's lots they were.
      const f = withLinks.parse(fact.payload);
      return out('CLAWED_BACK', f.links, f.at);
    }
    case 'burn.refunded': {
      const f = restored.parse(fact.payload);
      return into('RESTORED', f.restored, f.at);
    }
    case 'points.adjusted': {
      const f = adjusted.parse(fact.payload);
      if (f.direction === 'DEBIT') return out('DEBITED', f.links, f.at);
      const credited = f.points - f.debtRepaid;
      return f.lotId && credited > 0n
        ? [{ kind: 'CREDITED', lotId: f.lotId, issuerPartnerId: null, points: credited, at: f.at }]
        : [];
    }
    case 'points.transferred': {
      const f = transferred.parse(fact.payload);
      return [
        ...out('TRANSFERRED_OUT', f.links, f.at),
        ...into('TRANSFERRED_IN', f.received, f.at),
      ];
    }
    default:
      return [];
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
