import type { EntityManager } from 'typeorm';
import { assert } from '@coalition/shared/errors';
import { earnRulesSchema, type EarnRules, type TierBonus } from '@coalition/shared/earn-rules/earn-rules';
import type { MemberEarnState } from '@coalition/shared/earn-rules/evaluate-earn';

export interface RulesInForce {
  version: number;
  rules: EarnRules;
}

/**
 * The partner's earn rules as the wallet's replica holds them. A version's content never changes
 * once published (a correction is a new version), so parsed rules are cached by partner and
 * version for the life of the process; which version is in force is read every time.
 */
export class EarnRulesReplica {
  private readonly parsed = new Map<string, EarnRules>();

  /**
   * The version in force when the purchase happened; a purchase from before the partner's first
   * version (a till's clock, or a backdated receipt) earns under the first.
   */
  async inForce(manager: EntityManager, partnerId: string, at: Date): Promise<RulesInForce> {
    const rows: { version: number; rules: unknown }[] = await manager.query(
      `(SELECT version, rules FROM earn_rules_replica WHERE partner_id = $1 AND NOT withdrawn AND effective_from <= $2 ORDER BY effective_from DESC LIMIT 1)
       UNION ALL
       (SELECT version, rules FROM earn_rules_replica WHERE partner_id = $1 AND NOT withdrawn ORDER BY effective_from LIMIT 1)
       LIMIT 1`,
      [partnerId, at],
    );
    const row = rows[0];
    assert(row, `partner ${partnerId} has a replica without earn rules`);
    const key = `${partnerId}:${row.version}`;
    let rules = this.parsed.get(key);
    if (!rules) {
      rules = earnRulesSchema.parse(row.rules);
      this.parsed.set(key, rules);
    }
    return { version: row.version, rules };
  }
}

export interface EarnState {
  member: MemberEarnState;
  tierBonuses: TierBonus[];
}

/**
 * What the rules need to know about the member, in one statement and only what these rules use:
 * the tier and its coalition bonus, whether the member earned at this partner before, the capped
 * points earned there since the start of the store's local day, and the stamp card.
 */
export async function memberEarnState(
  manager: EntityManager,
  at: { memberId: string; partnerId: string; now: Date; timeZone: string },
  rules: EarnRules,
): Promise<EarnState> {
  const rows: { tier: string | null; bonus_percent: number | null; earned_before: boolean | null; capped_today: string | null; stamps: number | null }[] = await manager.query(
    `SELECT m.tier, b.bonus_percent,
            CASE WHEN $5 THEN EXISTS (SELECT 1 FROM ledger_transaction t WHERE t.member_id = m.id AND t.partner_id = $2 AND t.kind = 'EARN') END AS earned_before,
            CASE WHEN $6 THEN (SELECT coalesce(sum(coalesce((t.details -> 'earn' ->> 'cappedPoints')::bigint, t.points)), 0)
                                 FROM ledger_transaction t
                                WHERE t.member_id = m.id AND t.partner_id = $2 AND t.kind = 'EARN'
                                  AND t.created_at >= (date_trunc('day', $3::timestamptz AT TIME ZONE $4) AT TIME ZONE $4)) END AS capped_today,
            (SELECT s.stamps FROM stamp_card_state s WHERE s.member_id = m.id AND s.partner_id = $2 AND s.card_id = $7) AS stamps
       FROM member m LEFT JOIN tier_bonus_replica b ON b.tier = m.tier
      WHERE m.id = $1`,
    [at.memberId, at.partnerId, at.now, at.timeZone, rules.firstPurchaseBonusPoints > 0n, rules.capPerMemberDayPoints !== null, rules.stampCard?.id ?? null],
  );
  const row = rows[0];
  assert(row, `member ${at.memberId} is locked, so it exists`);
  return {
    member: {
      tier: row.tier,
      firstPurchaseAtPartner: row.earned_before === false,
      cappedPointsToday: BigInt(row.capped_today ?? 0),
      stamps: row.stamps ?? 0,
    },
    tierBonuses: row.tier !== null && row.bonus_percent !== null ? [{ tier: row.tier, bonusPercent: row.bonus_percent }] : [],
  };
}
