import type { DataSource, EntityManager } from 'typeorm';
import { lockAggregate } from '@coalition/shared/db/locks';
import { inTransaction, isUniqueViolation } from '@coalition/shared/db/transaction';
import { assert, badInput } from '@coalition/shared/errors';
import { limits } from '@coalition/shared/limits';
import { parseInput } from '@coalition/shared/validation';
import {
  storedTiers,
  tierLadderInput,
  tiersToJson,
  type TierLadder,
  type TierLadderInput,
  type TierMetric,
  type TierPeriod,
} from './tier-ladder';

const DAY_MS = 86_400_000;

export interface LadderRow {
  version: number;
  effective_from: Date;
  metric: TierMetric;
  period: TierPeriod;
  time_zone: string;
  currency: string;
  grace_days: number;
  tiers: unknown;
  created_at: Date;
  created_by: string;
}

export const LADDER_COLUMNS =
  'version, effective_from, metric, period, time_zone, currency, grace_days, tiers, created_at, created_by';

export const ladderOf = (row: LadderRow): TierLadder => ({
  version: row.version,
  effectiveFrom: row.effective_from,
  metric: row.metric,
  period: row.period,
  timeZone: row.time_zone,
  currency: row.currency,
  graceDays: row.grace_days,
  tiers: storedTiers.parse(row.tiers),
  createdAt: row.created_at,
  createdBy: row.created_by,
});

const overlap = (latest: LadderRow) =>
  badInput(
    `Ladder version ${latest.version} takes effect at ${latest.effective_from.toISOString()}: a new version must take effect after it.`,
    'effectiveFrom',
  );

/**
 * The coalition's tier ladder, versioned and effective-dated like partners' earn rules: a version
 * starts now or later, after every version before it, and runs until the next one starts; versions
 * are never changed or deleted, and each records who defined it (the audit trail). Dates are ledger
 * time, the clock earns count by.
 */
export class TierLadderService {
  constructor(private readonly dataSource: DataSource) {}

  async define(raw: TierLadderInput, definedBy: string): Promise<TierLadder> {
    const input = parseInput(tierLadderInput, raw);
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      // One writer of the ladder at a time: the check for overlap and the insert see the same versions.
      await lockAggregate(manager, 'tier-ladder', 'coalition');
      const now = await ledgerNow(manager);
      const effectiveFrom = effectiveFromOf(input.effectiveFrom ?? now, now);
      const latest = (await this.versions(manager, 1))[0];
      if (latest && effectiveFrom <= latest.effective_from) throw overlap(latest);
      try {
        const rows: LadderRow[] = await manager.query(
          `INSERT INTO tier_ladder (${LADDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${LADDER_COLUMNS}`,
          [
            (latest?.version ?? 0) + 1,
            effectiveFrom,
            input.metric,
            input.period,
            input.timeZone,
            input.currency,
            input.graceDays,
            JSON.stringify(tiersToJson(input.tiers)),
            now,
            definedBy,
          ],
        );
        assert(rows[0], 'an INSERT … RETURNING returns its row');
        return ladderOf(rows[0]);
      } catch (error) {
        // Checked above under the ladder's lock; the unique index is the backstop.
        if (isUniqueViolation(error, 'tier_ladder_effective_unique') && latest)
          throw overlap(latest);
        throw error;
      }
    });
  }

  /** The version in force at ledger time now; null before the first takes effect. */
  async inForce(): Promise<TierLadder | null> {
    const rows: LadderRow[] = await this.dataSource.query(
      `SELECT ${LADDER_COLUMNS} FROM tier_ladder WHERE effective_from <= ledger_now() ORDER BY effective_from DESC LIMIT 1`,
    );
    return rows[0] ? ladderOf(rows[0]) : null;
  }

  /** Every version, newest first. */
  async all(): Promise<TierLadder[]> {
    return (await this.versions(this.dataSource.manager, limits.pageSizeMax)).map(ladderOf);
  }

  private versions(manager: EntityManager, limit: number): Promise<LadderRow[]> {
    return manager.query(
      `SELECT ${LADDER_COLUMNS} FROM tier_ladder ORDER BY effective_from DESC LIMIT $1`,
      [limit],
    );
  }
}

export async function ledgerNow(manager: EntityManager): Promise<Date> {
  const rows: { now: Date }[] = await manager.query('SELECT ledger_now() AS now');
  assert(rows[0], 'SELECT ledger_now() returns a row');
  return rows[0].now;
}

/** From now on (a client's "now" a little behind ours is now), and not too far ahead. */
function effectiveFromOf(date: Date, now: Date): Date {
  if (date.getTime() < now.getTime() - limits.clientClockSlackMs)
    throw badInput('effectiveFrom must not be in the past.', 'effectiveFrom');
  if (date.getTime() > now.getTime() + limits.tierLadderAheadDaysMax * DAY_MS)
    throw badInput(
      `effectiveFrom must be at most ${limits.tierLadderAheadDaysMax} days ahead.`,
      'effectiveFrom',
    );
  return date < now ? now : date;
}
