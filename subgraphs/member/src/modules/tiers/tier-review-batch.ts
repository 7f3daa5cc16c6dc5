import type { DataSource, EntityManager } from 'typeorm';
import { execute } from '@coalition/shared/db/sql';
import {
  higherTier,
  metricValue,
  tierAfterReview,
  type PeriodMetrics,
  type TierLadder,
} from './tier-ladder';

/** A due member as one statement reads a whole batch of them: what the review decides on. */
export interface ReviewRow {
  memberId: string;
  /** The earned tier, and the end of the period it is reviewed for. */
  tier: string;
  periodEnd: Date;
  /** The tier held (member.tier), and an override still in force. */
  held: string | null;
  override: string | null;
  ended: PeriodMetrics;
  current: PeriodMetrics;
  /** The end of the period holding now: the next review's. */
  currentEnd: Date;
}

/**
 * What a review makes of a member: the earned tier they keep (the better of the ended period and
 * the current one, at most one step down) and the tier they then hold (the higher of that and an
 * override in force).
 */
export function reviewOutcome(
  ladder: TierLadder,
  row: Pick<ReviewRow, 'tier' | 'override' | 'ended' | 'current'>,
): { earned: string | null; held: string | null } {
  const best = [row.ended, row.current]
    .map((m) => metricValue(ladder.metric, m))
    .reduce((a, b) => (a > b ? a : b));
  const earned = tierAfterReview(ladder.tiers, row.tier, best);
  return { earned, held: higherTier(ladder.tiers, row.override, earned) };
}

const metricsOf = (points: string, spend: string, partners: string): PeriodMetrics => ({
  points: BigInt(points),
  spend: BigInt(spend),
  partners: BigInt(partners),
});

interface Row {
  member_id: string;
  tier: string;
  period_end: Date;
  held: string | null;
  override: string | null;
  current_end: Date;
  e_points: string;
  e_spend: string;
  e_partners: string;
  c_points: string;
  c_spend: string;
  c_partners: string;
}

/**
 * The metrics of a batch of due members in one statement: each member's month rows over both
 * periods (the one that ended and the current one), summed once per period with FILTER.
 */
const BATCH_SQL = `
  SELECT s.member_id, s.tier, s.period_end, m.tier AS held,
         CASE WHEN s.override_ends_at > $2 THEN s.override_tier END AS override, pc.ends_at AS current_end,
         a.e_points, a.e_spend, a.e_partners, a.c_points, a.c_spend, a.c_partners
    FROM tier_status s JOIN member m ON m.id = s.member_id
   CROSS JOIN LATERAL tier_period($3, $4, s.period_end - interval '1 millisecond') pe
   CROSS JOIN LATERAL tier_period($3, $4, $2) pc
   CROSS JOIN LATERAL (
     SELECT coalesce(sum(t.points) FILTER (WHERE t.month BETWEEN pe.first_month AND pe.month), 0)::text AS e_points,
            coalesce(sum(t.spend) FILTER (WHERE t.month BETWEEN pe.first_month AND pe.month), 0)::text AS e_spend,
            (count(DISTINCT t.partner_id) FILTER (WHERE t.month BETWEEN pe.first_month AND pe.month AND t.purchases > 0))::text AS e_partners,
            coalesce(sum(t.points) FILTER (WHERE t.month BETWEEN pc.first_month AND pc.month), 0)::text AS c_points,
            coalesce(sum(t.spend) FILTER (WHERE t.month BETWEEN pc.first_month AND pc.month), 0)::text AS c_spend,
            (count(DISTINCT t.partner_id) FILTER (WHERE t.month BETWEEN pc.first_month AND pc.month AND t.purchases > 0))::text AS c_partners
       FROM tier_activity t
      WHERE t.member_id = s.member_id AND t.month BETWEEN least(pe.first_month, pc.first_month) AND greatest(pe.month, pc.month)) a
   WHERE s.member_id = ANY ($1::uuid[]) AND s.tier IS NOT NULL`;

/** Reads the batch; inside a member's transaction (its status row locked), or outside any. */
export async function readReviewRows(
  db: Pick<EntityManager, 'query'>,
  memberIds: readonly string[],
  ladder: TierLadder,
  now: Date,
): Promise<ReviewRow[]> {
  const rows: Row[] = await db.query(BATCH_SQL, [memberIds, now, ladder.period, ladder.timeZone]);
  return rows.map((r) => ({
    memberId: r.member_id,
    tier: r.tier,
    periodEnd: r.period_end,
    held: r.held,
    override: r.override,
    ended: metricsOf(r.e_points, r.e_spend, r.e_partners),
    current: metricsOf(r.c_points, r.c_spend, r.c_partners),
    currentEnd: r.current_end,
  }));
}

/**
 * Moves the review of members who keep everything on to their next period's end, in one
 * statement. No lock: a row an earn or another round changed since it was read (its tier or its
 * period end moved) is left alone, and counted out.
 */
export async function keepAll(
  dataSource: DataSource,
  kept: readonly ReviewRow[],
  now: Date,
): Promise<number> {
  if (kept.length === 0) return 0;
  const { count } = await execute(
    dataSource.manager,
    `UPDATE tier_status s SET period_end = v.next_end, updated_at = $5
       FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS v(member_id, tier, period_end, next_end)
      WHERE s.member_id = v.member_id AND s.tier = v.tier AND s.period_end = v.period_end`,
    [
      kept.map((k) => k.memberId),
      kept.map((k) => k.tier),
      kept.map((k) => k.periodEnd),
      kept.map((k) => k.currentEnd),
      now,
    ],
  );
  return count;
}
