import type { DataSource, EntityManager } from 'typeorm';
import { lockAggregate } from '@coalition/shared/db/locks';
import { inTransaction } from '@coalition/shared/db/transaction';
import { limits } from '@coalition/shared/limits';
import type { Logger } from '@coalition/shared/logger';
import {
  higherTier,
  metricValue,
  rankOf,
  tierAfterReview,
  type PeriodMetrics,
  type TierLadder,
} from './tier-ladder';
import { LADDER_COLUMNS, ladderOf, type LadderRow } from './tier-ladder.service';
import { heldTiers, recordChange } from './tier-override.service';

export interface TierReviewReport {
  /** Members whose period ended (and grace passed) and were reviewed. */
  reviewed: number;
  downgraded: number;
  overridesEnded: number;
}

interface StatusRow {
  tier: string | null;
  period_end: Date | null;
  override_tier: string | null;
  override_ends_at: Date | null;
}

const DAY_MS = 86_400_000;

const METRICS_SQL = `
  SELECT p.ends_at, coalesce(sum(a.points), 0)::text AS points, coalesce(sum(a.spend), 0)::text AS spend,
         (count(DISTINCT a.partner_id) FILTER (WHERE a.purchases > 0))::text AS partners
    FROM tier_period($2, $3, $4) p
    LEFT JOIN tier_activity a ON a.member_id = $1 AND a.month BETWEEN p.first_month AND p.month
   GROUP BY p.ends_at`;

/**
 * The period-end review, by ledger time, idempotent: a member whose tier's period has ended, and
 * the ladder's grace period after it, keeps the tier they reach with the better of the ended period
 * and the current one so far, or goes down one tier, never more; their next review is at the end of
 * the current period. Overrides past their end are ended. Each member is handled under the
 * member's lock (the one earns take), in a transaction of their own.
 */
export class TierReviewService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
  ) {}

  async run(): Promise<TierReviewReport> {
    const report: TierReviewReport = { reviewed: 0, downgraded: 0, overridesEnded: 0 };
    for (let due = await this.due('override'); due.length > 0; due = await this.due('override'))
      for (const memberId of due) report.overridesEnded += await this.endOverride(memberId);
    for (let due = await this.due('period'); due.length > 0; due = await this.due('period'))
      for (const memberId of due) {
        const outcome = await this.review(memberId);
        report.reviewed += outcome === 'skipped' ? 0 : 1;
        report.downgraded += outcome === 'downgraded' ? 1 : 0;
      }
    if (report.reviewed + report.overridesEnded > 0) this.logger.info(report, 'tier review');
    return report;
  }

  private async due(what: 'override' | 'period'): Promise<string[]> {
    const rows: { member_id: string }[] = await this.dataSource.query(
      what === 'override'
        ? `SELECT member_id FROM tier_status WHERE override_tier IS NOT NULL AND override_ends_at <= ledger_now()
            ORDER BY override_ends_at LIMIT $1`
        : `SELECT s.member_id FROM tier_status s,
                  (SELECT grace_days FROM tier_ladder WHERE effective_from <= ledger_now() ORDER BY effective_from DESC LIMIT 1) l
            WHERE s.tier IS NOT NULL AND s.period_end + l.grace_days * interval '24 hours' <= ledger_now()
            ORDER BY s.period_end LIMIT $1`,
      [limits.tierReviewBatchMax],
    );
    return rows.map((r) => r.member_id);
  }

  private endOverride(memberId: string): Promise<number> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const { status, ladder, now } = await lockedStatus(manager, memberId);
      if (!status.override_ends_at || status.override_ends_at > now) return 0;
      const { held, computed } = await heldTiers(manager, memberId);
      await manager.query(
        `UPDATE tier_status SET override_tier = NULL, override_reason = NULL, override_ends_at = NULL,
                override_by = NULL, override_at = NULL, updated_at = $2 WHERE member_id = $1`,
        [memberId, now],
      );
      if (held !== computed)
        await recordChange(manager, {
          memberId,
          from: held,
          to: computed,
          reason: 'OVERRIDE_ENDED',
          ladderVersion: ladder?.version ?? null,
          changedBy: 'tiers',
          at: now,
        });
      return 1;
    });
  }

  /** Reviews one member, unless no longer due. */
  private review(memberId: string): Promise<'skipped' | 'kept' | 'downgraded'> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const { status, ladder, now } = await lockedStatus(manager, memberId);
      // Due when listed, but another replica's round may have reviewed the member since.
      if (!ladder || !status.tier || !status.period_end) return 'skipped';
      if (status.period_end.getTime() + ladder.graceDays * DAY_MS > now.getTime()) return 'skipped';
      const ended = await metricsAt(
        manager,
        memberId,
        ladder,
        new Date(status.period_end.getTime() - 1),
      );
      const current = await metricsAt(manager, memberId, ladder, now);
      const best = [ended.metrics, current.metrics]
        .map((m) => metricValue(ladder.metric, m))
        .reduce((a, b) => (a > b ? a : b));
      const computed = tierAfterReview(ladder.tiers, status.tier, best);
      await manager.query(
        'UPDATE tier_status SET tier = $2, period_end = $3, updated_at = $4 WHERE member_id = $1',
        [memberId, computed, computed ? current.endsAt : null, now],
      );
      const override =
        status.override_ends_at && status.override_ends_at > now ? status.override_tier : null;
      const { held } = await heldTiers(manager, memberId);
      const after = higherTier(ladder.tiers, override, computed);
      if (after === held) return 'kept';
      // Up only where a new ladder version lowered a threshold; a tier it no longer has is left.
      const heldRank = rankOf(ladder.tiers, held);
      const up = (held === null || heldRank > 0) && rankOf(ladder.tiers, after) > heldRank;
      await recordChange(manager, {
        memberId,
        from: held,
        to: after,
        reason: up ? 'UPGRADE' : 'DOWNGRADE',
        ladderVersion: ladder.version,
        changedBy: 'tiers',
        at: now,
      });
      return up ? 'kept' : 'downgraded';
    });
  }
}

async function lockedStatus(
  manager: EntityManager,
  memberId: string,
): Promise<{ status: StatusRow; ladder: TierLadder | null; now: Date }> {
  await lockAggregate(manager, 'member', memberId);
  const rows: (StatusRow & Partial<LadderRow> & { now: Date })[] = await manager.query(
    `SELECT s.tier, s.period_end, s.override_tier, s.override_ends_at, ledger_now() AS now, l.*
       FROM tier_status s
       LEFT JOIN LATERAL (SELECT ${LADDER_COLUMNS} FROM tier_ladder WHERE effective_from <= ledger_now()
                          ORDER BY effective_from DESC LIMIT 1) l ON true
      WHERE s.member_id = $1 FOR UPDATE OF s`,
    [memberId],
  );
  const row = rows[0]!;
  return {
    status: row,
    ladder: row.version === undefined || row.version === null ? null : ladderOf(row as LadderRow),
    now: row.now,
  };
}

/** The member's metrics over the ladder's period holding `at`, and that period's end. */
async function metricsAt(
  manager: EntityManager,
  memberId: string,
  ladder: TierLadder,
  at: Date,
): Promise<{ metrics: PeriodMetrics; endsAt: Date }> {
  const rows: { ends_at: Date; points: string; spend: string; partners: string }[] =
    await manager.query(METRICS_SQL, [memberId, ladder.period, ladder.timeZone, at]);
  const row = rows[0]!;
  return {
    metrics: {
      points: BigInt(row.points),
      spend: BigInt(row.spend),
      partners: BigInt(row.partners),
    },
    endsAt: row.ends_at,
  };
}
