import type { DataSource, EntityManager } from 'typeorm';
import { lockAggregate } from '@coalition/shared/db/locks';
import { inTransaction } from '@coalition/shared/db/transaction';
import { limits } from '@coalition/shared/limits';
import type { Logger } from '@coalition/shared/logger';
import { rankOf, type TierLadder } from './tier-ladder';
import { LADDER_COLUMNS, ladderOf, type LadderRow } from './tier-ladder.service';
import { heldTiers, recordChange } from './tier-override.service';
import type { TierChange } from './tier-earn';
import {
  lockMembers,
  readReviewRows,
  reviewOutcome,
  writeReviews,
  type ReviewRow,
} from './tier-review-batch';

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
 * Due members are reviewed a batch at a time (limits.tierReviewBatchMax), each batch in one
 * transaction under the members' locks (the ones earns take): their metrics for both periods in
 * one statement, their new tiers in one more, and for those whose tier held changes, member.tier,
 * history rows and facts in three more.
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
    const round = await this.roundStart();
    let after: DueCursor = { periodEnd: new Date(0), memberId: NIL_UUID };
    for (let due = round && (await this.duePeriods(round, after)); due;) {
      const batch = await this.reviewBatch(due);
      report.reviewed += batch.reviewed;
      report.downgraded += batch.downgraded;
      after = due.last;
      due = round && (await this.duePeriods(round, after));
    }
    if (report.reviewed + report.overridesEnded > 0) this.logger.info(report, 'tier review');
    return report;
  }

  /** One transaction for a batch of due members, under their locks; a member no longer due (another round got there first) is left. */
  private reviewBatch(due: DueBatch): Promise<{ reviewed: number; downgraded: number }> {
    const { ladder, now } = due;
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockMembers(manager, due.memberIds);
      const rows = (await readReviewRows(manager, due.memberIds, ladder, now)).filter(
        (row) => row.periodEnd.getTime() + ladder.graceDays * DAY_MS <= now.getTime(),
      );
      const reviewed = rows.map((row) => ({ row, ...reviewOutcome(ladder, row) }));
      const changes = reviewed
        .filter((r) => r.held !== r.row.held)
        .map((r) => changeOf(ladder, r.row, r.held, now));
      await writeReviews(manager, reviewed, changes, now);
      return {
        reviewed: rows.length,
        downgraded: changes.filter((c) => c.reason === 'DOWNGRADE').length,
      };
    });
  }

  private async dueOverrides(): Promise<string[]> {
    const rows: { member_id: string }[] = await this.dataSource.query(
      `SELECT member_id FROM tier_status WHERE override_tier IS NOT NULL AND override_ends_at <= ledger_now()
        ORDER BY override_ends_at LIMIT $1`,
      [limits.tierReviewBatchMax],
    );
    return rows.map((r) => r.member_id);
  }

  /** The ladder in force and ledger time, read once a round; null without a ladder. */
  private async roundStart(): Promise<{ ladder: TierLadder; now: Date } | null> {
    const rows: (LadderRow & { now: Date })[] = await this.dataSource.query(
      `SELECT l.*, n.now FROM (SELECT ledger_now() AS now) n
        CROSS JOIN LATERAL (SELECT ${LADDER_COLUMNS} FROM tier_ladder WHERE effective_from <= n.now
                             ORDER BY effective_from DESC LIMIT 1) l`,
    );
    return rows[0] ? { ladder: ladderOf(rows[0]), now: rows[0].now } : null;
  }

  /**
   * The next batch of members due, after the last one of the batch before, in (period end, id)
   * order: a seek in tier_status_review, never a walk over the entries the round already moved
   * (their old versions stay in the index until vacuum).
   */
  private async duePeriods(
    round: { ladder: TierLadder; now: Date },
    after: DueCursor,
  ): Promise<(DueBatch & { last: DueCursor }) | null> {
    const dueBy = new Date(round.now.getTime() - round.ladder.graceDays * DAY_MS);
    const rows: { member_id: string; period_end: Date }[] = await this.dataSource.query(
      `SELECT member_id, period_end FROM tier_status
        WHERE tier IS NOT NULL AND period_end <= $1 AND (period_end, member_id) > ($2, $3)
        ORDER BY period_end, member_id LIMIT $4`,
      [dueBy, after.periodEnd, after.memberId, limits.tierReviewBatchMax],
    );
    const last = rows.at(-1);
    if (!last) return null;
    return {
      ...round,
      memberIds: rows.map((r) => r.member_id),
      last: { periodEnd: last.period_end, memberId: last.member_id },
    };
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
}

interface DueCursor {
  periodEnd: Date;
  memberId: string;
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

interface DueBatch {
  memberIds: string[];
  ladder: TierLadder;
  now: Date;
}

/**
 * A change a review makes to the tier held. Up only where a new ladder version lowered a threshold;
 * a tier the ladder no longer has is left (a downgrade).
 */
function changeOf(ladder: TierLadder, row: ReviewRow, held: string | null, at: Date): TierChange {
  const heldRank = rankOf(ladder.tiers, row.held);
  const up = (row.held === null || heldRank > 0) && rankOf(ladder.tiers, held) > heldRank;
  return {
    memberId: row.memberId,
    from: row.held,
    to: held,
    reason: up ? 'UPGRADE' : 'DOWNGRADE',
    ladderVersion: ladder.version,
    changedBy: 'tiers',
    at,
  };
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
