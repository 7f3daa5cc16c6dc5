import type { DataSource } from 'typeorm';
import { sqlFile } from '@coalition/shared/db/sql-file';
import { OPERATOR } from '../journal/netting';

/** Age buckets of outstanding points, by the day their lot was created; the last is open-ended. */
export const AGE_BUCKETS = [
  { label: '0-90', fromDays: 0, toDays: 90 },
  { label: '91-180', fromDays: 91, toDays: 180 },
  { label: '181-365', fromDays: 181, toDays: 365 },
  { label: '366-730', fromDays: 366, toDays: 730 },
  { label: '731+', fromDays: 731, toDays: null },
] as const;

/** The CASE arms that number a lot's bucket by its age in days. */
const ageBucket = AGE_BUCKETS.map(
  (b, i) =>
    `WHEN age_days >= ${b.fromDays}${b.toDays === null ? '' : ` AND age_days <= ${b.toDays}`} THEN ${i}`,
).join(' ');

const SQL = {
  outstanding: sqlFile(new URL('./sql/outstanding.sql', import.meta.url), {
    ageBucket,
    operator: OPERATOR,
  }),
  issuerFlows: sqlFile(new URL('./sql/issuer-flows.sql', import.meta.url), { operator: OPERATOR }),
  issuerBreakage: sqlFile(new URL('./sql/issuer-breakage.sql', import.meta.url)),
};

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
    const rows: {
      issuer: string;
      bucket: number;
      lots: string;
      points: string;
      currency: string | null;
      amount: string | null;
    }[] = await this.dataSource.query(SQL.outstanding, [asOf]);
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
    }[] = await this.dataSource.query(SQL.issuerFlows);
    const breakage: {
      issuer: string;
      currency: string;
      partner_share: string;
      operator_share: string;
    }[] = await this.dataSource.query(SQL.issuerBreakage);
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
