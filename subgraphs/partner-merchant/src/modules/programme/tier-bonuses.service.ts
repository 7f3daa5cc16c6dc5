import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { tierBonusSchema, type TierBonus } from '@coalition/shared/earn-rules/earn-rules';
import { lockAggregate } from '@coalition/shared/db/locks';
import { inTransaction } from '@coalition/shared/db/transaction';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { tierBonusesSet } from '@coalition/shared/feed/facts/partner-feed';
import { limits } from '@coalition/shared/limits';
import { parseInput } from '@coalition/shared/validation';

const bonusesInput = z.object({
  bonuses: z
    .array(tierBonusSchema)
    .max(limits.tierBonusesMax, `at most ${limits.tierBonusesMax} tiers`)
    .superRefine((bonuses, ctx) => {
      const seen = new Set<string>();
      for (const [i, bonus] of bonuses.entries()) {
        if (seen.has(bonus.tier))
          ctx.addIssue({ code: 'custom', message: 'names a tier twice', path: [i, 'tier'] });
        seen.add(bonus.tier);
      }
    }),
});

/**
 * The coalition's bonus per member tier: the operator funds a percent of the points a member
 * earns at any partner. One set for the whole network, replaced as a whole.
 */
export class TierBonusesService {
  constructor(private readonly dataSource: DataSource) {}

  async replace(raw: readonly TierBonus[], setBy: string): Promise<TierBonus[]> {
    const { bonuses } = parseInput(bonusesInput, { bonuses: raw });
    const sorted = [...bonuses].sort((a, b) => (a.tier < b.tier ? -1 : a.tier > b.tier ? 1 : 0));
    await inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      // One writer at a time, before any write: the sets reach the feed in the order they were made.
      await lockAggregate(manager, 'programme', 'tier-bonuses');
      const now = new Date();
      await manager.query('DELETE FROM tier_bonus');
      if (sorted.length > 0) {
        await manager.query(
          `INSERT INTO tier_bonus (tier, bonus_percent, set_at, set_by)
           SELECT tier, bonus_percent, $3, $4 FROM unnest($1::text[], $2::integer[]) AS b(tier, bonus_percent)`,
          [sorted.map((b) => b.tier), sorted.map((b) => b.bonusPercent), now, setBy],
        );
      }
      await appendFacts(manager, [
        tierBonusesSet.build({
          bonuses: sorted.map((b) => ({ tier: b.tier, bonusPercent: b.bonusPercent })),
        }),
      ]);
    });
    return sorted;
  }

  async list(): Promise<TierBonus[]> {
    const rows: { tier: string; bonus_percent: number }[] = await this.dataSource.query(
      'SELECT tier, bonus_percent FROM tier_bonus ORDER BY tier',
    );
    return rows.map((row) => ({ tier: row.tier, bonusPercent: row.bonus_percent }));
  }
}
