import type { DataSource, EntityManager } from 'typeorm';
import { lockAggregate } from '@coalition/shared/db/locks';
import { inTransaction } from '@coalition/shared/db/transaction';
import { limits } from '@coalition/shared/limits';
import type { Logger } from '@coalition/shared/logger';
import { rankOf, type TierLadder } from './tier-ladder';
import { LADDER_COLUMNS, ladderOf, type LadderRow } from './tier-ladder.service';
import { heldTiers, recordChange } from './tier-override.service';
import { keepAll, readReviewRows, reviewOutcome } from './tier-review-batch';

export interface TierReviewReport {
  /** Members whose period ended (and grace passed) and were reviewed. */
  reviewed: number;
  downgraded: number;
  overridesEnded: number;
}

const DAY_MS = 86_400_000;

/**
 * The period-end review, by ledger time, idempotent: a member whose tier's period has ended, and
 * the ladder's grace period after it, keeps the tier they reach with the better of the ended period
 * and the current one so far, or goes down one tier, never more; their next review is at the end of
 * the current period. Overrides past their end are ended.
 *
 * Due members are read a batch at a time, with their metrics, in one statement. Those who keep
 * their tier (the common case) move on to their next review in one more statement; a member whose
 * tier changes is reviewed again under the member's lock (the one earns take), in a transaction of
 * their own, with the change's history row and fact.
 */
export class TierReviewService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
  ) {}

  async run(): Promise<TierReviewReport> {
    const report: TierReviewReport = { reviewed: 0, downgraded: 0, overridesEnded: 0 };
    for (let due = await this.dueOverrides(); due.length > 0; due = await this.dueOverrides())
      for (const memberId of due) report.overridesEnded += await this.endOverride(memberId);
    for (let due = await this.duePeriods(); due; due = await this.duePeriods()) {
      const rows = await readReviewRows(this.dataSource, due.memberIds, due.ladder, due.now);
      const kept = rows.filter((row) => {
        const outcome = reviewOutcome(due.ladder, row);
        return outcome.earned === row.tier && outcome.held === row.held;
      });
      report.reviewed += await keepAll(this.dataSource, kept, due.now);
      for (const row of rows.filter((r) => !kept.includes(r))) {
        const outcome = await this.review(row.memberId);
        report.reviewed += outcome === 'skipped' ? 0 : 1;
        report.downgraded += outcome === 'downgraded' ? 1 : 0;
      }
    }
    if (report.reviewed + report.overridesEnded > 0) this.logger.info(report, 'tier review');
    return report;
  }

  private async dueOverrides(): Promise<string[]> {
    const rows: { member_id: string }[] = await this.dataSource.query(
      `SELECT member_id FROM tier_status WHERE override_tier IS NOT NULL AND override_ends_at <= ledger_now()
        ORDER BY override_ends_at LIMIT $1`,
      [limits.tierReviewBatchMax],
    );
    return rows.map((r) => r.member_id);
  }

  /** The next batch of members due, with the ladder in force and ledger time; none when done. */
  private async duePeriods(): Promise<{
    memberIds: string[];
    ladder: TierLadder;
    now: Date;
  } | null> {
    const rows: (LadderRow & { now: Date; member_ids: string[] | null })[] =
      await this.dataSource.query(
        `SELECT l.*, n.now,
                (SELECT array_agg(member_id) FROM (
                   SELECT s.member_id FROM tier_status s
                    WHERE s.tier IS NOT NULL AND s.period_end + l.grace_days * interval '24 hours' <= n.now
                    ORDER BY s.period_end LIMIT $1) d) AS member_ids
           FROM (SELECT ledger_now() AS now) n
           CROSS JOIN LATERAL (SELECT ${LADDER_COLUMNS} FROM tier_ladder WHERE effective_from <= n.now
                                ORDER BY effective_from DESC LIMIT 1) l`,
        [limits.tierReviewBatchMax],
      );
    const row = rows[0];
    if (!row?.member_ids?.length) return null;
    return { memberIds: row.member_ids, ladder: ladderOf(row), now: row.now };
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

  /** Reviews one member under their lock, unless no longer due. */
  private review(memberId: string): Promise<'skipped' | 'kept' | 'downgraded'> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const { status, ladder, now } = await lockedStatus(manager, memberId);
      // Due when listed, but another replica's round may have reviewed the member since.
      if (!ladder || !status.tier || !status.period_end) return 'skipped';
      if (status.period_end.getTime() + ladder.graceDays * DAY_MS > now.getTime()) return 'skipped';
      const [row] = await readReviewRows(manager, [memberId], ladder, now);
      if (!row) return 'skipped';
      const { earned, held } = reviewOutcome(ladder, row);
      await manager.query(
        'UPDATE tier_status SET tier = $2, period_end = $3, updated_at = $4 WHERE member_id = $1',
        [memberId, earned, earned ? row.currentEnd : null, now],
      );
      if (held === row.held) return 'kept';
      // Up only where a new ladder version lowered a threshold; a tier it no longer has is left.
      const heldRank = rankOf(ladder.tiers, row.held);
      const up = (row.held === null || heldRank > 0) && rankOf(ladder.tiers, held) > heldRank;
      await recordChange(manager, {
        memberId,
        from: row.held,
        to: held,
        reason: up ? 'UPGRADE' : 'DOWNGRADE',
        ladderVersion: ladder.version,
        changedBy: 'tiers',
        at: now,
      });
      return up ? 'kept' : 'downgraded';
    });
  }
}

interface StatusRow {
  tier: string | null;
  period_end: Date | null;
  override_tier: string | null;
  override_ends_at: Date | null;
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
