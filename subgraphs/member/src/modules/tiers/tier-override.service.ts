import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { lockAggregate } from '@coalition/shared/db/locks';
import { inTransaction } from '@coalition/shared/db/transaction';
import { badInput, notFound } from '@coalition/shared/errors';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { limits } from '@coalition/shared/limits';
import { parseInput, text, uuid } from '@coalition/shared/validation';
import { higherTier, rankOf, tierCode, type TierLadder } from './tier-ladder';
import { LADDER_COLUMNS, ladderOf, type LadderRow } from './tier-ladder.service';
import { tierChangedFact, tierChangeStatements, type TierChange } from './tier-earn';

const DAY_MS = 86_400_000;

const overrideInput = z.object({
  memberId: uuid,
  tier: tierCode,
  reason: text('reason', limits.tierOverrideReasonLengthMax),
  endsAt: z.date(),
});
export type TierOverrideInput = z.input<typeof overrideInput>;

interface HeldRow {
  held: string | null;
  computed: string | null;
}

/**
 * Operators' overrides: a status match from another programme or a courtesy tier, with a reason
 * and an end. While it lasts the member holds the higher of the override and the computed tier;
 * the review ends it (tier-review.service.ts). Each override is a tier_history row and a
 * member.tier-changed fact naming the operator, even when the tier held stays the same.
 */
export class TierOverrideService {
  constructor(private readonly dataSource: DataSource) {}

  async override(raw: TierOverrideInput, operator: string): Promise<void> {
    const input = parseInput(overrideInput, raw);
    await inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      // The member's lock, as the wallet takes it: an earn's upgrade and an override never interleave.
      await lockAggregate(manager, 'member', input.memberId);
      const { ladder, now } = await ladderInForce(manager);
      if (rankOf(ladder.tiers, input.tier) === 0)
        throw badInput(`The ladder in force has no tier ${input.tier}.`, 'tier');
      if (input.endsAt <= now) throw badInput('endsAt must be in the future.', 'endsAt');
      if (input.endsAt.getTime() > now.getTime() + limits.tierOverrideDaysMax * DAY_MS)
        throw badInput(
          `endsAt must be at most ${limits.tierOverrideDaysMax} days ahead.`,
          'endsAt',
        );
      const before = await heldTiers(manager, input.memberId);
      await manager.query(
        `INSERT INTO tier_status (member_id, override_tier, override_reason, override_ends_at, override_by, override_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (member_id) DO UPDATE SET override_tier = excluded.override_tier, override_reason = excluded.override_reason,
           override_ends_at = excluded.override_ends_at, override_by = excluded.override_by,
           override_at = excluded.override_at, updated_at = excluded.updated_at`,
        [input.memberId, input.tier, input.reason, input.endsAt, operator, now],
      );
      await recordChange(manager, {
        memberId: input.memberId,
        from: before.held,
        to: higherTier(ladder.tiers, input.tier, before.computed),
        reason: 'OVERRIDE',
        ladderVersion: ladder.version,
        changedBy: operator,
        at: now,
      });
    });
  }
}

/** The ladder in force at ledger time; an operation on tiers without one is the caller's mistake. */
export async function ladderInForce(
  manager: EntityManager,
): Promise<{ ladder: TierLadder; now: Date }> {
  const rows: (LadderRow & { now: Date })[] = await manager.query(
    `SELECT ${LADDER_COLUMNS}, ledger_now() AS now FROM tier_ladder WHERE effective_from <= ledger_now() ORDER BY effective_from DESC LIMIT 1`,
  );
  const row = rows[0];
  if (!row) throw badInput('No tier ladder is in force: define one first (defineTierLadder).');
  return { ladder: ladderOf(row), now: row.now };
}

/** The tier the member holds and the computed one, the member's row locked. */
export async function heldTiers(manager: EntityManager, memberId: string): Promise<HeldRow> {
  const rows: HeldRow[] = await manager.query(
    `SELECT m.tier AS held, s.tier AS computed FROM member m LEFT JOIN tier_status s ON s.member_id = m.id
      WHERE m.id = $1 FOR UPDATE OF m`,
    [memberId],
  );
  if (!rows[0]) throw notFound('Member');
  return rows[0];
}

/** Writes a change of the tier held (member.tier, history, fact), one statement at a time. */
export async function recordChange(manager: EntityManager, change: TierChange): Promise<void> {
  for (const statement of tierChangeStatements(change))
    await manager.query(statement.text, statement.values);
  await appendFacts(manager, [tierChangedFact(change)]);
}
