import type { DataSource } from 'typeorm';
import { OPERATOR } from '../journal/netting';

/** Age buckets of outstanding points, by the day their lot was created; the last is open-ended. */
export const AGE_BUCKETS = [
  { label: '0-90', fromDays: 0, toDays: 90 },
  { label: '91-180', fromDays: 91, toDays: 180 },
  { label: '181-365', fromDays: 181, toDays: 365 },
  { label: '366-730', fromDays: 366, toDays: 730 },
  { label: '731+', fromDays: 731, toDays: null },
] as const;

export interface OutstandingPoints {
  issuer: string;
  ageBucket: string;
  lots: number;
  points: bigint;
  /** At the issuer's current contract price; null without a contract in effect. */
  value: { currency: string; amount: bigint } | null;
}

export interface IssuerSummary {
  issuer: string;
  pointsIssued: bigint;
  pointsRedeemed: bigint;
  pointsExpired: bigint;
  pointsClawedBack: bigint;
  pointsOutstanding: bigint;
  /** Redeemed as a share of issued, in basis points (10000 = all of them). */
  redemptionRateBps: number | null;
  /** Breakage of closed cycles, in the issuer's currency: its share and the operator's. */
  breakage: { currency: string; partnerShare: bigint; operatorShare: bigint }[];
}

/**
 * Operator reports over everything settlement has taken in: the liability float (points
 * outstanding by issuer and age), and per issuer what was issued, redeemed, expired and clawed
 * back, the redemption rate, and the breakage closed cycles settled. Set-based, in one snapshot.
 */
export class ReportsService {
  constructor(private readonly dataSource: DataSource) {}

  /** The ledger time of the latest fact taken in; null before any. */
  async lastFactAt(): Promise<Date | null> {
    const rows: { at: Date | null }[] = await this.dataSource.query(
      'SELECT max(at) AS at FROM lot_flow',
    );
    return rows[0]?.at ?? null;
  }

  async outstanding(asOf: Date): Promise<OutstandingPoints[]> {
    const buckets = AGE_BUCKETS.map(
      (b, i) =>
        `WHEN age_days >= ${b.fromDays}${b.toDays === null ? '' : ` AND age_days <= ${b.toDays}`} THEN ${i}`,
    ).join(' ');
    const rows: {
      issuer: string;
      bucket: number;
      lots: string;
      points: string;
      currency: string | null;
      amount: string | null;
    }[] = await this.dataSource.query(
      `WITH lots AS (
         SELECT lot_id, sum(points) AS points,
                (array_agg(issuer_partner_id ORDER BY tx_id, seq, n))[1] AS issuer,
                floor(extract(epoch FROM ($1::timestamptz - min(at))) / 86400)::int AS age_days
           FROM lot_flow GROUP BY lot_id HAVING sum(points) <> 0
       ), bucketed AS (
         SELECT coalesce(issuer::text, '${OPERATOR}') AS issuer, issuer AS issuer_id, CASE ${buckets} ELSE 0 END AS bucket, count(*) AS lots, sum(points) AS points
           FROM lots GROUP BY 1, 2, 3
       )
       SELECT b.issuer, b.bucket, b.lots, b.points, c.currency, round(b.points * c.issuance_price_micros / 1000000.0)::bigint AS amount
         FROM bucketed b
         LEFT JOIN contract_version c ON c.partner_id = b.issuer_id AND c.effective_from <= $1 AND (c.effective_to IS NULL OR c.effective_to > $1)
        ORDER BY b.issuer, b.bucket`,
      [asOf],
    );
    return rows.map((r) => ({
      issuer: r.issuer,
      ageBucket: AGE_BUCKETS[r.bucket]!.label,
      lots: Number(r.lots),
      points: BigInt(r.points),
      value:
        r.currency && r.amount !== null
          ? { currency: r.currency.trim(), amount: BigInt(r.amount) }
          : null,
    }));
  }

  async issuers(): Promise<IssuerSummary[]> {
    const flows: {
      issuer: string;
      issued: string;
      redeemed: string;
      expired: string;
      clawed: string;
      outstanding: string;
    }[] = await this.dataSource.query(
      `SELECT coalesce(issuer_partner_id::text, '${OPERATOR}') AS issuer,
              coalesce(sum(points) FILTER (WHERE kind IN ('EARNED', 'CREDITED')), 0) AS issued,
              coalesce(-sum(points) FILTER (WHERE kind = 'REDEEMED'), 0) - coalesce(sum(points) FILTER (WHERE kind = 'RESTORED'), 0) AS redeemed,
              coalesce(-sum(points) FILTER (WHERE kind = 'EXPIRED'), 0) AS expired,
              coalesce(-sum(points) FILTER (WHERE kind IN ('CLAWED_BACK', 'DEBITED')), 0) AS clawed,
              sum(points) AS outstanding
         FROM lot_flow GROUP BY 1 ORDER BY 1`,
    );
    const breakage: {
      issuer: string;
      currency: string;
      partner_share: string;
      operator_share: string;
    }[] = await this.dataSource.query(
      `SELECT j.issuer_partner_id::text AS issuer, j.currency,
              round(coalesce(sum(j.amount_micros) FILTER (WHERE j.kind = 'BREAKAGE_SHARE'), 0) / 1000000.0)::bigint AS partner_share,
              round(coalesce(sum(j.amount_micros) FILTER (WHERE j.kind = 'BREAKAGE_OPERATOR'), 0) / 1000000.0)::bigint AS operator_share
         FROM journal_entry j JOIN settlement_cycle c ON c.id = j.cycle_id AND c.status <> 'DRAFT' AND c.number IS NOT NULL
        WHERE j.kind IN ('BREAKAGE_SHARE', 'BREAKAGE_OPERATOR')
        GROUP BY j.issuer_partner_id, j.currency`,
    );
    return flows.map((f) => {
      const issued = BigInt(f.issued);
      const redeemed = BigInt(f.redeemed);
      return {
        issuer: f.issuer,
        pointsIssued: issued,
        pointsRedeemed: redeemed,
        pointsExpired: BigInt(f.expired),
        pointsClawedBack: BigInt(f.clawed),
        pointsOutstanding: BigInt(f.outstanding),
        redemptionRateBps: issued > 0n ? Number((redeemed * 10_000n) / issued) : null,
        breakage: breakage
          .filter((b) => b.issuer === f.issuer)
          .map((b) => ({
            currency: b.currency.trim(),
            partnerShare: BigInt(b.partner_share),
            operatorShare: BigInt(b.operator_share),
          })),
      };
    });
  }
}
