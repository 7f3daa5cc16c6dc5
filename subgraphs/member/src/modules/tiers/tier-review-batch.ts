import type { EntityManager } from 'typeorm';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { tierChangedFact, type TierChange } from './tier-earn';
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

/** Takes the members' locks (the ones earns take), in id order, so two rounds never deadlock. */
export async function lockMembers(manager: EntityManager, memberIds: readonly string[]) {
  await manager.query(
    `SELECT pg_advisory_xact_lock(hashtextextended('member:' || id, 0))
       FROM (SELECT id FROM unnest($1::text[]) AS id ORDER BY id) ids`,
    [memberIds],
  );
}

/**
 * Writes a reviewed batch: every member's earned tier and next review in one statement; for those
 * whose tier held changes, member.tier, the history rows and the facts in three more. Under the
 * members' locks, inside the caller's transaction.
 */
export async function writeReviews(
  manager: EntityManager,
  reviewed: readonly { row: ReviewRow; earned: string | null }[],
  changes: readonly TierChange[],
  now: Date,
): Promise<void> {
  await manager.query(
    `UPDATE tier_status s SET tier = v.tier, period_end = v.next_end, updated_at = $4
       FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS v(member_id, tier, next_end)
      WHERE s.member_id = v.member_id`,
    [
      reviewed.map((r) => r.row.memberId),
      reviewed.map((r) => r.earned),
      reviewed.map((r) => (r.earned ? r.row.currentEnd : null)),
      now,
    ],
  );
  if (changes.length === 0) return;
  const column = <K extends keyof TierChange>(key: K) => changes.map((c) => c[key]);
  await manager.query(
    `UPDATE member m SET tier = v.tier FROM unnest($1::uuid[], $2::text[]) AS v(id, tier) WHERE m.id = v.id`,
    [column('memberId'), column('to')],
  );
  await manager.query(
    `INSERT INTO tier_history (member_id, at, from_tier, to_tier, reason, ladder_version, changed_by)
     SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::text[])`,
    [
      column('memberId'),
      column('at'),
      column('from'),
      column('to'),
      column('reason'),
      column('ladderVersion'),
      column('changedBy'),
    ],
  );
  await appendFacts(manager, changes.map(tierChangedFact));
}
