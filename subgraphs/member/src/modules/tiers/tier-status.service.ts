import type { DataSource } from 'typeorm';
import {
  metricValue,
  rankOf,
  tierReached,
  type TierDefinition,
  type TierLadder,
} from './tier-ladder';
import type { TierChange } from './tier-earn';
import { LADDER_COLUMNS, ladderOf, type LadderRow } from './tier-ladder.service';

export interface TierOverrideView {
  tier: string;
  reason: string;
  endsAt: Date;
  setBy: string;
  setAt: Date;
}

export interface TierChangeView {
  at: Date;
  from: string | null;
  to: string | null;
  reason: TierChange['reason'];
  ladderVersion: number | null;
}

/** Where a member stands on the ladder in force, as Member.tierStatus answers it. */
export interface TierStatusView {
  memberId: string;
  ladder: TierLadder;
  /** The tier the member holds (member.tier): an override's, or the computed one. */
  held: string | null;
  computed: string | null;
  metricValue: bigint;
  periodStartsAt: Date;
  periodEndsAt: Date;
  nextTier: TierDefinition | null;
  missingForNextTier: bigint | null;
  /** When a downgrade may next happen: the end of the period the computed tier is reviewed for, plus the grace period. */
  reviewAt: Date | null;
  override: TierOverrideView | null;
}

interface StatusRow extends LadderRow {
  member_id: string;
  held: string | null;
  computed: string | null;
  period_end: Date | null;
  override_tier: string | null;
  override_reason: string | null;
  override_ends_at: Date | null;
  override_by: string | null;
  override_at: Date | null;
  points: string;
  spend: string;
  partners: string;
  period_starts_at: Date;
  period_ends_at: Date;
}

const DAY_MS = 86_400_000;
const HISTORY_PER_MEMBER = 20;

/**
 * The members' standing under the ladder in force at ledger time, in one statement for every
 * member a request asks about: the counters of the current period (at most 12 month buckets per
 * partner), the status row, the ladder.
 */
const STATUS_SQL = `
  WITH l AS (
    SELECT ${LADDER_COLUMNS}, p.month, p.first_month, p.ends_at AS period_ends_at,
           (p.first_month::timestamp AT TIME ZONE time_zone) AS period_starts_at
      FROM tier_ladder CROSS JOIN LATERAL tier_period(period, time_zone, ledger_now()) p
     WHERE effective_from <= ledger_now() ORDER BY effective_from DESC LIMIT 1)
  SELECT l.*, m.id AS member_id, m.tier AS held, s.tier AS computed, s.period_end,
         s.override_tier, s.override_reason, s.override_ends_at, s.override_by, s.override_at,
         a.points, a.spend, a.partners
    FROM l CROSS JOIN member m
    LEFT JOIN tier_status s ON s.member_id = m.id
    CROSS JOIN LATERAL (
      SELECT coalesce(sum(t.points), 0)::text AS points, coalesce(sum(t.spend), 0)::text AS spend,
             count(DISTINCT t.partner_id) FILTER (WHERE t.purchases > 0)::text AS partners
        FROM tier_activity t WHERE t.member_id = m.id AND t.month BETWEEN l.first_month AND l.month) a
   WHERE m.id = ANY ($1::uuid[])`;

export class TierStatusService {
  constructor(private readonly dataSource: DataSource) {}

  /** Each member's status; none for a member while no ladder is in force. */
  async statusesOf(memberIds: readonly string[]): Promise<Map<string, TierStatusView>> {
    const rows: StatusRow[] = await this.dataSource.query(STATUS_SQL, [memberIds]);
    return new Map(rows.map((row) => [row.member_id, statusOf(row)]));
  }

  /** Each member's latest changes of the tier they hold, newest first. */
  async historiesOf(memberIds: readonly string[]): Promise<Map<string, TierChangeView[]>> {
    const rows: (TierChangeView & { memberId: string })[] = await this.dataSource.query(
      `SELECT h.member_id AS "memberId", h.at, h.from_tier AS "from", h.to_tier AS "to", h.reason, h.ladder_version AS "ladderVersion"
         FROM unnest($1::uuid[]) AS m(id)
         CROSS JOIN LATERAL (SELECT * FROM tier_history h WHERE h.member_id = m.id ORDER BY h.at DESC, h.id DESC LIMIT $2) h`,
      [memberIds, HISTORY_PER_MEMBER],
    );
    const histories = new Map<string, TierChangeView[]>();
    for (const { memberId, ...change } of rows)
      histories.set(memberId, [...(histories.get(memberId) ?? []), change]);
    return histories;
  }
}

function statusOf(row: StatusRow): TierStatusView {
  const ladder = ladderOf(row);
  const value = metricValue(ladder.metric, {
    points: BigInt(row.points),
    spend: BigInt(row.spend),
    partners: BigInt(row.partners),
  });
  // The next rung above both the tier held and the one this period's metric reaches.
  const reachedRank = rankOf(ladder.tiers, tierReached(ladder.tiers, value)?.code ?? null);
  const nextTier =
    ladder.tiers[
      Math.max(rankOf(ladder.tiers, row.held), rankOf(ladder.tiers, row.computed), reachedRank)
    ] ?? null;
  return {
    memberId: row.member_id,
    ladder,
    held: row.held,
    computed: row.computed,
    metricValue: value,
    periodStartsAt: row.period_starts_at,
    periodEndsAt: row.period_ends_at,
    nextTier,
    missingForNextTier: nextTier ? nextTier.threshold - value : null,
    reviewAt:
      row.computed && row.period_end
        ? new Date(row.period_end.getTime() + ladder.graceDays * DAY_MS)
        : null,
    override:
      row.override_tier && row.override_ends_at
        ? {
            tier: row.override_tier,
            reason: row.override_reason ?? '',
            endsAt: row.override_ends_at,
            setBy: row.override_by ?? '',
            setAt: row.override_at ?? row.override_ends_at,
          }
        : null,
  };
}
